-- One lock order for every path that releases overdue holds: concert, then tier, then reservations,
-- the order holds (concert FOR SHARE, tier claim, then the tier's overdue holds) and confirms take. The
-- expire-holds job used to lock the overdue reservations first and their tiers after: against a hold batch
-- that owned a tier and was releasing its overdue holds, PostgreSQL found a deadlock and aborted one side.
CREATE OR REPLACE FUNCTION release_overdue_holds(p_tier uuid)
RETURNS TABLE (tier_id uuid, concert_id uuid, released integer, holds integer)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
  -- A cancellation holds its concert FOR UPDATE while it ends the sales: wait for it, then see its work.
  PERFORM 1 FROM concerts c
   WHERE c.id IN (SELECT r.concert_id FROM reservations r
                   WHERE r.status = 'held' AND r.expires_at <= now() AND (p_tier IS NULL OR r.tier_id = p_tier))
   ORDER BY c.id FOR SHARE;
  PERFORM 1 FROM ticket_tiers t
   WHERE t.id IN (SELECT r.tier_id FROM reservations r
                   WHERE r.status = 'held' AND r.expires_at <= now() AND (p_tier IS NULL OR r.tier_id = p_tier))
   ORDER BY t.id FOR UPDATE;
  RETURN QUERY
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
  RETURNING t.id, t.concert_id, p.released, p.holds;
END
$$;
