import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Services } from '../../composition/services';
import type { ConcertSnapshots } from '../../core/concert-snapshots';
import { TicketingError } from '../../core/errors';
import type { ErrorMessage } from '../../core/realtime';
import type { WatcherDeps } from '../../core/watchers.service';
import { PushFailure } from '../../ports/connection-pusher.port';
import { getServices } from '../lambda-runtime';

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
  /** `$connect` only: every value of each query parameter (API Gateway sends both forms). */
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  /** `$connect` only: the upgrade request's headers. */
  headers?: Record<string, string | undefined> | null;
  isBase64Encoded?: boolean;
}

export interface WebSocketResult {
  statusCode: number;
  body?: string;
}

export type WebSocketLambda = (event: WebSocketEvent, context: Context) => Promise<WebSocketResult>;

/** What a WebSocket route is handed: its event, the watcher use cases' dependencies, and a way to answer. */
export interface WebSocketCall {
  event: WebSocketEvent;
  watchers: WatcherDeps;
  connectionId: string;
  /** Sends a message back to this connection through the management API. */
  reply(message: unknown): Promise<void>;
}

/** The management endpoint: configured (the shim, or set by the stack), else derived from the event. */
export function callbackEndpoint(services: Services, event: WebSocketEvent): string {
  const { domainName, stage } = event.requestContext;
  return services.realtime.callbackUrl ?? `https://${domainName}/${stage}`;
}

/**
 * The process's one snapshot cache for joining watchers (both transports, and the shim's fan-out that
 * keeps it fresh): a database read per concert per second at most, whatever the number of joins; emptied
 * for a concert when this process commits a change to it.
 */
export function concertSnapshots(services: Services): ConcertSnapshots {
  return services.realtime.snapshots;
}

/** What the watcher use cases need, from the process's services (the same object every call). */
export function watcherDeps(services: Services): WatcherDeps {
  return services.watchers;
}

/**
 * The `error` message for a failure: a TicketingError keeps its code; a PushFailure (a post back to the
 * connection failed, see {@link pushFailureMessage}) says why; anything else is INTERNAL, with no detail.
 */
export function errorMessage(error: unknown): ErrorMessage {
  if (error instanceof TicketingError) return { type: 'error', code: error.code, message: error.message };
  if (error instanceof PushFailure) return pushFailureMessage(error);
  return { type: 'error', code: 'INTERNAL', message: 'Something went wrong on our side' };
}

/**
 * What a client is told when the answer meant for it could not be posted: `too-large` (over API Gateway's
 * 128 KB message limit, HTTP 413) is PAYLOAD_TOO_LARGE; `throttled` (429) and `unavailable` (5xx, timeout)
 * are SERVICE_UNAVAILABLE (try again); `refused` (another 4xx) too, though it will rarely get through.
 */
export function pushFailureMessage(failure: PushFailure): ErrorMessage {
  return failure.kind === 'too-large'
    ? {
        type: 'error',
        code: 'PAYLOAD_TOO_LARGE',
        message: 'The answer is larger than one WebSocket message may be (128 KB): it cannot be sent',
      }
    : {
        type: 'error',
        code: 'SERVICE_UNAVAILABLE',
        message: 'The answer could not be delivered to this connection: try again shortly',
      };
}

/**
 * Wraps a WebSocket route. A refused `$connect` answers its status (API Gateway then refuses the
 * connection); on message routes an error becomes an `error` message to the client. A post back to this
 * one connection that fails (a PushFailure: too large, throttled, unavailable, refused) is that
 * connection's trouble, not the service's: logged as a warning and answered PAYLOAD_TOO_LARGE or
 * SERVICE_UNAVAILABLE (a `refused` endpoint is not posted to again), never INTERNAL.
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
      await route({ event, watchers: services.watchers, connectionId, reply });
      // On Lambda the container freezes after the answer: what the route announced must go out first.
      await services.beforeAnswer();
      return { statusCode: 200 };
    } catch (error) {
      if (error instanceof PushFailure) {
        services.logger.warn(
          { err: error, route: name, connectionId, kind: error.kind },
          'could not post the answer to the connection',
        );
        if (options.refuseWith) return { statusCode: options.refuseWith(error) };
        if (error.kind !== 'refused') {
          await reply(pushFailureMessage(error)).catch((pushError: unknown) =>
            services.logger.warn({ err: pushError, connectionId }, 'could not send the error message'),
          );
        }
        return { statusCode: 200 };
      }
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
