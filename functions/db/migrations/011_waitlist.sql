-- Waiting lists for sold-out tiers (issue 21). A fan waits for a quantity of one tier; tickets that come
-- back are offered in list order, as a normal hold made for the fan, never to the open market first.
--
-- Rule for quantities that do not fit: WAIT (strict order). Only the head of a tier's list is offered; when
-- its quantity is more than the free tickets, nobody behind it is offered and the tickets stay reserved for
-- it until enough come back. Skip-ahead would let a stream of single-ticket fans starve a group of four
-- forever, and would make a fan's place on the list say nothing about when they are served.
--
-- Where offers are made: a trigger on ticket_tiers, whenever `available` grows (a hold that ran out and is
-- swept by the on-time timer, the expire-holds job or a sale; a cancelled hold; a raised capacity; a fan
-- leaving with an offer), runs waitlist_offer() for that tier in the same transaction and while that
-- statement holds the tier row: the release and the offers commit together or not at all, and two releases
-- of one tier offer one after the other (no ticket offered twice, none left unoffered). A trigger on
-- concerts does the same for every tier when a concert goes back on sale.
--
-- Lock order stays that of migration 009: concert (FOR SHARE), tier (FOR UPDATE), reservations, and then
-- waiting-list entries. Cancelling a hold now goes through cancel_reservation(), which takes the concert
-- and tier locks first (the old statement locked the reservation before its tier).
--
-- While a tier's list has anyone waiting, the open market is closed for that tier: reserve_one answers
-- 'sold-out', and readers show the tier's available count as 0 (the free tickets are owed to the list).

CREATE TABLE waitlist_entries (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Arrival order (a sequence, not a clock): joins of a tier serialize on its row, so order = commit order.
  seq            bigint GENERATED ALWAYS AS IDENTITY,
  concert_id     uuid NOT NULL REFERENCES concerts (id) ON DELETE CASCADE,
  tier_id        uuid NOT NULL REFERENCES ticket_tiers (id) ON DELETE CASCADE,
  user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  quantity       integer NOT NULL CHECK (quantity > 0),
  -- Stored 'offered' stays until the offer's hold settles (waitlist_settle); readers derive claimed /
  -- expired / left from the hold at once.
  status         text NOT NULL DEFAULT 'waiting'
                   CHECK (status IN ('waiting', 'offered', 'claimed', 'expired', 'left')),
  -- WAITLIST_OFFER_SECONDS and TICKETS_PER_USER_LIMIT as they were when the fan joined: the offer is made
  -- inside SQL, where configuration is not known.
  offer_seconds  integer NOT NULL CHECK (offer_seconds > 0),
  user_limit     integer NOT NULL CHECK (user_limit >= 0),
  reservation_id uuid REFERENCES reservations (id),
  created_at     timestamptz NOT NULL DEFAULT now(),
  offered_at     timestamptz,
  closed_at      timestamptz,
  -- When the live message and the e-mail were queued for this offer (once; see SqlWaitlistRepository).
  announced_at   timestamptz
);
-- One live entry per fan and tier.
CREATE UNIQUE INDEX waitlist_entries_live ON waitlist_entries (user_id, tier_id)
  WHERE status IN ('waiting', 'offered');
CREATE INDEX waitlist_entries_waiting ON waitlist_entries (tier_id, seq) WHERE status = 'waiting';
CREATE INDEX waitlist_entries_offered ON waitlist_entries (tier_id) WHERE status = 'offered';
CREATE INDEX waitlist_entries_unannounced ON waitlist_entries (offered_at)
  WHERE reservation_id IS NOT NULL AND announced_at IS NULL;
CREATE INDEX waitlist_entries_by_user ON waitlist_entries (user_id, created_at);
CREATE INDEX waitlist_entries_by_concert ON waitlist_entries (concert_id);

