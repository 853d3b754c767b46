import * as z from 'zod';
import { notFound, TicketingError } from '../core/errors';
import { followQueue } from '../core/waiting-room-live';
import { joinAdmins, joinConcert, leaveConcert } from '../core/watchers.service';
import { CLIENT_ACTIONS, concertIdArgument } from './websocket/client-actions';
import { websocketHandler } from './websocket/websocket-handler';

export { CLIENT_ACTIONS };

/** Any string: a non-UUID one is a concert nobody has (NOT_FOUND, as over HTTP and Socket.IO). */
const concertIdText = z
  .string()
  .max(200)
  .transform((value, context) => {
    const parsed = concertIdArgument(value);
    if (parsed === 'invalid') {
      context.addIssue({ code: 'custom', message: 'a concert id' });
      return z.NEVER;
    }
    return parsed;
  });

const clientMessage = z.discriminatedUnion('action', [
  z.object({ action: z.literal('join-concert'), concertId: concertIdText }),
  z.object({ action: z.literal('leave-concert'), concertId: concertIdText }),
  z.object({ action: z.literal('join-admin') }),
  z.object({ action: z.literal('join-queue'), concertId: concertIdText }),
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
        await reply(await joinConcert(deps, connectionId, idOf(message.concertId)));
        return;
      case 'leave-concert':
        await leaveConcert(deps, connectionId, idOf(message.concertId));
        return;
      case 'join-admin':
        await joinAdmins(deps, connectionId);
        return;
      case 'join-queue': {
        // The fan is the one the connection signed in as at `$connect` (?token=).
        const userId = await deps.registry.userOf(connectionId);
        const concertId = idOf(message.concertId);
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

/** The concert id of a parsed action, or NOT_FOUND for a string that is no UUID. */
function idOf(parsed: { id: string } | 'not-found'): string {
  if (parsed === 'not-found') throw notFound('Concert');
  return parsed.id;
}
