-- A created hold also answers the tier's version as its claim left it (`tier_version`, beside `detail`,
-- the tier's `available` after it): the publisher builds the next `concert-update` from the statement's
-- results instead of reading the whole concert again after every batch (issue 19). Otherwise the same
-- function as migration 006 (same members, order and locks); replicas still on the older code read the
-- columns they know. The return type grows, so the function is dropped and created again.
DROP FUNCTION reserve_tickets_batch(json, integer, integer, integer, boolean);

CREATE FUNCTION reserve_tickets_batch(
  p_requests json, p_hold_seconds integer, p_user_limit integer, p_active_hold_limit integer,
  p_isolate boolean)
RETURNS TABLE (ord integer, outcome text, detail integer, id uuid, user_id uuid, concert_id uuid, tier_id uuid,
               quantity integer, total_cents integer, currency text, status text, expires_at timestamptz,
               created_at timestamptz, overdue boolean, failure text, tier_version bigint)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  r record;
  v hold_outcome;
  v_state text;
  v_constraint text;
  v_message text;
  v_version bigint;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM pg_advisory_xact_lock(k)
     FROM (SELECT DISTINCT hashtextextended('reserve:' || lower(x.u), 0) AS k
             FROM json_to_recordset(p_requests) AS x(u text) ORDER BY 1) AS keys;
  PERFORM 1 FROM concerts c
    WHERE c.id IN (SELECT x.c::uuid FROM json_to_recordset(p_requests) AS x(c text)
                    WHERE x.c ~* '^(\{[0-9a-f]{4}(-?[0-9a-f]{4}){7}\}|[0-9a-f]{4}(-?[0-9a-f]{4}){7})$')
    ORDER BY c.id FOR SHARE;
  FOR r IN SELECT x.* FROM json_to_recordset(p_requests)
                        AS x(n integer, u text, c text, t text, q text, k text)
            ORDER BY lower(x.t) COLLATE "C", x.n LOOP
    failure := NULL;
    tier_version := NULL;
    IF p_isolate THEN
      BEGIN
        SELECT * INTO v FROM reserve_one(r.u::uuid, r.c::uuid, r.t::uuid, r.q::integer, r.k,
                                         p_hold_seconds, p_user_limit, p_active_hold_limit);
      EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_constraint = CONSTRAINT_NAME,
                                v_message = MESSAGE_TEXT;
        v := NULL;
        v.outcome := CASE
          WHEN v_state = '23503' AND v_constraint = 'reservations_user_id_fkey' THEN 'user-gone'
          WHEN v_state = '23503' AND v_constraint IN ('reservations_concert_id_fkey',
                                                      'reservations_tier_id_fkey') THEN 'not-found'
          ELSE 'failed' END;
        IF v.outcome = 'failed' THEN failure := v_state || ': ' || v_message; END IF;
      END;
    ELSE
      SELECT * INTO v FROM reserve_one(r.u::uuid, r.c::uuid, r.t::uuid, r.q::integer, r.k,
                                       p_hold_seconds, p_user_limit, p_active_hold_limit);
    END IF;
    ord := r.n; outcome := v.outcome; detail := v.detail; id := v.id; user_id := v.user_id;
    concert_id := v.concert_id; tier_id := v.tier_id; quantity := v.quantity; total_cents := v.total_cents;
    currency := v.currency; status := v.status; expires_at := v.expires_at; created_at := v.created_at;
    overdue := v.overdue;
    IF v.outcome = 'created' THEN
      -- The tier row is locked by this transaction: its version is the one this member's claim left.
      SELECT t.version INTO v_version FROM ticket_tiers t WHERE t.id = v.tier_id;
      tier_version := v_version;
    END IF;
    RETURN NEXT;
  END LOOP;
END;
$$;
