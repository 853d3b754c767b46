import { cancelReservation } from '../core/reservations.service';
import { httpHandler } from './http/http-handler';
import { publicReservation } from './http/public-reservation';

export const handler = httpHandler(
  'reservations-cancel',
  ['reservations'],
  async (request, { reservations }) => {
    const principal = await request.user();
    const reservation = await cancelReservation(reservations, principal, request.id('id', 'Reservation'));
    return { status: 200, body: { reservation: publicReservation(reservation) } };
  },
);