-- An offered entry as its hold says now: confirmed → claimed, run out (swept or not) → expired, cancelled
-- (by the fan, or with the concert) → left; a live hold → offered.
CREATE FUNCTION waitlist_status(p_stored text, p_hold_status text, p_hold_expires_at timestamptz)
RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN p_stored <> 'offered' OR p_hold_status IS NULL THEN p_stored
    WHEN p_hold_status = 'confirmed' THEN 'claimed'
    WHEN p_hold_status = 'cancelled' THEN 'left'
    WHEN p_hold_status = 'expired' OR p_hold_expires_at <= now() THEN 'expired'
    ELSE 'offered' END
$$;

-- Writes down what the holds of a tier's offered entries have become (see waitlist_status), so they stop
-- counting as live: a fan whose offer ran out (swept or not) may join again. The hold itself is left to
-- the sweep, whose release passes its tickets on.
CREATE FUNCTION waitlist_settle(p_tier uuid)
RETURNS void
LANGUAGE sql VOLATILE AS $$
  UPDATE waitlist_entries e
     SET status = CASE r.status WHEN 'confirmed' THEN 'claimed' WHEN 'cancelled' THEN 'left' ELSE 'expired' END,
         closed_at = now()
    FROM reservations r
   WHERE e.tier_id = p_tier AND e.status = 'offered' AND r.id = e.reservation_id
     AND (r.status <> 'held' OR r.expires_at <= now())
$$;

