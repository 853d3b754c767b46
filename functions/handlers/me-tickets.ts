import { listMyTickets } from '../core/reservations.service';
import { httpHandler } from './http/http-handler';

export const handler = httpHandler('me-tickets', ['reservations'], async (request, { reservations }) => ({
  status: 200,
  body: { tickets: await listMyTickets(reservations, await request.user()) },
}));
