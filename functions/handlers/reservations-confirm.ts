import { confirmReservation } from '../core/reservations.service';
import { httpHandler } from './http/http-handler';
import { publicReservation } from './http/public-reservation';

export const handler = httpHandler(
  'reservations-confirm',
  ['reservations'],
  async (request, { reservations }) => {
    const principal = await request.user();
    const { reservation, tickets } = await confirmReservation(
      reservations,
      principal,
      request.id('id', 'Reservation'),
    );
    return {
      status: 200,
      body: {
        reservation: publicReservation(reservation),
        tickets: tickets.map(({ id, code, tierId }) => ({ id, code, tierId })),
      },
    };
  },
);
