import { type FakeEndpoint, type FakeResponse, startFakeAwsEndpoint } from './fake-aws-endpoint';

/** API Gateway WebSocket quota: "Message payload size: 128 KB" (frames of 32 KB each). */
export const STAND_IN_MAX_MESSAGE_BYTES = 128 * 1024;

export interface PostedFrame {
  connectionId: string;
  /** The frame as received, decoded as UTF-8. */
  data: string;
  bytes: number;
  /** The status the stand-in answered; 0 while it hangs. */
  status: number;
  /** Epoch ms when the post was received (its answer goes `delayMs` later). */
  receivedAt: number;
}

export interface StandInOptions {
  /** Every answer waits this long (ms), as API Gateway's own round trip does; default 0. */
  delayMs?: number;
}

export interface ManagementEndpointStandIn {
  url: string;
  /** Every `POST /@connections/{id}` received, in order, with the answer given. */
  posts: PostedFrame[];
  /** Frames accepted (200) for one connection, parsed. */
  delivered(connectionId: string): Array<Record<string, unknown>>;
  /** The next posts to `connectionId` answer these statuses, in order; then it accepts again. */
  script(connectionId: string, ...statuses: number[]): void;
  /** Every post to `connectionId` answers `status` (or hangs, with `'hang'`) until {@link heal}. */
  always(connectionId: string, status: number | 'hang'): void;
  heal(connectionId: string): void;
  close(): Promise<void>;
}

// restJson1 error shapes of the API Gateway Management API (the SDK reads `x-amzn-errortype`).
const ERRORS: Record<number, string> = {
  403: 'ForbiddenException',
  410: 'GoneException',
  413: 'PayloadTooLargeException',
  429: 'LimitExceededException',
  500: 'InternalServerErrorException',
  503: 'ServiceUnavailableException',
};

/**
 * A stand-in for the API Gateway Management API's PostToConnection that enforces what AWS enforces: a
 * message over 128 KB answers 413, and a test can make it throttle (429), fail (5xx), refuse (403),
 * forget a connection (410) or hang. Any connection id it is not told about is accepted.
 */
export async function startManagementEndpointStandIn(
  options: StandInOptions = {},
): Promise<ManagementEndpointStandIn> {
  const delayMs = options.delayMs ?? 0;
  const endpoint: FakeEndpoint = await startFakeAwsEndpoint();
  const scripts = new Map<string, Array<number>>();
  const fixed = new Map<string, number | 'hang'>();
  const posts: PostedFrame[] = [];
  const answer = (status: number): FakeResponse =>
    status === 200
      ? { status, body: '' }
      : {
          status,
          body: JSON.stringify({ message: ERRORS[status] ?? 'error' }),
          headers: { 'content-type': 'application/json', 'x-amzn-errortype': ERRORS[status] ?? 'Error' },
        };
  endpoint.respond = (request) => {
    const answered = respond(request);
    return delayMs > 0
      ? new Promise<FakeResponse>((resolve) => setTimeout(() => resolve(answered), delayMs))
      : answered;
  };
  const respond = (request: Parameters<FakeEndpoint['respond']>[0]): FakeResponse | Promise<FakeResponse> => {
    const receivedAt = Date.now();
    const match = /^\/@connections\/([^/?]+)$/.exec(request.path);
    if (request.method !== 'POST' || !match?.[1]) return answer(403);
    const connectionId = decodeURIComponent(match[1]);
    const always = fixed.get(connectionId);
    if (always === 'hang') {
      posts.push({ connectionId, data: request.body, bytes: request.bytes, status: 0, receivedAt });
      return new Promise<FakeResponse>(() => undefined);
    }
    let status = always ?? scripts.get(connectionId)?.shift() ?? 200;
    if (status === 200 && request.bytes > STAND_IN_MAX_MESSAGE_BYTES) status = 413;
    posts.push({ connectionId, data: request.body, bytes: request.bytes, status, receivedAt });
    return answer(status);
  };
  return {
    url: endpoint.url,
    posts,
    delivered: (connectionId) =>
      posts
        .filter((post) => post.connectionId === connectionId && post.status === 200)
        .map((post) => JSON.parse(post.data) as Record<string, unknown>),
    script: (connectionId, ...statuses) => {
      scripts.set(connectionId, [...(scripts.get(connectionId) ?? []), ...statuses]);
    },
    always: (connectionId, status) => {
      fixed.set(connectionId, status);
    },
    heal: (connectionId) => {
      fixed.delete(connectionId);
      scripts.delete(connectionId);
    },
    close: () => endpoint.close(),
  };
}
