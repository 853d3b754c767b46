-- Flash-sale batching: many holds in one statement. The caller (SqlReservationRepository) gathers the
-- requests that arrive for one tier while its previous statement runs, and sends them together: one
-- round trip, one commit and one lock hand-over of the hot tier row for the whole batch.
-- A batch may mix tiers. Requests are applied tier by tier (in tier id order) and, within a tier, in
-- arrival order, each all-or-nothing, with exactly the rules of reserve_tickets. Users' locks are taken
-- up front and tier rows in id order, so concurrent batches cannot deadlock each other.
-- Holds commit without waiting for the WAL flush (synchronous_commit = off): a database crash may lose
-- the holds of the last fraction of a second, never a confirmed ticket (confirmation commits normally).
CREATE FUNCTION reserve_tickets_batch(
  p_requests json, p_hold_seconds integer, p_user_limit integer, p_active_hold_limit integer)
RETURNS TABLE (ord integer, outcome text, detail integer, id uuid, user_id uuid, concert_id uuid, tier_id uuid,
               quantity integer, total_cents integer, currency text, status text, expires_at timestamptz,
               created_at timestamptz, overdue boolean)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  r record;
  v hold_outcome;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM pg_advisory_xact_lock(k)
     FROM (SELECT DISTINCT hashtextextended('reserve:' || x.u, 0) AS k
             FROM json_to_recordset(p_requests) AS x(u text) ORDER BY 1) AS keys;
  FOR r IN SELECT x.* FROM json_to_recordset(p_requests)
                        AS x(n integer, u uuid, c uuid, t uuid, q integer, k text) ORDER BY x.t, x.n LOOP
    SELECT * INTO v FROM reserve_one(r.u, r.c, r.t, r.q, r.k, p_hold_seconds, p_user_limit, p_active_hold_limit);
    ord := r.n; outcome := v.outcome; detail := v.detail; id := v.id; user_id := v.user_id;
    concert_id := v.concert_id; tier_id := v.tier_id; quantity := v.quantity; total_cents := v.total_cents;
    currency := v.currency; status := v.status; expires_at := v.expires_at; created_at := v.created_at;
    overdue := v.overdue;
    RETURN NEXT;
  END LOOP;
END;
$$;
