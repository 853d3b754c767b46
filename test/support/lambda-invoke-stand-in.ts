import { type FakeEndpoint, type FakeResponse, startFakeAwsEndpoint } from './fake-aws-endpoint';

/** Lambda quota: "Invocation payload (request and response): 6 MB each … (synchronous)". */
export const STAND_IN_MAX_INVOKE_BYTES = 6 * 1024 * 1024;

export interface InvocationRecord {
  functionName: string;
  invocationType: string | undefined;
  bytes: number;
  /** How it was answered: ok, function-error, throttled, too-large. */
  answer: 'ok' | 'function-error' | 'throttled' | 'too-large';
}

export interface LambdaInvokeStandIn {
  url: string;
  invocations: InvocationRecord[];
  /** The next `count` invocations answer 429 TooManyRequestsException (the function does not run). */
  throttle(count: number): void;
  /** The next `count` invocations run a handler that throws (X-Amz-Function-Error: Unhandled). */
  failNext(count: number): void;
  close(): Promise<void>;
}

/**
 * A stand-in for Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`) that runs
 * `handler` in this process, so the real `@aws-sdk/client-lambda` client (signing, serialisation, error
 * parsing) runs unchanged: a thrown handler answers 200 with `X-Amz-Function-Error: Unhandled` and the
 * error as payload, a request over 6 MB answers 413 RequestEntityTooLargeException, and a test can make it
 * throttle (429 TooManyRequestsException), as Lambda does.
 */
export async function startLambdaInvokeStandIn(
  handler: (event: unknown, functionName: string) => Promise<unknown>,
): Promise<LambdaInvokeStandIn> {
  const endpoint: FakeEndpoint = await startFakeAwsEndpoint();
  const invocations: InvocationRecord[] = [];
  let throttled = 0;
  let failing = 0;
  const error = (status: number, type: string, message: string): FakeResponse => ({
    status,
    body: JSON.stringify({ Type: 'User', message }),
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
  });
  endpoint.respond = async (request) => {
    const match = /^\/2015-03-31\/functions\/([^/?]+)\/invocations/.exec(request.path);
    if (request.method !== 'POST' || !match?.[1]) return error(404, 'ResourceNotFoundException', 'no route');
    const functionName = decodeURIComponent(match[1]);
    const invocationType = request.headers['x-amz-invocation-type'] as string | undefined;
    const record = (answer: InvocationRecord['answer']) =>
      invocations.push({ functionName, invocationType, bytes: request.bytes, answer });
    if (request.bytes > STAND_IN_MAX_INVOKE_BYTES) {
      record('too-large');
      return error(413, 'RequestEntityTooLargeException', 'Request must be smaller than 6291456 bytes');
    }
    if (throttled > 0) {
      throttled--;
      record('throttled');
      return error(429, 'TooManyRequestsException', 'Rate Exceeded.');
    }
    try {
      if (failing > 0) {
        failing--;
        throw new Error('the shard function crashed');
      }
      const result = await handler(JSON.parse(request.body), functionName);
      record('ok');
      return {
        status: 200,
        body: JSON.stringify(result ?? null),
        headers: { 'x-amz-executed-version': '$LATEST' },
      };
    } catch (thrown) {
      record('function-error');
      const e = thrown instanceof Error ? thrown : new Error(String(thrown));
      return {
        status: 200,
        body: JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] }),
        headers: { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
      };
    }
  };
  return {
    url: endpoint.url,
    invocations,
    throttle: (count) => {
      throttled = count;
    },
    failNext: (count) => {
      failing = count;
    },
    close: () => endpoint.close(),
  };
}
