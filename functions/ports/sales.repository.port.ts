/** One tier's tickets right now: `sold` confirmed, `held` in live holds (an overdue hold counts as neither). */
export interface TierSales {
  concertId: string;
  tierId: string;
  /** Tickets of confirmed reservations. */
  sold: number;
  /** Tickets of holds whose `expiresAt` has not passed yet. */
  held: number;
}

/** Live sold / held counts per tier, for the organiser's console (admin only; not the public Concert). */
export interface SalesRepository {
  /** Every tier of every concert, tiers without a reservation included with zeros. */
  tierSales(): Promise<TierSales[]>;
}
