import { httpHandler } from './http/http-handler';

export const handler = httpHandler('health', async () => ({ status: 200, body: { status: 'ok' } }));
