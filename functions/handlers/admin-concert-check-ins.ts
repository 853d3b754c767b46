import { concertCheckIns } from '../core/check-ins.service';
import { httpHandler } from './http/http-handler';

/** GET /api/admin/concerts/{id}/check-ins (staff or admin): checked in vs sold, in total and per tier. */
export const handler = httpHandler('admin-concert-check-ins', ['checkIns'], async (request, { checkIns }) => {
  const principal = await request.user();
  const counts = await concertCheckIns(checkIns.checkIns, principal, request.id('id', 'Concert'));
  return { status: 200, body: counts };
});
