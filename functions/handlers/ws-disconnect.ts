import { unfollowQueues } from '../core/waiting-room-live';
import { websocketHandler } from './websocket/websocket-handler';

export const handler = websocketHandler(
  'ws-disconnect',
  async ({ watchers, queue, connectionId }) => {
    await Promise.all([watchers.registry.remove(connectionId), unfollowQueues(queue, connectionId)]);
  },
  { refuseWith: () => 500 },
);
