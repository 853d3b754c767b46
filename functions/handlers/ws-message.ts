import * as z from 'zod';
import { TicketingError } from '../core/errors';
import { followQueue } from '../core/waiting-room-live';
import { joinAdmins, joinConcert, leaveConcert } from '../core/watchers.service';
import { CLIENT_ACTIONS } from './websocket/client-actions';
import { websocketHandler } from './websocket/websocket-handler';

export { CLIENT_ACTIONS };

const clientMessage = z.discriminatedUnion('action', [
  z.object({ action: z.literal('join-concert'), concertId: z.guid() }),
  z.object({ action: z.literal('leave-concert'), concertId: z.guid() }),
  z.object({ action: z.literal('join-admin') }),
  z.object({ action: z.literal('join-queue'), concertId: z.guid() }),
]);

/**
 * Every client action route (and `$default`): join-concert answers at once with a snapshot (from memory:
 * no database read per frame). Anything that is not one of CLIENT_ACTIONS with its fields, whatever its
 * name (`hasOwnProperty`, `__proto__` …), is answered with a VALIDATION_FAILED `error` message.
 */
export const handler = websocketHandler(
  'ws-message',
  async ({ event, watchers: deps, queue, connectionId, reply }) => {
    const message = parse(event.body);
    switch (message.action) {
      case 'join-concert':
        await reply(await joinConcert(deps, connectionId, message.concertId.toLowerCase()));
        return;
      case 'leave-concert':
        await leaveConcert(deps, connectionId, message.concertId.toLowerCase());
        return;
      case 'join-admin':
        await joinAdmins(deps, connectionId);
        return;
      case 'join-queue': {
        // The fan is the one the connection signed in as at `$connect` (?token=).
        const userId = await deps.registry.userOf(connectionId);
        const concertId = message.concertId.toLowerCase();
        const answer = await followQueue(
          queue,
          connectionId,
          userId,
          concertId,
          event.requestContext.identity?.sourceIp,
        );
        if (answer) await reply(answer);
        return;
      }
    }
  },
);

function parse(body: string | null | undefined): z.infer<typeof clientMessage> {
  if (!body || body.length > 4096)
    throw new TicketingError('VALIDATION_FAILED', 'Send a JSON message of at most 4 KB');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new TicketingError('VALIDATION_FAILED', 'The message is not valid JSON');
  }
  const parsed = clientMessage.safeParse(json);
  if (!parsed.success) {
    throw new TicketingError(
      'VALIDATION_FAILED',
      `Expected {"action": one of ${CLIENT_ACTIONS.join(', ')}} with a concertId for concert actions`,
    );
  }
  return parsed.data;
}
