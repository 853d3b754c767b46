import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { type ConnectionPusher, PushFailure } from '../../ports/connection-pusher.port';
import { API_GATEWAY_MAX_MESSAGE_BYTES } from './api-gateway-limits';
import { awsClientConfig } from './aws-client-config';

export { API_GATEWAY_MAX_MESSAGE_BYTES };

export interface ApiGatewayPusherOptions {
  /** `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`, or the local shim's URL. */
  endpoint: string;
  region?: string;
  /** Only for a local endpoint, which checks no signature. On AWS the Lambda role's credentials are used. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Ms one PostToConnection may take before it counts as failed (default 5 000; the SDK has none). */
  requestTimeoutMs?: number;
  /**
   * Keep-alive connections to the endpoint (default 200, the relay's concurrency; the SDK's own default of
   * 50 would queue the relay's other posts behind them).
   */
  maxSockets?: number;
  /**
   * Keep the SDK's default per-post work (middleware resolved per send, user-agent and logger
   * middleware): only for the relay benchmark's same-run baseline. Default false.
   */
  sdkDefaults?: boolean;
}

const encoder = new TextEncoder();

/**
 * Middleware of the SDK's default stack that a relay post does not need, each run once per post:
 * the user-agent header (built and escaped per request) and the logger middleware (no logger is
 * configured). Signing, serialisation, content-length, host and error parsing stay: API Gateway needs
 * them. The retry middleware stays too (with one attempt): the signing middleware is placed relative to
 * it, and removing it silently drops signing from the stack.
 */
export const SKIPPED_SDK_MIDDLEWARE = ['getUserAgentMiddleware', 'loggerMiddleware'] as const;

/**
 * PostToConnection through the real SDK client, one attempt per call (the relay retries with its own
 * back-off, so throttling is not multiplied by the SDK's retries). Answers 'sent', or 'gone' for a 410;
 * rejects with a {@link PushFailure}: `too-large` (measured before posting, or 413), `throttled` (429),
 * `refused` (another 4xx) or `unavailable` (5xx, timeout, network).
 */
export class ApiGatewayPusher implements ConnectionPusher {
  readonly maxMessageBytes = API_GATEWAY_MAX_MESSAGE_BYTES;
  private readonly client: ApiGatewayManagementApiClient;

  constructor(options: ApiGatewayPusherOptions) {
    const timeout = options.requestTimeoutMs ?? 5_000;
    this.client = new ApiGatewayManagementApiClient({
      endpoint: options.endpoint,
      ...awsClientConfig(options),
      maxAttempts: 1,
      // Resolve the middleware stack once per command class, not on every send (the SDK's default
      // rebuilds and sorts it per post: the largest share of its per-post CPU in the relay's profile).
      cacheMiddleware: !options.sdkDefaults,
      // Without throwOnRequestTimeout this Smithy version only logs a warning when the time is up.
      requestHandler: {
        requestTimeout: timeout,
        connectionTimeout: timeout,
        throwOnRequestTimeout: true,
        httpAgent: { keepAlive: true, maxSockets: options.maxSockets ?? 200 },
        httpsAgent: { keepAlive: true, maxSockets: options.maxSockets ?? 200 },
      },
    });
    if (!options.sdkDefaults)
      for (const name of SKIPPED_SDK_MIDDLEWARE) this.client.middlewareStack.remove(name);
  }

  /** The middleware the client runs per post, by name and step (for tests: what was removed stays out). */
  middleware(): string[] {
    return this.client.middlewareStack.identify();
  }

  // The last frame and its bytes: the relay posts one frame to many connections in a row, so it is
  // encoded once and the same Uint8Array is the body of every post (the SDK only reads it).
  private lastFrame: string | undefined;
  private lastBytes = new Uint8Array(0);

  async post(connectionId: string, data: string): Promise<'sent' | 'gone'> {
    if (data !== this.lastFrame) {
      this.lastBytes = encoder.encode(data);
      this.lastFrame = data;
    }
    const bytes = this.lastBytes;
    if (bytes.byteLength > this.maxMessageBytes) {
      throw new PushFailure(
        'too-large',
        `${bytes.byteLength} bytes is over API Gateway's ${this.maxMessageBytes}-byte message limit`,
      );
    }
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: bytes }));
      return 'sent';
    } catch (error) {
      // SDK v3 errors carry no statusCode: check the class and the response metadata.
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (error instanceof GoneException || status === 410) return 'gone';
      throw new PushFailure(failureKind(status), `PostToConnection failed: ${describe(error)}`, {
        cause: error,
      });
    }
  }
}

function failureKind(status: number | undefined): PushFailure['kind'] {
  if (status === 413) return 'too-large';
  if (status === 429) return 'throttled';
  // No status: the request timed out or the connection broke before an answer.
  if (status === undefined || status >= 500 || status === 408) return 'unavailable';
  return 'refused';
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === undefined ? `${error.name}: ${error.message}` : `${error.name} (HTTP ${status})`;
}
