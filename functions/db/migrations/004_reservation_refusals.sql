-- Refusals that change nothing, batches whose members fail alone, and idempotency keys bound to their
-- request (issues 14 and 15).
--
-- 1. A refused hold writes nothing. Before, a hold that found its tier short released the tier's overdue
--    holds and, when that still was not enough, answered "sold out" and committed the release. Now the
--    release and the second claim run in a subtransaction that is rolled back when the claim still fails.
-- 2. A token whose user row is gone answers 'user-gone' (401) instead of failing the insert on the foreign
--    key, which failed every other member of its batch.
-- 3. An Idempotency-Key answers 'existing' only for the same request (same concert, tier and quantity: the
--    columns of the reservation it made are its fingerprint); another request with it is 'key-reused'.
-- 4. reserve_tickets_batch takes every member's values as text and casts them per member, and has an
--    isolating mode (p_isolate) that runs each member in its own subtransaction: a member that raises
--    (foreign key, check constraint, bad uuid, deadlock ...) answers 'failed' with its SQLSTATE and rolls
--    back only its own writes. The caller sends a batch in the fast mode (no subtransaction per member,
--    so a flash sale does not overflow PostgreSQL's 64-entry subtransaction cache) and repeats it once in
--    the isolating mode only when the fast one raised: the fast attempt's transaction rolled back whole.
-- 5. confirm_reservation confirms in one statement and refuses, before writing anything, a hold whose
--    concert is not on sale (paused, cancelled, or started). It takes a share lock on the concert row
--    first, so a concert being cancelled concurrently is waited for and then seen.

-- Function signatures are unchanged (CREATE OR REPLACE), so replicas still running the previous code keep
-- working during a rolling update.
CREATE OR REPLACE FUNCTION reserve_one(
  p_user uuid, p_concert uuid, p_tier uuid, p_quantity integer, p_idempotency_key text,
  p_hold_seconds integer, p_user_limit integer, p_active_hold_limit integer)
RETURNS SETOF hold_outcome
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_status text;
  v_starts_at timestamptz;
  v_max_per_order integer;
  v_price integer;
  v_currency text;
  v_current integer;
  v_released integer;
  v_available integer;
  v_short boolean := false;
  v_id uuid;
  v_same boolean;
  v_expires_at timestamptz;
  v_created_at timestamptz;
BEGIN
  -- A token outlives its user when the row is deleted or a backup from before them is restored.
  PERFORM 1 FROM users u WHERE u.id = p_user;
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM hold_outcome('user-gone', NULL, NULL);
    RETURN;
  END IF;

  IF p_idempotency_key IS NOT NULL THEN
    SELECT r.id, (r.concert_id = p_concert AND r.tier_id = p_tier AND r.quantity = p_quantity)
      INTO v_id, v_same
      FROM reservations r
     WHERE r.user_id = p_user AND r.idempotency_key = p_idempotency_key;
    IF FOUND THEN
      IF v_same THEN
        RETURN QUERY SELECT * FROM hold_outcome('existing', NULL, v_id);
      ELSE
        RETURN QUERY SELECT * FROM hold_outcome('key-reused', NULL, NULL);
      END IF;
      RETURN;
    END IF;
  END IF;

  SELECT c.status, c.starts_at, t.max_per_order, t.price_cents, t.currency
    INTO v_status, v_starts_at, v_max_per_order, v_price, v_currency
    FROM ticket_tiers t JOIN concerts c ON c.id = t.concert_id
   WHERE t.id = p_tier AND t.concert_id = p_concert;
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM hold_outcome('not-found', NULL, NULL);
    RETURN;
  END IF;
  IF v_status <> 'on-sale' OR v_starts_at <= now() THEN
    RETURN QUERY SELECT * FROM hold_outcome('not-on-sale', NULL, NULL);
    RETURN;
  END IF;
  IF p_quantity > v_max_per_order THEN
    RETURN QUERY SELECT * FROM hold_outcome('order-limit', v_max_per_order, NULL);
    RETURN;
  END IF;

  IF p_active_hold_limit > 0 THEN
    SELECT count(*)::integer INTO v_current FROM reservations r
     WHERE r.user_id = p_user AND r.status = 'held' AND r.expires_at > now();
    IF v_current >= p_active_hold_limit THEN
      RETURN QUERY SELECT * FROM hold_outcome('hold-limit', v_current, NULL);
      RETURN;
    END IF;
  END IF;

  IF p_user_limit > 0 THEN
    SELECT coalesce(sum(r.quantity), 0)::integer INTO v_current FROM reservations r
     WHERE r.user_id = p_user AND r.concert_id = p_concert
       AND (r.status = 'confirmed' OR (r.status = 'held' AND r.expires_at > now()));
    IF v_current + p_quantity > p_user_limit THEN
      RETURN QUERY SELECT * FROM hold_outcome('user-limit', v_current, NULL);
      RETURN;
    END IF;
  END IF;

  UPDATE ticket_tiers SET available = available - p_quantity, version = version + 1
   WHERE id = p_tier AND available >= p_quantity
  RETURNING available INTO v_available;
  IF NOT FOUND THEN
    -- Looks sold out: give back this tier's overdue holds first, so a sale never waits for the sweeper;
    -- but only keep that release when it lets this hold through (a refusal writes nothing).
    BEGIN
      SELECT coalesce(sum(released), 0)::integer INTO v_released FROM release_overdue_holds(p_tier);
      IF v_released > 0 THEN
        UPDATE ticket_tiers SET available = available - p_quantity, version = version + 1
         WHERE id = p_tier AND available >= p_quantity
        RETURNING available INTO v_available;
      END IF;
      IF v_released = 0 OR NOT FOUND THEN
        RAISE EXCEPTION 'still short' USING ERRCODE = 'CT409';
      END IF;
    EXCEPTION WHEN SQLSTATE 'CT409' THEN
      v_short := true;
    END;
    IF v_short THEN
      -- What a reader sees: overdue holds count as free.
      SELECT t.available + coalesce((SELECT sum(r.quantity) FROM reservations r
                                      WHERE r.tier_id = p_tier AND r.status = 'held'
                                        AND r.expires_at <= now()), 0)::integer
        INTO v_available FROM ticket_tiers t WHERE t.id = p_tier;
      RETURN QUERY SELECT * FROM hold_outcome(
        CASE WHEN v_available = 0 THEN 'sold-out' ELSE 'insufficient' END, v_available, NULL);
      RETURN;
    END IF;
  END IF;

  INSERT INTO reservations (user_id, concert_id, tier_id, quantity, total_cents, currency, status,
                            idempotency_key, expires_at)
  VALUES (p_user, p_concert, p_tier, p_quantity, v_price * p_quantity, v_currency, 'held',
          p_idempotency_key, now() + make_interval(secs => p_hold_seconds))
  RETURNING id, expires_at, created_at INTO v_id, v_expires_at, v_created_at;
  RETURN QUERY SELECT 'created'::text, v_available, v_id, p_user, p_concert, p_tier, p_quantity,
                      v_price * p_quantity, v_currency, 'held'::text, v_expires_at, v_created_at, false;
END;
$$;

-- Members arrive as JSON text ({n, u, c, t, q, k}); each value is cast inside the member's own turn, so
-- one malformed member cannot stop the batch from being read. Requests are applied tier by tier (tier id
-- order, then arrival order); users' advisory locks are taken up front in key order, tier rows in id
-- order, so concurrent batches cannot deadlock each other. `failure` is the SQLSTATE and message of a
-- member that raised in the isolating mode ('failed' outcome); null otherwise.
CREATE FUNCTION reserve_tickets_batch(
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

-- The previous entry point, for replicas still running the code before this migration.
CREATE OR REPLACE FUNCTION reserve_tickets_batch(
  p_requests json, p_hold_seconds integer, p_user_limit integer, p_active_hold_limit integer)
RETURNS TABLE (ord integer, outcome text, detail integer, id uuid, user_id uuid, concert_id uuid, tier_id uuid,
               quantity integer, total_cents integer, currency text, status text, expires_at timestamptz,
               created_at timestamptz, overdue boolean)
LANGUAGE sql VOLATILE AS $$
  SELECT b.ord, b.outcome, b.detail, b.id, b.user_id, b.concert_id, b.tier_id, b.quantity, b.total_cents,
         b.currency, b.status, b.expires_at, b.created_at, b.overdue
    FROM reserve_tickets_batch(p_requests, p_hold_seconds, p_user_limit, p_active_hold_limit, false) AS b
$$;

-- Confirms a live hold of an on-sale concert into tickets (one code per ticket from p_codes, comma
-- separated), all in one statement. Outcomes: 'confirmed' (changed: true when this call confirmed it,
-- false when it was confirmed before: same tickets), 'not-found' (no such reservation of this owner),
-- 'not-on-sale' (the concert is paused, cancelled or has started), 'refused' (expired or cancelled).
-- Every refusal is decided before any write. The concert row is share-locked before the reservation
-- row is written: the same order as a concert change that then releases its holds.
CREATE FUNCTION confirm_reservation(p_id uuid, p_user uuid, p_codes text)
RETURNS TABLE (outcome text, changed boolean)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  v_concert uuid;
  v_status text;
  v_quantity integer;
BEGIN
  SELECT r.concert_id, r.status INTO v_concert, v_status
    FROM reservations r WHERE r.id = p_id AND r.user_id = p_user;
  IF NOT FOUND THEN
    outcome := 'not-found'; changed := false; RETURN NEXT; RETURN;
  END IF;
  IF v_status = 'confirmed' THEN
    outcome := 'confirmed'; changed := false; RETURN NEXT; RETURN;
  END IF;
  PERFORM 1 FROM concerts c
    WHERE c.id = v_concert AND c.status = 'on-sale' AND c.starts_at > now() FOR SHARE;
  IF NOT FOUND THEN
    -- A hold that ran out or was cancelled says so; a live hold is refused for its concert.
    SELECT CASE WHEN r.status = 'held' AND r.expires_at <= now() THEN 'expired' ELSE r.status END
      INTO v_status FROM reservations r WHERE r.id = p_id;
    outcome := CASE WHEN v_status = 'confirmed' THEN 'confirmed'
                    WHEN v_status = 'held' THEN 'not-on-sale' ELSE 'refused' END;
    changed := false; RETURN NEXT; RETURN;
  END IF;
  UPDATE reservations r SET status = 'confirmed', confirmed_at = now()
   WHERE r.id = p_id AND r.status = 'held' AND r.expires_at > now()
  RETURNING r.quantity INTO v_quantity;
  IF NOT FOUND THEN
    -- Confirmed, cancelled or run out meanwhile: nothing written here.
    SELECT r.status INTO v_status FROM reservations r WHERE r.id = p_id;
    outcome := CASE WHEN v_status = 'confirmed' THEN 'confirmed' ELSE 'refused' END;
    changed := false; RETURN NEXT; RETURN;
  END IF;
  IF coalesce(array_length(string_to_array(p_codes, ','), 1), 0) < v_quantity THEN
    RAISE EXCEPTION 'confirm_reservation: % codes for % tickets', array_length(string_to_array(p_codes, ','), 1),
      v_quantity;
  END IF;
  INSERT INTO tickets (code, reservation_id, user_id, concert_id, tier_id)
  SELECT code.value, r.id, r.user_id, r.concert_id, r.tier_id
    FROM reservations r, unnest(string_to_array(p_codes, ',')) WITH ORDINALITY AS code(value, n)
   WHERE r.id = p_id AND code.n <= r.quantity;
  outcome := 'confirmed'; changed := true; RETURN NEXT;
END;
$$;
