import { ticketCodeList } from '../core/check-ins.service';
import { httpHandler } from './http/http-handler';

/** GET /api/concerts/{id}/ticket-codes (staff or admin): the hashed list a scanner checks against offline. */
export const handler = httpHandler('concert-ticket-codes', ['checkIns'], async (request, { checkIns }) => {
  const principal = await request.user();
  const list = await ticketCodeList(checkIns.checkIns, principal, request.id('id', 'Concert'));
  return { status: 200, body: list };
});
