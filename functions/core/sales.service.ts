import type { SalesRepository } from '../ports/sales.repository.port';

/** One concert's tickets right now: sold (confirmed) and held (live holds), in total and per tier. */
export interface ConcertSales {
  concertId: string;
  sold: number;
  held: number;
  tiers: Array<{ tierId: string; sold: number; held: number }>;
}

/**
 * Sold and held apart for every concert (the public Concert only has `totalBooked` = both together).
 * Counts are tickets, not reservations; a hold past its `expiresAt` counts as neither, as in `available`.
 */
export async function concertSales(sales: SalesRepository): Promise<ConcertSales[]> {
  const byConcert = new Map<string, ConcertSales>();
  for (const { concertId, tierId, sold, held } of await sales.tierSales()) {
    let concert = byConcert.get(concertId);
    if (!concert) {
      concert = { concertId, sold: 0, held: 0, tiers: [] };
      byConcert.set(concertId, concert);
    }
    concert.sold += sold;
    concert.held += held;
    concert.tiers.push({ tierId, sold, held });
  }
  return [...byConcert.values()];
}
