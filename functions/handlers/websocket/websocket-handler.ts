import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Services } from '../../composition/services';
import { ConcertSnapshots } from '../../core/concert-snapshots';
import { TicketingError } from '../../core/errors';
import type { ErrorMessage } from '../../core/realtime';
import type { WatcherDeps } from '../../core/watchers.service';
import { getServices } from '../http/runtime';

/** The part of an API Gateway WebSocket event the handlers read. */
export interface WebSocketEvent {
  requestContext: {
    connectionId: string;
    routeKey: string;
    eventType?: string;
    domainName?: string;
    stage?: string;
    requestId?: string;
  };
  body?: string | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  isBase64Encoded?: boolean;
}

export interface WebSocketResult {
  statusCode: number;
  body?: string;
}

export type WebSocketLambda = (event: WebSocketEvent, context: Context) => Promise<WebSocketResult>;

export interface WebSocketCall {
  event: WebSocketEvent;
  services: Services;
  connectionId: string;
  /** Sends a message back to this connection through the management API. */
  reply(message: unknown): Promise<void>;
}

/** The management endpoint: configured (the shim, or set by the stack), else derived from the event. */
export function callbackEndpoint(services: Services, event: WebSocketEvent): string {
  const { domainName, stage } = event.requestContext;
  return services.realtime.callbackUrl ?? `https://${domainName}/${stage}`;
}

const snapshotsByServices = new WeakMap<Services, ConcertSnapshots>();

/**
 * The process's one snapshot cache for joining watchers (both transports, and the shim's fan-out that
 * keeps it fresh): a database read per concert per second at most, whatever the number of joins.
 */
export function concertSnapshots(services: Services): ConcertSnapshots {
  let snapshots = snapshotsByServices.get(services);
  if (!snapshots) {
    snapshots = new ConcertSnapshots(services.storedConcerts, { maxAgeMs: 1_000, maxEntries: 10_000 });
    snapshotsByServices.set(services, snapshots);
  }
  return snapshots;
}

/** What the watcher use cases need, from the process's services. */
export function watcherDeps(services: Services): WatcherDeps {
  return {
    registry: services.realtime.registry,
    snapshots: concertSnapshots(services),
    tokens: services.tokens,
  };
}

export function errorMessage(error: unknown): ErrorMessage {
  return error instanceof TicketingError
    ? { type: 'error', code: error.code, message: error.message }
    : { type: 'error', code: 'INTERNAL', message: 'Something went wrong on our side' };
}

/**
 * Wraps a WebSocket route. A refused `$connect` answers its status (API Gateway then refuses the
 * connection); on message routes an error becomes an `error` message to the client.
 */
export function websocketHandler(
  name: string,
  route: (call: WebSocketCall) => Promise<void>,
  options: { refuseWith?: (error: unknown) => number } = {},
): WebSocketLambda {
  return middy<WebSocketEvent, WebSocketResult>().handler(async (event) => {
    const services = await getServices();
    const connectionId = event.requestContext.connectionId;
    const reply = async (message: unknown) => {
      const pusher = services.realtime.pusherFor(callbackEndpoint(services, event));
      await pusher.post(connectionId, JSON.stringify(message));
    };
    try {
      await route({ event, services, connectionId, reply });
      if (services.config.realtimeCoalesceMs === 0) await services.events.settled();
      return { statusCode: 200 };
    } catch (error) {
      if (!(error instanceof TicketingError))
        services.logger.error({ err: error, route: name, connectionId }, 'websocket route failed');
      if (options.refuseWith) return { statusCode: options.refuseWith(error) };
      await reply(errorMessage(error)).catch((pushError: unknown) =>
        services.logger.warn({ err: pushError, connectionId }, 'could not send the error message'),
      );
      return { statusCode: 200 };
    }
  }) as WebSocketLambda;
}
