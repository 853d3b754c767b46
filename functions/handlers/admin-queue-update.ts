import { changeQueue } from '../core/waiting-room.service';
import { httpHandler } from './http/http-handler';
import { updateQueueBody } from './http/schemas';

/** PATCH /api/admin/concerts/{id}/queue `{paused?, admissionPerMinute?}`: pause, resume or change the rate. */
export const handler = httpHandler('admin-queue-update', async (request, services) => {
  await request.admin();
  const concertId = request.id('id', 'Concert');
  const change = request.body(updateQueueBody);
  const overview = await changeQueue(
    { ...services.waitingRoom.deps, concerts: services.concerts, events: services.events },
    concertId,
    change,
  );
  return { status: 200, body: overview };
});
