import { queuePosition } from '../core/waiting-room.service';
import { httpHandler } from './http/http-handler';

/** GET /api/concerts/{id}/queue: the fan's place as it stands, for clients that poll (404 when not in it). */
export const handler = httpHandler('queue-get', ['queue'], async (request, { queue }) => {
  const principal = await request.user();
  const concertId = request.id('id', 'Concert');
  return { status: 200, body: { queue: await queuePosition(queue, principal, concertId) } };
});
