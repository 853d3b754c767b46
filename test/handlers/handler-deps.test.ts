import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { runtimePolicy } from '../../functions/composition/runtime-policy';
import type { Services } from '../../functions/composition/services';
import { loadConfig } from '../../functions/config/service-config';
import { httpHandler } from '../../functions/handlers/http/http-handler';
import { useServices } from '../../functions/handlers/lambda-runtime';
import { fakeLambdaContext } from '../support/lambda-context';

const HANDLERS = join(__dirname, '../../functions/handlers');

const event = {
  version: '2.0',
  routeKey: 'GET /probe',
  rawPath: '/probe',
  rawQueryString: '',
  headers: {},
  requestContext: {
    http: { method: 'GET', path: '/probe', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 't' },
    requestId: 'probe-1',
  },
  isBase64Encoded: false,
} as unknown as APIGatewayProxyEventV2;

/** Just enough of a process's services for the wrapper, with markers for the parts a route may get. */
function fakeServices(onAnswer: () => Promise<void> = async () => {}): Services {
  return {
    logger: pino({ level: 'silent' }),
    tokens: {},
    metrics: { request: () => {} },
    beforeAnswer: onAnswer,
    db: 'the raw database',
    redis: 'the raw redis client',
    config: 'the configuration',
    concerts: 'concerts',
    concertAdmin: 'concertAdmin',
    reservations: 'reservations',
  } as unknown as Services;
}

describe('handlers get only the dependencies they name', () => {
  it('hands a route exactly the named parts, and the answer waits for beforeAnswer', async () => {
    let answered = false;
    useServices(
      fakeServices(async () => {
        answered = true;
      }),
    );
    let seen: string[] = [];
    const lambda = httpHandler('probe', ['concerts', 'concertAdmin'], async (_request, deps) => {
      seen = Object.keys(deps).sort();
      return { status: 200, body: { ok: true } };
    });
    const response = await lambda(event, fakeLambdaContext());
    expect(response.statusCode).toBe(200);
    expect(seen).toEqual(['concertAdmin', 'concerts']);
    expect(answered).toBe(true);
  });

  it('lets no route name the raw database, Redis or the configuration (checked by tsc)', () => {
    httpHandler('probe', ['concerts'], async (_request, deps) => {
      // @ts-expect-error a route cannot reach the raw database
      void deps.db;
      // @ts-expect-error nor a dependency it did not name
      void deps.reservations;
      return { status: 200, body: {} };
    });
    // @ts-expect-error `db` is no handler dependency
    httpHandler('probe', ['db'], async () => ({ status: 200, body: {} }));
    // @ts-expect-error nor is `redis`
    httpHandler('probe', ['redis'], async () => ({ status: 200, body: {} }));
    // @ts-expect-error nor `config` (it holds the secrets)
    httpHandler('probe', ['config'], async () => ({ status: 200, body: {} }));
  });

  it('no handler module reaches for the whole services bag', async () => {
    const files = (await readdir(HANDLERS)).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(20);
    const offenders: string[] = [];
    for (const file of files) {
      // The relay and the waiting room's admission step are scheduled consumers, not routes: each builds
      // its own run from the services (relay-shard: the relay's own shard, invoked by it, takes its
      // pusher). The runtime itself builds the services for every handler kind.
      if (['relay.ts', 'relay-shard.ts', 'queue-admission.ts', 'lambda-runtime.ts'].includes(file)) continue;
      const source = await readFile(join(HANDLERS, file), 'utf8');
      if (/composition\/|lambda-runtime'/.test(source)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});

describe('the runtime, stated by the entry point, decides publishing and hold expiry', () => {
  const config = (coalesce?: string) =>
    loadConfig(coalesce === undefined ? {} : { REALTIME_COALESCE_MS: coalesce });

  it('on Lambda: every change published before the answer, whatever REALTIME_COALESCE_MS says', () => {
    for (const setting of [undefined, '0', '150']) {
      expect(runtimePolicy('lambda', config(setting))).toEqual({
        runtime: 'lambda',
        coalesceMs: 0,
        publishBeforeAnswer: true,
        expireHoldsOnTime: false,
        startupChecks: false,
      });
    }
  });

  it('on a server: coalesced per REALTIME_COALESCE_MS (default 150 ms, also with AWS_LAMBDA_FUNCTION_NAME set)', () => {
    expect(runtimePolicy('server', config())).toMatchObject({ coalesceMs: 150, publishBeforeAnswer: false });
    expect(
      runtimePolicy('server', loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'cts-prod-health' })),
    ).toMatchObject({ coalesceMs: 150, publishBeforeAnswer: false, expireHoldsOnTime: true });
    expect(runtimePolicy('server', config('0'))).toEqual({
      runtime: 'server',
      coalesceMs: 0,
      publishBeforeAnswer: true,
      expireHoldsOnTime: true,
      startupChecks: true,
    });
  });
});
