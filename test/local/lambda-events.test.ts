import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgDatabase } from '../../functions/adapters/postgres/pg-database';
import { migrate } from '../../functions/db/migrate';
import { buildLambdas } from '../../tools/build-lambdas';
import { type FakeEndpoint, type FakeResponse, startFakeAwsEndpoint } from '../support/fake-aws-endpoint';
import { fakeLambdaContext } from '../support/lambda-context';
import { type LocalDataApi, startLocalDataApi } from '../support/local-data-api';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';

const JWT_KEY = randomBytes(32).toString('hex');
const context = fakeLambdaContext({ awsRequestId: 'req-1' });

const httpEvent = (
  method: string,
  path: string,
  options: {
    body?: unknown;
    token?: string;
    pathParameters?: Record<string, string>;
    query?: Record<string, string>;
  } = {},
) => ({
  version: '2.0',
  routeKey: `${method} ${path}`,
  rawPath: path,
  rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
  headers: {
    'content-type': 'application/json',
    'user-agent': 'vitest',
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  },
  ...(options.query ? { queryStringParameters: options.query } : {}),
  ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
  requestContext: {
    accountId: '123456789012',
    apiId: 'abc123',
    domainName: 'abc123.execute-api.ap-southeast-1.amazonaws.com',
    domainPrefix: 'abc123',
    http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'vitest' },
    requestId: `req-${Math.random()}`,
    routeKey: `${method} ${path}`,
    stage: '$default',
    time: new Date().toUTCString(),
    timeEpoch: Date.now(),
  },
  body: options.body === undefined ? undefined : JSON.stringify(options.body),
  isBase64Encoded: false,
});

const wsEvent = (routeKey: string, connectionId: string, extra: Record<string, unknown> = {}) => ({
  requestContext: {
    routeKey,
    eventType: routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE',
    connectionId,
    domainName: 'ws123.execute-api.ap-southeast-1.amazonaws.com',
    stage: 'live',
    requestId: 'ws-req',
    apiId: 'ws123',
    connectedAt: Date.now(),
  },
  isBase64Encoded: false,
  ...extra,
});

/** What EventBridge Scheduler hands a target: the schedule's `input`, as is. */
const schedulerInput = (input: Record<string, unknown> = {}) => input;

