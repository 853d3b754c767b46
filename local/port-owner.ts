import { createServer } from 'node:net';

/**
 * Undefined when `port` is free; else a line saying it is taken and by what (this service, by its
 * /health answer and instance id, or another program).
 */
export async function portTakenBy(port: number): Promise<string | undefined> {
  if (port === 0) return undefined;
  const free = await new Promise<boolean>((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, () => probe.close(() => done(true)));
  });
  if (free) return undefined;
  try {
    const health = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
    const instance = health.headers.get('x-instance-id');
    if (instance)
      return `PORT ${port} is in use by a running concert-ticket-system (instance ${instance}): stop it first, or set PORT`;
  } catch {}
  return `PORT ${port} is in use by another program: stop it, or set PORT`;
}
