import { confirmReservation } from '../core/reservations.service';
import { httpHandler } from './http/http-handler';
import { publicReservation } from './http/public-reservation';

export const handler = httpHandler('reservations-confirm', async (request, services) => {
  const principal = await request.user();
  const { reservation, tickets } = await confirmReservation(
    services.reservations,
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
});
