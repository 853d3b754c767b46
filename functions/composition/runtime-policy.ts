import type { ServiceConfig } from '../config/service-config';

/**
 * Where this process runs, stated by its entry point: `lambda` (the deployed handlers: the container is
 * frozen between invocations, so nothing may be left for later) or `server` (the shim, the scheduler, the
 * CLI: a process that lives on between requests).
 */
export type ServiceRuntime = 'lambda' | 'server';

/** What follows from the runtime (and the configuration) for publishing, hold expiry and start-up. */
export interface RuntimePolicy {
  runtime: ServiceRuntime;
  /**
   * At most one `concert-update` per concert per this many ms. Lambda: always 0 (a deferred publish might
   * never run in a frozen container); server: REALTIME_COALESCE_MS (default 150).
   */
  coalesceMs: number;
  /**
   * Whether each answer waits for the publishes of the changes it announced: on Lambda always (the
   * container freezes after the response); on a server when REALTIME_COALESCE_MS is 0 (its documented
   * meaning: "publishes each change before the response").
   */
  publishBeforeAnswer: boolean;
  /** A timer frees each hold the moment it runs out: only a process that lives on (server). */
  expireHoldsOnTime: boolean;
  /**
   * Check each dependency answers before going on (PostgreSQL, Redis: 10 s each): on a server; a Lambda's
   * failed cold start is retried by the next request instead.
   */
  startupChecks: boolean;
}

/** The policy of `runtime` under `config` (REALTIME_COALESCE_MS is read on servers only). */
export function runtimePolicy(
  runtime: ServiceRuntime,
  config: Pick<ServiceConfig, 'realtimeCoalesceMs'>,
): RuntimePolicy {
  if (runtime === 'lambda') {
    return {
      runtime,
      coalesceMs: 0,
      publishBeforeAnswer: true,
      expireHoldsOnTime: false,
      startupChecks: false,
    };
  }
  return {
    runtime,
    coalesceMs: config.realtimeCoalesceMs,
    publishBeforeAnswer: config.realtimeCoalesceMs === 0,
    expireHoldsOnTime: true,
    startupChecks: true,
  };
}
