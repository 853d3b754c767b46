import { getReservation } from '../core/reservations.service';
import { httpHandler } from './http/http-handler';
import { publicReservation } from './http/public-reservation';

export const handler = httpHandler(
  'reservations-get',
  ['reservations'],
  async (request, { reservations }) => {
    const principal = await request.user();
    const reservation = await getReservation(reservations, principal, request.id('id', 'Reservation'));
    return { status: 200, body: { reservation: publicReservation(reservation) } };
  },
);
