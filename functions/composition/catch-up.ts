import type { Logger } from 'pino';

/** How often (ms) a long-running process catches up with work another process left undone. */
export const CATCH_UP_INTERVAL_MS = 5_000;

/**
 * One catch-up round's steps, each run in this order and each failure logged without stopping the others.
 * Every step must be safe to run in several processes at once (SKIP LOCKED claims, claim tokens, sweeps
 * that lock what they release).
 */
export interface CatchUpSteps {
  /** Arms this process's on-time expiry timer for the holds running out soon, whoever made them. */
  armExpiries?: () => Promise<void>;
  /** Announces the waiting-list offers nobody announced yet (their maker died between commit and mail). */
  announceOffers?: () => Promise<void>;
  /** Delivers the e-mail outbox (offers, concert cancellations). */
  deliverOutbox?: () => Promise<unknown>;
}

/** A running catch-up loop; `close()` stops it and resolves once the round in progress has ended. */
export interface CatchUpLoop {
  close(): Promise<void>;
}

/**
 * Runs `steps` every `intervalMs` (ms) in a long-running process (shim replicas, embedded): the on-time
 * expiry timer and the offer announcer live in the memory of the process that made a hold or released
 * tickets, so when that process is killed (SIGKILL, OOM) a surviving one takes over within `intervalMs`
 * instead of at the next expire-holds (every 30 min) or reminders / daily-report run. Rounds never overlap:
 * a round still running when the next is due skips it. The timer is unref'd (it keeps no process alive).
 */
export function startCatchUp(
  steps: CatchUpSteps,
  logger: Logger,
  intervalMs = CATCH_UP_INTERVAL_MS,
): CatchUpLoop {
  let round: Promise<void> | undefined;
  const step = async (name: string, work: (() => Promise<unknown>) | undefined) => {
    if (!work) return;
    try {
      await work();
    } catch (error) {
      logger.warn({ err: error, step: name }, 'catch-up step failed; the next round tries again');
    }
  };
  const timer = setInterval(() => {
    if (round) return;
    round = (async () => {
      await step('arm-expiries', steps.armExpiries);
      await step('announce-offers', steps.announceOffers);
      await step('deliver-outbox', steps.deliverOutbox);
    })().finally(() => {
      round = undefined;
    });
  }, intervalMs);
  timer.unref();
  return {
    close: async () => {
      clearInterval(timer);
      await round;
    },
  };
}
