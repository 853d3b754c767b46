import { websocketHandler } from './websocket/websocket-handler';

export const handler = websocketHandler(
  'ws-disconnect',
  async ({ watchers, connectionId }) => {
    await watchers.registry.remove(connectionId);
  },
  { refuseWith: () => 500 },
);
