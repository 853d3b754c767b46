import { connectToken } from '../core/connect-token';
import { TicketingError } from '../core/errors';
import { connectWatcher } from '../core/watchers.service';
import { websocketHandler } from './websocket/websocket-handler';

/**
 * `$connect`: registers the connection; an admin passes `?token=` or `Authorization: Bearer` (the rule in
 * `connectToken`, the same as the shim's). A bad, repeated or disagreeing token refuses the connection.
 */
export const handler = websocketHandler(
  'ws-connect',
  async ({ event, watchers, connectionId }) => {
    const queryTokens =
      event.multiValueQueryStringParameters?.token ??
      (event.queryStringParameters?.token === undefined ? [] : [event.queryStringParameters.token]);
    const authorization = Object.entries(event.headers ?? {}).find(
      ([name]) => name.toLowerCase() === 'authorization',
    )?.[1];
    const { token, refused } = connectToken(queryTokens, authorization);
    if (refused) throw new TicketingError('UNAUTHORIZED', refused);
    await connectWatcher(watchers, connectionId, token);
  },
  { refuseWith: (error) => (error instanceof TicketingError && error.code === 'UNAUTHORIZED' ? 401 : 500) },
);
