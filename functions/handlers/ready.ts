import { httpHandler } from './http/http-handler';

export const handler = httpHandler('ready', ['readiness'], async (_request, { readiness }) => {
  const checks = await readiness();
  const ready = Object.values(checks).every(Boolean);
  return ready
    ? { status: 200, body: { status: 'ready', checks } }
    : {
        status: 503,
        body: {
          error: { code: 'SERVICE_UNAVAILABLE', message: 'A dependency is not answering', details: checks },
        },
        headers: { 'retry-after': '2' },
      };
});
