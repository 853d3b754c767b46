import { expect } from 'vitest';
import type { SqlExecutor } from '../../functions/ports/sql-database.port';

export interface TierLedger {
  tierId: string;
  capacity: number;
  storedAvailable: number;
  liveHeld: number;
  overdueHeld: number;
  confirmed: number;
  effectiveAvailable: number;
}

/** Reads every tier's books in one snapshot. */
export async function tierLedgers(db: SqlExecutor): Promise<TierLedger[]> {
  const rows = await db.query(`
    SELECT t.id, t.capacity, t.available,
      coalesce(sum(r.quantity) FILTER (WHERE r.status = 'held' AND r.expires_at > now()), 0) AS live_held,
      coalesce(sum(r.quantity) FILTER (WHERE r.status = 'held' AND r.expires_at <= now()), 0) AS overdue_held,
      coalesce(sum(r.quantity) FILTER (WHERE r.status = 'confirmed'), 0) AS confirmed
    FROM ticket_tiers t LEFT JOIN reservations r ON r.tier_id = t.id
    GROUP BY t.id, t.capacity, t.available`);
  return rows.map((row) => {
    const ledger = {
      tierId: String(row.id),
      capacity: Number(row.capacity),
      storedAvailable: Number(row.available),
      liveHeld: Number(row.live_held),
      overdueHeld: Number(row.overdue_held),
      confirmed: Number(row.confirmed),
    };
    return { ...ledger, effectiveAvailable: ledger.storedAvailable + ledger.overdueHeld };
  });
}

/** DESIGN.md invariant 1, for every tier: nothing oversold, the books add up. */
export async function expectNoOversell(db: SqlExecutor): Promise<TierLedger[]> {
  const ledgers = await tierLedgers(db);
  for (const tier of ledgers) {
    expect(tier.storedAvailable, `tier ${tier.tierId}`).toBeGreaterThanOrEqual(0);
    expect(tier.effectiveAvailable, `tier ${tier.tierId}`).toBeLessThanOrEqual(tier.capacity);
    expect(tier.storedAvailable, `stored books of ${tier.tierId}`).toBe(
      tier.capacity - tier.liveHeld - tier.overdueHeld - tier.confirmed,
    );
    expect(tier.effectiveAvailable, `effective books of ${tier.tierId}`).toBe(
      tier.capacity - tier.liveHeld - tier.confirmed,
    );
  }
  return ledgers;
}
