import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The body's length in bytes, as sent (a limit such as API Gateway's 128 KB is counted in bytes). */
  bytes: number;
}

export interface FakeResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export interface FakeEndpoint {
  url: string;
  requests: RecordedRequest[];
  /** A promise that never settles leaves the request hanging, as a stalled service does. */
  respond: (request: RecordedRequest) => FakeResponse | Promise<FakeResponse>;
  close(): Promise<void>;
}

/**
 * A local HTTP endpoint that answers the way an AWS service does, so the real SDK client (signing,
 * serialization, error parsing) runs unchanged against it. Only what AWS itself is cannot run here.
 */
export async function startFakeAwsEndpoint(): Promise<FakeEndpoint> {
  const endpoint: FakeEndpoint = {
    url: '',
    requests: [],
    respond: () => ({ status: 500, body: '' }),
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const request = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: raw.toString(),
        bytes: raw.length,
      };
      endpoint.requests.push(request);
      void Promise.resolve(endpoint.respond(request)).then(({ status, body, headers }) => {
        if (res.destroyed) return;
        res.writeHead(status, { 'x-amzn-requestid': 'local-request', ...headers });
        res.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  endpoint.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections(); // hung requests too
    });
  return endpoint;
}
