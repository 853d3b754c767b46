import { websocketHandler } from './websocket/websocket-handler';

export const handler = websocketHandler(
  'ws-disconnect',
  async ({ services, connectionId }) => {
    await services.realtime.registry.remove(connectionId);
  },
  { refuseWith: () => 500 },
);