-- Makes the offers a tier owes: in list order, the head gets a hold of its quantity lasting its
-- offer_seconds, while the tier's free tickets cover it (strict order: a head that does not fit stops the
-- loop). An entry that can no longer be served (above the tier's per-order maximum or capacity, or over
-- the fan's per-person limit by now, counting live holds and confirmed tickets) is closed as expired and
-- the next is tried. Nothing is offered for a concert that is not on sale; the entries of a cancelled one
-- are closed. The caller holds the tier row (FOR UPDATE, or is the statement updating it). Answers how
-- many offers were made.
CREATE FUNCTION waitlist_offer(p_tier uuid)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_concert uuid;
  v_status text;
  v_starts_at timestamptz;
  v_available integer;
  v_capacity integer;
  v_max_per_order integer;
  v_price integer;
  v_currency text;
  v_entry record;
  v_held integer;
  v_id uuid;
  v_offers integer := 0;
  v_taken integer := 0;
BEGIN
  PERFORM 1 FROM waitlist_entries e WHERE e.tier_id = p_tier AND e.status IN ('waiting', 'offered');
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  PERFORM waitlist_settle(p_tier);
  SELECT t.concert_id, c.status, c.starts_at, t.available, t.capacity, t.max_per_order, t.price_cents,
         t.currency
    INTO v_concert, v_status, v_starts_at, v_available, v_capacity, v_max_per_order, v_price, v_currency
    FROM ticket_tiers t JOIN concerts c ON c.id = t.concert_id
   WHERE t.id = p_tier;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  IF v_status = 'cancelled' THEN
    UPDATE waitlist_entries SET status = 'expired', closed_at = now()
     WHERE tier_id = p_tier AND status = 'waiting';
    RETURN 0;
  END IF;
  IF v_status <> 'on-sale' OR v_starts_at <= now() THEN
    RETURN 0;
  END IF;
  LOOP
    SELECT e.id, e.user_id, e.quantity, e.offer_seconds, e.user_limit INTO v_entry
      FROM waitlist_entries e
     WHERE e.tier_id = p_tier AND e.status = 'waiting'
     ORDER BY e.seq LIMIT 1 FOR UPDATE;
    EXIT WHEN NOT FOUND;
    v_held := 0;
    IF v_entry.user_limit > 0 THEN
      SELECT coalesce(sum(r.quantity), 0)::integer INTO v_held FROM reservations r
       WHERE r.user_id = v_entry.user_id AND r.concert_id = v_concert
         AND (r.status = 'confirmed' OR (r.status = 'held' AND r.expires_at > now()));
    END IF;
    IF v_entry.quantity > v_max_per_order OR v_entry.quantity > v_capacity
       OR (v_entry.user_limit > 0 AND v_held + v_entry.quantity > v_entry.user_limit) THEN
      UPDATE waitlist_entries SET status = 'expired', closed_at = now() WHERE id = v_entry.id;
      CONTINUE;
    END IF;
    EXIT WHEN v_entry.quantity > v_available;
    INSERT INTO reservations (user_id, concert_id, tier_id, quantity, total_cents, currency, status, expires_at)
    VALUES (v_entry.user_id, v_concert, p_tier, v_entry.quantity, v_price * v_entry.quantity, v_currency,
            'held', now() + make_interval(secs => v_entry.offer_seconds))
    RETURNING id INTO v_id;
    UPDATE waitlist_entries SET status = 'offered', reservation_id = v_id, offered_at = now()
     WHERE id = v_entry.id;
    v_available := v_available - v_entry.quantity;
    v_taken := v_taken + v_entry.quantity;
    v_offers := v_offers + 1;
  END LOOP;
  IF v_taken > 0 THEN
    UPDATE ticket_tiers SET available = available - v_taken, version = version + 1 WHERE id = p_tier;
  END IF;
  RETURN v_offers;
END;
$$;

CREATE FUNCTION waitlist_offer_on_release()
RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM waitlist_offer(NEW.id);
  RETURN NULL;
END;
$$;

CREATE TRIGGER waitlist_offers_on_release
  AFTER UPDATE OF available ON ticket_tiers
  FOR EACH ROW WHEN (NEW.available > OLD.available)
  EXECUTE FUNCTION waitlist_offer_on_release();

-- A concert back on sale (or cancelled) settles its lists: tiers locked in id order after the concert row
-- the UPDATE holds, as everywhere else.
CREATE FUNCTION waitlist_offer_on_concert_status()
RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_tier uuid;
BEGIN
  FOR v_tier IN SELECT t.id FROM ticket_tiers t WHERE t.concert_id = NEW.id ORDER BY t.id FOR UPDATE LOOP
    PERFORM waitlist_offer(v_tier);
  END LOOP;
  RETURN NULL;
END;
$$;

CREATE TRIGGER waitlist_offers_on_concert_status
  AFTER UPDATE OF status ON concerts
  FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
  EXECUTE FUNCTION waitlist_offer_on_concert_status();

-- Joins the list of a tier: 'created' (detail: the new entry's place), 'existing' (a live entry of this fan
-- for this tier: the same entry), 'not-found', 'not-on-sale', 'order-limit' (detail: the most one entry can
-- ever be offered, the lesser of the tier's maximum per order and its capacity: a quantity above capacity
-- would wait forever while closing the tier to everyone), 'user-limit' (detail: tickets the fan holds or
-- bought for the concert), 'tier-available' (detail: free tickets; nobody waits and at least one ticket can
-- be reserved now: joining for more than is left would close the tier's last tickets to the open market
-- without anyone buying them), 'user-gone'. Refusals write nothing. The
-- fan's advisory lock (the one reserve_tickets takes), then the concert (share) and the tier row (update):
-- the sale path's order; joins of a tier serialize, so the list's order is the order of commits.
CREATE FUNCTION waitlist_join(
  p_user uuid, p_concert uuid, p_tier uuid, p_quantity integer, p_user_limit integer,
  p_offer_seconds integer)
RETURNS TABLE (outcome text, detail integer, entry_id uuid)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  v_status text;
  v_starts_at timestamptz;
  v_max_per_order integer;
  v_capacity integer;
  v_free integer;
  v_current integer;
  v_waiting boolean;
  v_id uuid;
BEGIN
  PERFORM 1 FROM users u WHERE u.id = p_user;
  IF NOT FOUND THEN
    outcome := 'user-gone'; RETURN NEXT; RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('reserve:' || p_user::text, 0));
  PERFORM 1 FROM concerts c WHERE c.id = p_concert FOR SHARE;
  SELECT c.status, c.starts_at, t.max_per_order, t.capacity
    INTO v_status, v_starts_at, v_max_per_order, v_capacity
    FROM ticket_tiers t JOIN concerts c ON c.id = t.concert_id
   WHERE t.id = p_tier AND t.concert_id = p_concert
     FOR UPDATE OF t;
  IF NOT FOUND THEN
    outcome := 'not-found'; RETURN NEXT; RETURN;
  END IF;
  -- Live as of now (an offer whose hold ended no longer is), read without writing: a refusal writes nothing.
  SELECT e.id INTO v_id FROM waitlist_entries e LEFT JOIN reservations r ON r.id = e.reservation_id
   WHERE e.user_id = p_user AND e.tier_id = p_tier AND e.status IN ('waiting', 'offered')
     AND waitlist_status(e.status, r.status, r.expires_at) IN ('waiting', 'offered');
  IF FOUND THEN
    outcome := 'existing'; entry_id := v_id; RETURN NEXT; RETURN;
  END IF;
  IF v_status <> 'on-sale' OR v_starts_at <= now() THEN
    outcome := 'not-on-sale'; RETURN NEXT; RETURN;
  END IF;
  IF p_quantity > least(v_max_per_order, v_capacity) THEN
    outcome := 'order-limit'; detail := least(v_max_per_order, v_capacity); RETURN NEXT; RETURN;
  END IF;
  IF p_user_limit > 0 THEN
    SELECT coalesce(sum(r.quantity), 0)::integer INTO v_current FROM reservations r
     WHERE r.user_id = p_user AND r.concert_id = p_concert
       AND (r.status = 'confirmed' OR (r.status = 'held' AND r.expires_at > now()));
    IF v_current + p_quantity > p_user_limit THEN
      outcome := 'user-limit'; detail := v_current; RETURN NEXT; RETURN;
    END IF;
  END IF;
  v_waiting := EXISTS (SELECT 1 FROM waitlist_entries e WHERE e.tier_id = p_tier AND e.status = 'waiting');
  IF NOT v_waiting THEN
    SELECT t.available + coalesce((SELECT sum(r.quantity) FROM reservations r
                                    WHERE r.tier_id = p_tier AND r.status = 'held'
                                      AND r.expires_at <= now()), 0)::integer
      INTO v_free FROM ticket_tiers t WHERE t.id = p_tier;
    -- Any free ticket: the fan reserves what is left (the open market stays open for the rest).
    IF v_free > 0 THEN
      outcome := 'tier-available'; detail := v_free; RETURN NEXT; RETURN;
    END IF;
  END IF;
  -- The fan's ended offer stops counting as live (the unique index), written down only now.
  PERFORM waitlist_settle(p_tier);
  INSERT INTO waitlist_entries (concert_id, tier_id, user_id, quantity, offer_seconds, user_limit)
  VALUES (p_concert, p_tier, p_user, p_quantity, p_offer_seconds, p_user_limit)
  RETURNING id INTO v_id;
  -- Readers now show the tier as 0 available: watchers and caches must see a newer version.
  UPDATE ticket_tiers SET version = version + 1 WHERE id = p_tier;
  outcome := 'created';
  detail := (SELECT count(*)::integer FROM waitlist_entries e WHERE e.tier_id = p_tier AND e.status = 'waiting');
  entry_id := v_id;
  RETURN NEXT;
