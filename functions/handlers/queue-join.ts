import { joinQueue } from '../core/waiting-room.service';
import { httpHandler } from './http/http-handler';

/** POST /api/concerts/{id}/queue: the fan's one place in the concert's waiting room (again: the same place). */
export const handler = httpHandler('queue-join', async (request, services) => {
  const principal = await request.user();
  const concertId = request.id('id', 'Concert');
  const queue = await joinQueue(services.waitingRoom.deps, principal, concertId, request.clientAddress);
  return { status: 200, body: { queue } };
});
