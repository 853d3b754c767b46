import { joinQueue } from '../core/waiting-room.service';
import { httpHandler } from './http/http-handler';

/** POST /api/concerts/{id}/queue: the fan's one place in the concert's waiting room (again: the same place). */
export const handler = httpHandler('queue-join', ['queue'], async (request, { queue }) => {
  const principal = await request.user();
  const concertId = request.id('id', 'Concert');
  return {
    status: 200,
    body: { queue: await joinQueue(queue, principal, concertId, { clientAddress: request.clientAddress }) },
  };
});