END;
$$;

-- Leaves the list of a tier: 'left' with the entry, or 'not-found' (no live entry). Leaving with an offer
-- declines it: its hold is cancelled and its tickets go to the next fan (the release trigger). Leaving
-- from the head of the list may let the next fan be served: offers are made before the commit.
CREATE FUNCTION waitlist_leave(p_user uuid, p_concert uuid, p_tier uuid)
RETURNS TABLE (outcome text, entry_id uuid)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  v_id uuid;
  v_reservation uuid;
  v_quantity integer;
BEGIN
  PERFORM 1 FROM concerts c WHERE c.id = p_concert FOR SHARE;
  PERFORM 1 FROM ticket_tiers t WHERE t.id = p_tier AND t.concert_id = p_concert FOR UPDATE;
  IF NOT FOUND THEN
    outcome := 'not-found'; RETURN NEXT; RETURN;
  END IF;
  SELECT e.id, e.reservation_id INTO v_id, v_reservation
    FROM waitlist_entries e LEFT JOIN reservations r ON r.id = e.reservation_id
   WHERE e.user_id = p_user AND e.tier_id = p_tier AND e.status IN ('waiting', 'offered')
     AND waitlist_status(e.status, r.status, r.expires_at) IN ('waiting', 'offered')
     FOR UPDATE OF e;
  IF NOT FOUND THEN
    outcome := 'not-found'; RETURN NEXT; RETURN;
  END IF;
  PERFORM waitlist_settle(p_tier);
  UPDATE waitlist_entries SET status = 'left', closed_at = now() WHERE id = v_id;
  IF v_reservation IS NOT NULL THEN
    UPDATE reservations SET status = 'cancelled', cancelled_at = now()
     WHERE id = v_reservation AND status = 'held' AND expires_at > now()
    RETURNING quantity INTO v_quantity;
    IF FOUND THEN
      UPDATE ticket_tiers SET available = available + v_quantity, version = version + 1 WHERE id = p_tier;
    END IF;
  END IF;
  -- The head may have changed (or the list emptied: readers show the free tickets again).
  UPDATE ticket_tiers SET version = version + 1 WHERE id = p_tier;
  PERFORM waitlist_offer(p_tier);
  outcome := 'left'; entry_id := v_id; RETURN NEXT;
