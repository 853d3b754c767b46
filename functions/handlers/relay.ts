import middy from '@middy/core';
import { TicketingError } from '../core/errors';
import { eventSummary } from '../core/realtime';
import { type RelayReport, relayAvailability } from '../core/relay-availability';
import { getServices } from './http/runtime';

export interface RelayEvent {
  /** How long this run reads before returning (default 50 s, for a once-a-minute schedule). */
  runForMs?: number;
}

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
  const report = await relayAvailability(
    {
      stream,
      registry: services.realtime.registry,
      pusher: services.realtime.pusherFor(endpoint),
      // One line per delivered message, carrying the requests that caused it (x-request-id or API GW's).
      observe: ({ message, trace, recipients, delivered, lagMs }) => {
        if (lagMs !== undefined && delivered > 0) services.metrics.deliveryLag(message.type, lagMs / 1000);
        services.logger.info(
          { ...eventSummary(message), requestIds: trace?.requestIds, recipients, delivered, lagMs },
          'relay delivered',
        );
      },
    },
    { runForMs: event?.runForMs ?? 50_000 },
  );
  services.logger.info(
    { relay: report },
    report.leader ? 'relay run finished' : 'another relay leads; nothing to do',
  );
  return report;
});
