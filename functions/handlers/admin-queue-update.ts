import { changeQueue } from '../core/waiting-room.service';
import { httpHandler } from './http/http-handler';
import { updateQueueBody } from './http/schemas';

/** PATCH /api/admin/concerts/{id}/queue `{paused?, admissionPerMinute?}`: pause, resume or change the rate. */
export const handler = httpHandler(
  'admin-queue-update',
  ['queue', 'concertAdmin'],
  async (request, { queue, concertAdmin }) => {
    await request.admin();
    const concertId = request.id('id', 'Concert');
    const change = request.body(updateQueueBody);
    return { status: 200, body: await changeQueue({ ...queue, ...concertAdmin }, concertId, change) };
  },
);
