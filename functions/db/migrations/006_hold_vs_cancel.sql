-- A hold never lands on a concert that a committed change took off sale.
--
-- Cancelling a concert (SqlConcertRepository.update) locks the concert row FOR UPDATE, releases its holds
-- and voids its sales in one transaction. reserve_one read the concert's status without a lock, so a
-- hold that read "on-sale" just before that commit went on to claim a tier row the cancellation held,
-- waited, and inserted its reservation after the cancellation had committed its release: a live hold on a
-- cancelled concert. (Or the two deadlocked: the hold held a tier row and waited on the concert row for
-- its foreign key; the cancellation held the concert row and waited on the tier row.)
--
-- Now both entry points share-lock the concerts they sell before reserve_one reads them, the same lock
-- confirm_reservation takes: a concert being changed is waited for, and reserve_one's next statement
-- (a fresh snapshot, READ COMMITTED) sees the change and answers 'not-on-sale'. A cancellation that
-- starts after the lock waits for the hold to commit and then releases it with the others.
-- Lock order, everywhere on the sale path: the users' advisory locks, then concert rows (id order), then
-- tier rows (id order), then reservations. A batch takes one lock per distinct concert, not per member.
-- FOR SHARE rather than FOR KEY SHARE: it also waits for a change of the concert made by a plain UPDATE
-- (without a FOR UPDATE first), and its cost is the same (shared lockers never wait for each other).
--
-- Signatures are unchanged (CREATE OR REPLACE): replicas still running the previous code keep working.

CREATE OR REPLACE FUNCTION reserve_tickets(
  p_user uuid, p_concert uuid, p_tier uuid, p_quantity integer, p_idempotency_key text,
  p_hold_seconds integer, p_user_limit integer, p_active_hold_limit integer)
RETURNS SETOF hold_outcome
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('reserve:' || p_user::text, 0));
  PERFORM 1 FROM concerts c WHERE c.id = p_concert FOR SHARE;
  RETURN QUERY SELECT * FROM reserve_one(p_user, p_concert, p_tier, p_quantity, p_idempotency_key,
                                         p_hold_seconds, p_user_limit, p_active_hold_limit);
END;
$$;

-- As in 004, plus the concert locks. A member's concert id is text until its own turn casts it; only ids
-- PostgreSQL's uuid input accepts are locked up front (the rest fail in their member's turn, alone).
CREATE OR REPLACE FUNCTION reserve_tickets_batch(
  p_requests json, p_hold_seconds integer, p_user_limit integer, p_active_hold_limit integer,
  p_isolate boolean)
RETURNS TABLE (ord integer, outcome text, detail integer, id uuid, user_id uuid, concert_id uuid, tier_id uuid,
               quantity integer, total_cents integer, currency text, status text, expires_at timestamptz,
               created_at timestamptz, overdue boolean, failure text)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  r record;
  v hold_outcome;
  v_state text;
  v_constraint text;
  v_message text;
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
    RETURN NEXT;
  END LOOP;
END;
$$;
