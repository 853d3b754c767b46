import middy from '@middy/core';
import * as z from 'zod';
import { TicketingError } from '../core/errors';
import { eventSummary } from '../core/realtime';
import { type RelayReport, relayAvailability } from '../core/relay-availability';
import { getServices } from './lambda-runtime';

export interface RelayEvent {
  /** How long this run reads before returning (default 50 s, for a once-a-minute schedule). */
  runForMs?: number;
  /** How long the leader lease lasts unless renewed (default 30 s); it is renewed every third of it. */
  leaseMs?: number;
}

// The scheduler's input (stacks/schedules.ts); checked so a typo cannot make a run endless or leaderless.
const relayEvent = z
  .object({
    runForMs: z
      .number()
      .int()
      .min(1)
      .max(14 * 60_000)
      .optional(),
    leaseMs: z
      .number()
      .int()
      .min(300)
      .max(15 * 60_000)
      .optional(),
  })
  .nullish();

/**
 * The relay Lambda (scheduled): ElastiCache cannot invoke a Lambda, so a bounded-life consumer reads the
 * Redis Stream and calls PostToConnection. One leader at a time; a new run resumes from the stored position.
 */
export const handler = middy<RelayEvent, RelayReport>().handler(async (event) => {
  const services = await getServices();
  const stream = services.realtime.relayStream;
  const endpoint = services.realtime.callbackUrl;
  if (!stream || !endpoint) {
    throw new TicketingError('SERVICE_UNAVAILABLE', 'The relay needs REDIS_URL and WEBSOCKET_CALLBACK_URL');
  }
  const input = relayEvent.safeParse(event);
  if (!input.success) throw new Error(`relay: malformed schedule event: ${input.error.message}`);
  const report = await relayAvailability(
    {
      stream,
      registry: services.realtime.registry,
      pusher: services.realtime.pusherFor(endpoint),
      shards: await services.realtime.relayShardsFor(endpoint),
      // One line per delivered message, carrying the requests that caused it (x-request-id or API GW's).
      observe: ({ message, trace, recipients, delivered, lagMs }) => {
        if (lagMs !== undefined && delivered > 0) services.metrics.deliveryLag(message.type, lagMs / 1000);
        services.logger.info(
          { ...eventSummary(message), requestIds: trace?.requestIds, recipients, delivered, lagMs },
          'relay delivered',
        );
      },
      // A message given up on (too large, throttled or failing after retries, refused, malformed): the
      // stream moves on; the line and the RelaySkipped metric say what was lost for whom.
      onSkip: ({ reason, message, trace, entryId, recipients, bytes, error }) => {
        services.metrics.relaySkipped(reason);
        services.logger.warn(
          {
            ...(message ? eventSummary(message) : {}),
            reason,
            entryId,
            requestIds: trace?.requestIds,
            recipients,
            bytes,
            error,
          },
          'relay skipped a message',
        );
      },
    },
    { runForMs: input.data?.runForMs ?? 50_000, leaseMs: input.data?.leaseMs },
  );
  services.logger.info(
    { relay: report },
    report.leader ? 'relay run finished' : 'another relay leads; nothing to do',
  );
  return report;
});