describe('every bundled Lambda, invoked in this process with AWS-shaped events, against local services', () => {
  const prefix = testRedisPrefix();
  let database: TestDatabase;
  let dataApi: LocalDataApi;
  let aws: FakeEndpoint;
  let bundles: string;
  const load = async (name: string) =>
    (await import(pathToFileURL(resolve(bundles, name, 'index.mjs')).href)) as {
      handler: (event: unknown, context: unknown) => Promise<any>;
    };
  const posts: Array<{ connectionId: string; body: any }> = [];
  const mails: URLSearchParams[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const db = new PgDatabase({ connectionString: database.url, maxConnections: 1 });
    await migrate(db);
    await db.close();
    dataApi = await startLocalDataApi(database.url);
    aws = await startFakeAwsEndpoint();
    // One endpoint plays Secrets Manager, SES, AWS Backup and the WebSocket management API.
    aws.respond = (request): FakeResponse => {
      if (request.headers['x-amz-target'] === 'secretsmanager.GetSecretValue') {
        return {
          status: 200,
          headers: { 'content-type': 'application/x-amz-json-1.1' },
          body: JSON.stringify({ SecretString: JWT_KEY }),
        };
      }
      const connection = /^\/@connections\/([^/?]+)/.exec(request.path);
      if (connection) {
        if (connection[1] === 'gone')
          return {
            status: 410,
            headers: { 'x-amzn-errortype': 'GoneException' },
            body: '{"message":"Gone"}',
          };
        posts.push({ connectionId: decodeURIComponent(connection[1] ?? ''), body: JSON.parse(request.body) });
        return { status: 200, body: '' };
      }
      if (request.path.includes('/recovery-points')) {
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            RecoveryPoints: [
              { RecoveryPointArn: 'rp-1', Status: 'COMPLETED', CreationDate: Date.now() / 1000 },
            ],
          }),
        };
      }
      if (request.body.includes('Action=SendEmail')) {
        mails.push(new URLSearchParams(request.body));
        return {
          status: 200,
          headers: { 'content-type': 'text/xml' },
          body: '<SendEmailResponse><SendEmailResult><MessageId>m</MessageId></SendEmailResult></SendEmailResponse>',
        };
      }
      return {
        status: 400,
        body: '{"message":"unexpected"}',
        headers: { 'x-amzn-errortype': 'ValidationException' },
      };
    };
    Object.assign(process.env, {
      NODE_ENV: 'production',
      AWS_REGION: 'ap-southeast-1',
      AWS_LAMBDA_FUNCTION_NAME: 'cts-test',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      LOG_LEVEL: 'silent',
      DATA_API_RESOURCE_ARN: 'arn:aws:rds:ap-southeast-1:123456789012:cluster:cts-test-db',
      DATA_API_SECRET_ARN: 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:db',
      DATA_API_DATABASE: database.name,
      DATA_API_ENDPOINT: dataApi.url,
      JWT_SECRET_ARN: 'arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:jwt',
      SECRETS_MANAGER_ENDPOINT: aws.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      WEBSOCKET_CALLBACK_URL: aws.url,
      SES_REGION: 'ap-southeast-1',
      SES_ENDPOINT: aws.url,
      BACKUP_VERIFY_RESOURCE_ARN: 'arn:aws:rds:ap-southeast-1:123456789012:cluster:cts-test-db',
      AWS_BACKUP_ENDPOINT: aws.url,
      ADMIN_EMAIL: 'boss@example.test',
      ADMIN_PASSWORD: 'boss-password',
      TICKETS_PER_USER_LIMIT: '0',
      EMAIL_FROM: 'box-office@example.test',
    });
    bundles = await mkdtemp(join(tmpdir(), 'cts-events-'));
    await buildLambdas(bundles);
  });
  afterAll(async () => {
    await aws?.close();
    await dataApi?.close();
    await database?.drop();
    await dropRedisPrefix(prefix);
  });

  it('serves a whole purchase through the HTTP API functions, over the Data API', async () => {
    const call = async (name: string, event: unknown) => {
      const result = await (await load(name)).handler(event, context);
      return { status: result.statusCode as number, body: JSON.parse(result.body) };
    };
    expect(await call('health', httpEvent('GET', '/health'))).toEqual({
      status: 200,
      body: { status: 'ok' },
    });
    expect((await call('ready', httpEvent('GET', '/ready'))).body.checks).toEqual({
      database: true,
      redis: true,
    });
    const admin = (
      await call(
        'auth-login',
        httpEvent('POST', '/api/auth/login', {
          body: { email: 'boss@example.test', password: 'boss-password' },
        }),
      )
    ).body.token;
    const fan = (
      await call(
        'auth-register',
        httpEvent('POST', '/api/auth/register', {
          body: { email: 'aws-fan@example.test', password: 'password-1', name: 'Fan' },
        }),
      )
    ).body.token;
    const created = await call(
      'concerts-create',
      httpEvent('POST', '/api/concerts', {
        token: admin,
        body: {
          title: 'Cloud Gig',
          artist: 'Lambdas',
          venue: 'Region Hall',
          startsAt: new Date(Date.now() + 30 * 3600_000).toISOString(),
          tiers: [{ name: 'GA', priceCents: 1500, capacity: 5 }],
        },
      }),
    );
    expect(created.status).toBe(201);
    const concert = created.body.concert;
    const patched = await call(
      'concerts-update',
      httpEvent('PATCH', '/api/concerts/{id}', {
        token: admin,
        pathParameters: { id: concert.id },
        body: { venue: 'Bigger Hall' },
      }),
    );
    expect(patched.body.concert.venue).toBe('Bigger Hall');
    expect((await call('concerts-list', httpEvent('GET', '/api/concerts'))).body.concerts).toHaveLength(1);

    const hold = await call(
      'reservations-create',
      httpEvent('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0].id, quantity: 2 },
      }),
    );
    expect(hold.status).toBe(201);
    const id = hold.body.reservation.id;
    expect(
      (
        await call(
          'reservations-get',
          httpEvent('GET', '/api/reservations/{id}', { token: fan, pathParameters: { id } }),
        )
      ).body.reservation.status,
    ).toBe('held');
    const confirmed = await call(
      'reservations-confirm',
      httpEvent('POST', '/api/reservations/{id}/confirm', { token: fan, pathParameters: { id } }),
    );
    expect(confirmed.body.tickets).toHaveLength(2);
    const second = await call(
      'reservations-create',
      httpEvent('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0].id, quantity: 1 },
      }),
    );
    const cancelled = await call(
      'reservations-cancel',
      httpEvent('DELETE', '/api/reservations/{id}', {
        token: fan,
        pathParameters: { id: second.body.reservation.id },
      }),
    );
    expect(cancelled.body.reservation.status).toBe('cancelled');
    expect(
      (await call('me-reservations', httpEvent('GET', '/api/me/reservations', { token: fan }))).body
        .reservations,
    ).toHaveLength(2);
    expect(
      (await call('me-tickets', httpEvent('GET', '/api/me/tickets', { token: fan }))).body.tickets,
    ).toHaveLength(2);
    const got = await call(
      'concerts-get',
      httpEvent('GET', '/api/concerts/{id}', { pathParameters: { id: concert.id } }),
    );
    expect(got.body.concert).toMatchObject({ availableTickets: 3, totalBooked: 2 });

    // The ALB's single target answers the same route from an ALB event.
    const alb = await (await load('alb-api')).handler(
      {
        requestContext: {
          elb: {
            targetGroupArn: 'arn:aws:elasticloadbalancing:ap-southeast-1:123456789012:targetgroup/cts-api/1',
          },
        },
        httpMethod: 'GET',
        path: `/api/concerts/${concert.id}`,
        queryStringParameters: {},
        headers: { host: 'cts-alb.example', 'x-forwarded-for': '198.51.100.4' },
        body: '',
        isBase64Encoded: false,
      },
      context,
    );
    expect(alb.statusCode).toBe(200);
    expect(JSON.parse(alb.body).concert.id).toBe(concert.id);
    const albMissing = await (await load('alb-api')).handler(
      {
        requestContext: { elb: { targetGroupArn: 'x' } },
        httpMethod: 'GET',
        path: '/nowhere',
        headers: {},
        body: '',
        isBase64Encoded: false,
      },
      context,
    );
    expect(albMissing.statusCode).toBe(404);

    // WebSocket API: connect, join (snapshot pushed through PostToConnection), then the relay delivers.
    expect(
      await (await load('ws-connect')).handler(
        wsEvent('$connect', 'conn-1', { queryStringParameters: { token: admin } }),
        context,
      ),
    ).toEqual({ statusCode: 200 });
    await (await load('ws-message')).handler(
      wsEvent('join-concert', 'conn-1', {
        body: JSON.stringify({ action: 'join-concert', concertId: concert.id }),
      }),
      context,
    );
    await (await load('ws-message')).handler(
      wsEvent('join-admin', 'conn-1', { body: '{"action":"join-admin"}' }),
      context,
    );
    expect(posts.find((p) => p.connectionId === 'conn-1')?.body).toMatchObject({
      type: 'concert-update',
      availableTickets: 3,
    });
    expect(
      await (await load('ws-connect')).handler(
        wsEvent('$connect', 'conn-bad', { queryStringParameters: { token: 'forged' } }),
        context,
      ),
    ).toEqual({ statusCode: 401 });
    // The shim's rule on AWS too: a Bearer header is taken; a repeated or disagreeing token refused.
    expect(
      await (await load('ws-connect')).handler(
        wsEvent('$connect', 'conn-bearer', { headers: { Authorization: `Bearer ${admin}` } }),
        context,
      ),
    ).toEqual({ statusCode: 200 });
    expect(
      await (await load('ws-connect')).handler(
        wsEvent('$connect', 'conn-two', {
          queryStringParameters: { token: admin },
          headers: { authorization: 'Bearer someone-else' },
        }),
        context,
      ),
    ).toEqual({ statusCode: 401 });
    expect(
      await (await load('ws-connect')).handler(
        wsEvent('$connect', 'conn-repeated', {
          queryStringParameters: { token: admin },
          multiValueQueryStringParameters: { token: [admin, 'forged'] },
        }),
        context,
      ),
    ).toEqual({ statusCode: 401 });

    posts.length = 0;
    await call(
      'reservations-create',
      httpEvent('POST', '/api/reservations', {
        token: fan,
        body: { concertId: concert.id, tierId: concert.tiers[0].id, quantity: 1 },
      }),
    );
    const relay = await (await load('relay')).handler(schedulerInput({ runForMs: 500 }), context);
    expect(relay.leader).toBe(true);
    expect(posts.map((p) => p.body)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'concert-update', availableTickets: 2 }),
        expect.objectContaining({ type: 'admin-notification', event: 'new-reservation' }),
      ]),
    );
    expect(await (await load('ws-disconnect')).handler(wsEvent('$disconnect', 'conn-1'), context)).toEqual({
      statusCode: 200,
    });

    // Scheduled jobs, as EventBridge Scheduler invokes them.
    for (const job of ['expire-holds', 'reminders', 'daily-report', 'weekly-housekeeping', 'backup']) {
      const report = await (await load(`job-${job}`)).handler(schedulerInput(), context);
      expect(report, job).toMatchObject({ job, outcome: 'succeeded' });
    }
    expect(mails.some((mail) => mail.get('Message.Subject.Data')?.startsWith('Reminder: Cloud Gig'))).toBe(
      true,
    );
    expect(mails.some((mail) => mail.get('Message.Subject.Data')?.startsWith('Daily sales report'))).toBe(
      true,
    );
    const report = await call(
      'admin-daily-report',
      httpEvent('GET', '/api/admin/reports/daily', { token: admin }),
    );
    expect(report.body.report.concerts[0]).toMatchObject({ title: 'Cloud Gig', soldToDate: 2 });
    expect(dataApi.statements).toBeGreaterThan(20);
  }, 180_000);
});
