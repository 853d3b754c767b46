import { queueOverview } from '../core/waiting-room.service';
import { httpHandler } from './http/http-handler';

/** GET /api/admin/concerts/{id}/queue: the organiser's live view of the waiting room. */
export const handler = httpHandler('admin-queue-get', ['queue'], async (request, { queue }) => {
  await request.admin();
  const concertId = request.id('id', 'Concert');
  return { status: 200, body: await queueOverview(queue, concertId) };
});
