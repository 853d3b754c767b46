import { buildServices, type Services } from '../composition/services';
import { loadConfig } from '../config/service-config';

// The services of every handler kind (HTTP, WebSocket, scheduled jobs, the relay): one set per process.
let current: Promise<Services> | undefined;

/**
 * The services the handler wrappers hand out. On Lambda they are built from the environment on the first
 * call (runtime `lambda`: see runtimePolicy) and kept for the container's life; the local shim and the
 * tests install theirs (runtime `server`) with `useServices` first.
 */
export function getServices(): Promise<Services> {
  if (!current) {
    const building = (async () => buildServices(loadConfig(process.env), { runtime: 'lambda' }))();
    // A failed start (database down at a cold start) is retried by the next request, not kept forever.
    building.catch(() => {
      if (current === building) current = undefined;
    });
    current = building;
  }
  return current;
}

/** Installs already-built services (the local shim, the tests): getServices answers them from now on. */
export function useServices(services: Services): void {
  current = Promise.resolve(services);
}
