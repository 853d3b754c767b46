import type { WaitlistEntry } from '../../ports/waitlist.repository.port';
import { publicReservation } from './public-reservation';

/**
 * The contract's waiting-list entry: `{id, concertId, tierId, quantity, position?, status, createdAt,
 * reservation?}`; `position` only while waiting, `reservation` once an offer was made. The fan's id stays
 * inside the service.
 */
export function publicWaitlistEntry(entry: WaitlistEntry) {
  return {
    id: entry.id,
    concertId: entry.concertId,
    tierId: entry.tierId,
    quantity: entry.quantity,
    ...(entry.position === null ? {} : { position: entry.position }),
    status: entry.status,
    createdAt: entry.createdAt,
    ...(entry.reservation ? { reservation: publicReservation(entry.reservation) } : {}),
  };
}
