import { listMyTickets } from '../core/reservations.service';
import { httpHandler } from './http/http-handler';

export const handler = httpHandler('me-tickets', async (request, services) => ({
  status: 200,
  body: { tickets: await listMyTickets(services.reservations, await request.user()) },
}));
