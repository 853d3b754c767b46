import { TicketingError } from '../core/errors';
import { connectWatcher } from '../core/watchers.service';
import { watcherDeps, websocketHandler } from './websocket/websocket-handler';

/** `$connect`: registers the connection; an admin passes `?token=`. A bad token refuses the connection. */
export const handler = websocketHandler(
  'ws-connect',
  async ({ event, services, connectionId }) => {
    await connectWatcher(watcherDeps(services), connectionId, event.queryStringParameters?.token);
  },
  { refuseWith: (error) => (error instanceof TicketingError && error.code === 'UNAUTHORIZED' ? 401 : 500) },
);
