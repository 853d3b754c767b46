import { reserveTickets } from '../core/reservations.service';
import { httpHandler } from './http/http-handler';
import { publicReservation } from './http/public-reservation';
import { createReservationBody, idempotencyKey } from './http/schemas';

export const handler = httpHandler(
  'reservations-create',
  ['reservations'],
  async (request, { reservations }) => {
    const principal = await request.user();
    const rawKey = request.header('idempotency-key');
    const key =
      rawKey === undefined ? null : request.validate(idempotencyKey, rawKey, 'The Idempotency-Key header');
    const input = request.body(createReservationBody);
    const { reservation, created } = await reserveTickets(
      reservations,
      principal,
      { ...input, concertId: input.concertId.toLowerCase(), tierId: input.tierId.toLowerCase() },
      key,
    );
    return { status: created ? 201 : 200, body: { reservation: publicReservation(reservation) } };
  },
);
