-- Users, concerts, tiers, reservations and tickets: the ticketing core.

CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text NOT NULL,
  name          text NOT NULL,
  password_hash text NOT NULL,
  role          text NOT NULL CHECK (role IN ('customer', 'admin')),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE concerts (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title      text NOT NULL,
  artist     text NOT NULL,
  venue      text NOT NULL,
  starts_at  timestamptz NOT NULL,
  status     text NOT NULL CHECK (status IN ('on-sale', 'paused', 'cancelled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX concerts_starts_at ON concerts (starts_at);

-- `available` is capacity minus every hold still marked 'held' (overdue or not) and every confirmed
-- ticket; readers add back overdue holds, so a hold past its time is free before any sweep.
CREATE TABLE ticket_tiers (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  concert_id    uuid NOT NULL REFERENCES concerts (id) ON DELETE CASCADE,
  position      integer NOT NULL,
  name          text NOT NULL,
  price_cents   integer NOT NULL CHECK (price_cents >= 0),
  currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  capacity      integer NOT NULL CHECK (capacity >= 0),
  available     integer NOT NULL CHECK (available >= 0 AND available <= capacity),
  max_per_order integer NOT NULL CHECK (max_per_order > 0),
  version       bigint NOT NULL DEFAULT 1,
  UNIQUE (concert_id, name)
);
CREATE INDEX ticket_tiers_concert ON ticket_tiers (concert_id, position);

CREATE TABLE reservations (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id         uuid NOT NULL REFERENCES users (id),
  concert_id      uuid NOT NULL REFERENCES concerts (id),
  tier_id         uuid NOT NULL REFERENCES ticket_tiers (id),
  quantity        integer NOT NULL CHECK (quantity > 0),
  total_cents     integer NOT NULL CHECK (total_cents >= 0),
  currency        text NOT NULL,
  status          text NOT NULL CHECK (status IN ('held', 'confirmed', 'expired', 'cancelled')),
  idempotency_key text,
  expires_at      timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  confirmed_at    timestamptz,
  cancelled_at    timestamptz,
  expired_at      timestamptz,
  UNIQUE (user_id, idempotency_key)
);
CREATE INDEX reservations_held_by_tier ON reservations (tier_id, expires_at) WHERE status = 'held';
CREATE INDEX reservations_by_user ON reservations (user_id, concert_id);

CREATE TABLE tickets (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code           text NOT NULL UNIQUE,
  reservation_id uuid NOT NULL REFERENCES reservations (id),
  user_id        uuid NOT NULL REFERENCES users (id),
  concert_id     uuid NOT NULL REFERENCES concerts (id),
  tier_id        uuid NOT NULL REFERENCES ticket_tiers (id),
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_by_reservation ON tickets (reservation_id);
CREATE INDEX tickets_by_user ON tickets (user_id);

-- Gives back the tickets of holds whose time ran out (one tier, or all when p_tier is null). Used by the
-- hot path when a tier looks sold out, by capacity changes and by the expire-holds job.
CREATE FUNCTION release_overdue_holds(p_tier uuid)
RETURNS TABLE (tier_id uuid, concert_id uuid, released integer, holds integer)
LANGUAGE sql VOLATILE AS $$
  WITH expired AS (
    UPDATE reservations r SET status = 'expired', expired_at = now()
     WHERE r.status = 'held' AND r.expires_at <= now() AND (p_tier IS NULL OR r.tier_id = p_tier)
    RETURNING r.tier_id, r.quantity
  ), per_tier AS (
    SELECT e.tier_id, sum(e.quantity)::integer AS released, count(*)::integer AS holds
      FROM expired e GROUP BY e.tier_id
  )
  UPDATE ticket_tiers t SET available = t.available + p.released, version = t.version + 1
    FROM per_tier p WHERE t.id = p.tier_id
  RETURNING t.id, t.concert_id, p.released, p.holds
$$;

-- What one hold attempt answers: an outcome, a number (what is left after a hold, or why it was refused),
-- and the reservation row.
CREATE TYPE hold_outcome AS (
  outcome text, detail integer,
  id uuid, user_id uuid, concert_id uuid, tier_id uuid, quantity integer, total_cents integer,
  currency text, status text, expires_at timestamptz, created_at timestamptz, overdue boolean
);

CREATE FUNCTION hold_outcome(p_outcome text, p_detail integer, p_id uuid)
RETURNS SETOF hold_outcome
LANGUAGE sql VOLATILE AS $$
  SELECT p_outcome, p_detail, r.id, r.user_id, r.concert_id, r.tier_id, r.quantity, r.total_cents,
         r.currency, r.status, r.expires_at, r.created_at, (r.status = 'held' AND r.expires_at <= now())
    FROM (SELECT 1) AS one LEFT JOIN reservations r ON r.id = p_id
$$;

-- The hot path. One hold attempt, for a caller that already holds the user's lock (below): checks the
-- idempotency key, the concert, the per-order and per-user limits, then claims the tickets with a
-- conditional UPDATE of the tier row (no read-then-write); when the tier looks sold out it first gives
-- back the tier's overdue holds. Every query takes a fresh snapshot (volatile function, READ COMMITTED).
CREATE FUNCTION reserve_one(
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
  v_id uuid;
  v_expires_at timestamptz;
  v_created_at timestamptz;
BEGIN
  IF p_idempotency_key IS NOT NULL THEN
    SELECT r.id INTO v_id FROM reservations r
     WHERE r.user_id = p_user AND r.idempotency_key = p_idempotency_key;
    IF FOUND THEN
      RETURN QUERY SELECT * FROM hold_outcome('existing', NULL, v_id);
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

  -- A bot holding many concerts' tickets at once, each under its per-concert limit, is still one person.
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
    -- Looks sold out: give back this tier's overdue holds first, so a sale never waits for the sweeper.
    SELECT coalesce(sum(released), 0)::integer INTO v_released FROM release_overdue_holds(p_tier);
    IF v_released > 0 THEN
      UPDATE ticket_tiers SET available = available - p_quantity, version = version + 1
       WHERE id = p_tier AND available >= p_quantity
      RETURNING available INTO v_available;
    END IF;
    IF v_released = 0 OR NOT FOUND THEN
      SELECT t.available INTO v_available FROM ticket_tiers t WHERE t.id = p_tier;
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
  -- Answered from what was just written: no second read of the row on the hot path.
  RETURN QUERY SELECT 'created'::text, v_available, v_id, p_user, p_concert, p_tier, p_quantity,
                      v_price * p_quantity, v_currency, 'held'::text, v_expires_at, v_created_at, false;
END;
$$;

-- One request, one statement, one round trip (node-postgres, PGlite and the Data API alike). The per-user
-- advisory lock serializes one user's attempts, so an Idempotency-Key yields one hold and the per-user
-- limit holds under concurrency.
CREATE FUNCTION reserve_tickets(
  p_user uuid, p_concert uuid, p_tier uuid, p_quantity integer, p_idempotency_key text,
  p_hold_seconds integer, p_user_limit integer, p_active_hold_limit integer)
RETURNS SETOF hold_outcome
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('reserve:' || p_user::text, 0));
  RETURN QUERY SELECT * FROM reserve_one(p_user, p_concert, p_tier, p_quantity, p_idempotency_key,
                                         p_hold_seconds, p_user_limit, p_active_hold_limit);
END;
$$;