END;
$$;

-- Cancels a live hold (owner p_user, or anyone when null) and gives its tickets back, in the sale path's
-- lock order (concert share, tier, reservation); the release trigger offers them to the tier's list.
-- Answers whether this call cancelled it.
CREATE FUNCTION cancel_reservation(p_id uuid, p_user uuid)
RETURNS TABLE (changed boolean)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  v_concert uuid;
  v_tier uuid;
  v_quantity integer;
BEGIN
  SELECT r.concert_id, r.tier_id INTO v_concert, v_tier FROM reservations r
   WHERE r.id = p_id AND (p_user IS NULL OR r.user_id = p_user);
  IF NOT FOUND THEN
    changed := false; RETURN NEXT; RETURN;
  END IF;
  PERFORM 1 FROM concerts c WHERE c.id = v_concert FOR SHARE;
  PERFORM 1 FROM ticket_tiers t WHERE t.id = v_tier FOR UPDATE;
  UPDATE reservations r SET status = 'cancelled', cancelled_at = now()
   WHERE r.id = p_id AND r.status = 'held' AND r.expires_at > now()
  RETURNING r.quantity INTO v_quantity;
  IF NOT FOUND THEN
    changed := false; RETURN NEXT; RETURN;
  END IF;
  UPDATE ticket_tiers t SET available = t.available + v_quantity, version = t.version + 1 WHERE t.id = v_tier;
  changed := true; RETURN NEXT;
END;
$$;

-- The sale path, as in 004, with one more refusal before the claim: while anyone waits for the tier, its
-- free tickets are owed to the list and the open market is answered 'sold-out' (what readers show too).
-- An Idempotency-Key retry of an earlier hold still answers 'existing'. Signature unchanged.
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

  IF EXISTS (SELECT 1 FROM waitlist_entries e WHERE e.tier_id = p_tier AND e.status = 'waiting') THEN
    RETURN QUERY SELECT * FROM hold_outcome('sold-out', 0, NULL);
    RETURN;
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

