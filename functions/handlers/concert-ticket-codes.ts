import { ticketCodeList } from '../core/check-ins.service';
import { httpHandler } from './http/http-handler';

/** GET /api/concerts/{id}/ticket-codes (staff or admin): the hashed list a scanner checks against offline. */
export const handler = httpHandler('concert-ticket-codes', async (request, services) => {
  const principal = await request.user();
  const list = await ticketCodeList(services.checkIns.checkIns, principal, request.id('id', 'Concert'));
  return { status: 200, body: list };
});
