import { listMyReservations } from '../core/reservations.service';
import { httpHandler } from './http/http-handler';
import { publicReservation } from './http/public-reservation';

export const handler = httpHandler(
  'me-reservations',
  ['reservations'],
  async (request, { reservations: deps }) => {
    const reservations = await listMyReservations(deps, await request.user());
    return { status: 200, body: { reservations: reservations.map(publicReservation) } };
  },
);
