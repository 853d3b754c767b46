import middy from '@middy/core';
import * as z from 'zod';
import { getServices } from './lambda-runtime';

export interface QueueAdmissionEvent {
  /** How long this run admits, one step a second, before returning (default 55 s: a once-a-minute schedule). */
  runForMs?: number;
}

export interface QueueAdmissionReport {
  admitted: number;
  ticks: number;
  /** False when another run held the admission lease the whole time. */
  led: boolean;
}

// The scheduler's input (stacks/schedules.ts); checked so a typo cannot make a run endless.
const queueAdmissionEvent = z
  .object({
    runForMs: z
      .number()
      .int()
      .min(1)
      .max(14 * 60_000)
      .optional(),
  })
  .nullish();

/**
 * The waiting room's admission on AWS (scheduled every minute): a Lambda cannot tick on its own, so each
 * run admits in one-second steps for `runForMs` (the same core step and lease as the containers' ticker:
 * two overlapping runs still admit once), and after each step it led sends the `queue-position` of every
 * `join-queue` follower (registered in Redis by the `$default` route) through PostToConnection (only the
 * leading run sends, so overlapping runs do not double the messages).
 */
export const handler = middy<QueueAdmissionEvent, QueueAdmissionReport>().handler(async (event) => {
  const services = await getServices();
  const input = queueAdmissionEvent.safeParse(event);
  if (!input.success) throw new Error(`queue-admission: malformed schedule event: ${input.error.message}`);
  const endpoint = services.realtime.callbackUrl;
  const pusher = endpoint ? services.realtime.pusherFor(endpoint) : undefined;
  const feed = pusher
    ? services.waitingRoom.feedThrough((connectionId, message) =>
        pusher.post(connectionId, JSON.stringify(message)),
      )
    : undefined;
  const report = await services.waitingRoom.ticker.runFor(input.data?.runForMs ?? 55_000, undefined, () =>
    feed ? feed.refresh() : Promise.resolve(),
  );
  services.logger.info(
    { queueAdmission: report },
    report.led ? 'queue admission run finished' : 'another run admits',
  );
  return report;
});
