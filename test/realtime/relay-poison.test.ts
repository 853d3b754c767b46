import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayPusher } from '../../functions/adapters/aws/apigw-management-pusher';
import type { PrometheusMetrics } from '../../functions/adapters/node/prometheus-metrics';
import { redisKeys } from '../../functions/adapters/redis/redis-keys';
import type { ConcertUpdateMessage, RealtimeMessage } from '../../functions/core/realtime';
import { type RelayReport, relayAvailability } from '../../functions/core/relay-availability';
import { handler as relay } from '../../functions/handlers/relay';
import { PushFailure } from '../../functions/ports/connection-pusher.port';
import { capturingLogger } from '../support/log-capture';
import {
  type ManagementEndpointStandIn,
  STAND_IN_MAX_MESSAGE_BYTES,
  startManagementEndpointStandIn,
} from '../support/management-endpoint-stand-in';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';
import { startTestService, type TestService } from '../support/test-service';

const runRelay = (runForMs = 400) => relay({ runForMs }, {} as never) as Promise<RelayReport>;

function update(concertId: string, version: number, tiers = 1): ConcertUpdateMessage {
  return {
    type: 'concert-update',
    concertId,
    availableTickets: tiers * 100,
    totalBooked: 0,
    tiers: Array.from({ length: tiers }, (_, i) => ({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      available: 100,
      capacity: 100,
    })),
    status: 'on-sale',
    version,
  };
}

describe('the relay isolates a poison message or a failing connection (real SDK client, enforcing stand-in)', () => {
  const prefix = testRedisPrefix();
  const logs = capturingLogger('info');
  let t: TestService;
  let standIn: ManagementEndpointStandIn;
  const POISONED = 'concert-poisoned';
  const HEALTHY = 'concert-healthy';
  let version = 0;

  const publish = (message: RealtimeMessage) =>
    t.service.services.realtime.bus.publish(message, {
      requestIds: ['poison-test'],
      publishedAt: Date.now(),
    });
  const skips = (reason: string) =>
    logs
      .records<{ msg: string; reason?: string }>()
      .filter((line) => line.msg === 'relay skipped a message' && line.reason === reason);
  const skippedMetric = async (reason: string) => {
    const text = await (t.service.services.metrics as PrometheusMetrics).registry.metrics();
    const match = new RegExp(`^realtime_relay_skipped_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
    return Number(match?.[1] ?? 0);
  };
  const lastVersion = (connectionId: string, concertId = HEALTHY) =>
    standIn
      .delivered(connectionId)
      .filter((m) => m.concertId === concertId)
      .at(-1)?.version;

  beforeAll(async () => {
    standIn = await startManagementEndpointStandIn();
    t = await startTestService(
      {
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        REALTIME_COALESCE_MS: '0',
        WEBSOCKET_CALLBACK_URL: standIn.url,
        LOG_LEVEL: 'info',
      },
      { logger: logs.logger },
    );
    await t.service.fanout.stop(); // only the relay delivers
    const { registry } = t.service.services.realtime;
    for (const id of ['fan-a', 'fan-b']) {
      await registry.register(id, { userId: null, admin: false });
      await registry.watch(id, POISONED);
      await registry.watch(id, HEALTHY);
    }
    await runRelay(200); // start from "now"
  });
  afterAll(async () => {
    await t?.close();
    await standIn?.close();
    await dropRedisPrefix(prefix);
  });

  it('skips an update over 128 KB without posting it, logs and counts it, and the position moves on', async () => {
    const poison = update(POISONED, 1, 2_500);
    expect(Buffer.byteLength(JSON.stringify(poison))).toBeGreaterThan(STAND_IN_MAX_MESSAGE_BYTES);
    await publish(poison);
    await publish(update(HEALTHY, ++version));

    const report = await runRelay();

    expect(report.leader).toBe(true);
    expect(standIn.posts.filter((post) => post.bytes > STAND_IN_MAX_MESSAGE_BYTES)).toEqual([]);
    expect(lastVersion('fan-a')).toBe(version);
    expect(lastVersion('fan-b')).toBe(version);
    expect(skips('too-large')).toEqual([
      expect.objectContaining({ type: 'concert-update', concertId: POISONED, recipients: 2 }),
    ]);
    expect(await skippedMetric('too-large')).toBe(1);

    // The next run starts after it: nothing is tried again, later updates flow.
    await publish(update(HEALTHY, ++version));
    await runRelay();
    expect(lastVersion('fan-a')).toBe(version);
    expect(standIn.delivered('fan-a').filter((m) => m.concertId === POISONED)).toEqual([]);
    expect(skips('too-large')).toHaveLength(1);
  });

  it('retries a throttled post (429) with back-off until the endpoint takes it', async () => {
    standIn.script('fan-a', 429, 429, 429);
    const postsBefore = standIn.posts.length;
    await publish(update(HEALTHY, ++version));

    const report = await runRelay();

    expect(report.delivered).toBe(2);
    expect(lastVersion('fan-a')).toBe(version);
    const toFanA = standIn.posts.slice(postsBefore).filter((post) => post.connectionId === 'fan-a');
    expect(toFanA.map((post) => post.status)).toEqual([429, 429, 429, 200]);
  });

  it('gives up on a connection that keeps failing (5xx) after its retries; the others still get the message', async () => {
    standIn.always('fan-b', 503);
    const postsBefore = standIn.posts.length;
    await publish(update(HEALTHY, ++version));

    const report = await runRelay();

    expect(lastVersion('fan-a')).toBe(version);
    expect(report.delivered).toBe(1);
    const toFanB = standIn.posts.slice(postsBefore).filter((post) => post.connectionId === 'fan-b');
    expect(toFanB.length).toBeGreaterThan(1);
    expect(skips('unavailable').at(-1)).toMatchObject({ concertId: HEALTHY, recipients: 1 });
    expect(await skippedMetric('unavailable')).toBeGreaterThanOrEqual(1);

    // Still a watcher: once the endpoint recovers, the next update reaches it.
    standIn.heal('fan-b');
    await publish(update(HEALTHY, ++version));
    await runRelay();
    expect(lastVersion('fan-b')).toBe(version);
  });

  it('does not retry a refused post (403), and keeps the connection', async () => {
    standIn.always('fan-b', 403);
    const postsBefore = standIn.posts.length;
    await publish(update(HEALTHY, ++version));

    await runRelay();

    expect(lastVersion('fan-a')).toBe(version);
    const toFanB = standIn.posts.slice(postsBefore).filter((post) => post.connectionId === 'fan-b');
    expect(toFanB.map((post) => post.status)).toEqual([403]);
    expect(skips('refused').at(-1)).toMatchObject({ concertId: HEALTHY, recipients: 1 });
    expect(await t.service.services.realtime.registry.watchers(HEALTHY)).toContain('fan-b');
    standIn.heal('fan-b');
  });

  it('still drops a connection that answers 410 Gone', async () => {
    const { registry } = t.service.services.realtime;
    await registry.register('fan-gone', { userId: null, admin: false });
    await registry.watch('fan-gone', HEALTHY);
    standIn.always('fan-gone', 410);
    await publish(update(HEALTHY, ++version));

    const report = await runRelay();

    expect(report.gone).toBe(1);
    expect(await registry.watchers(HEALTHY)).not.toContain('fan-gone');
    expect(lastVersion('fan-a')).toBe(version);
  });

  it('skips stream entries that do not parse, logs and counts them, and moves on', async () => {
    const { redis } = t.service.services;
    const stream = redisKeys(prefix).stream;
    await redis?.xadd(stream, '*', 'm', '{not json');
    await redis?.xadd(stream, '*', 'm', '{"type":"concert-update"}');
    await redis?.xadd(stream, '*', 'm', '{"type":"concert-update","concertId":"x","version":"7"}');
    await redis?.xadd(stream, '*', 'other', 'field');
    await publish(update(HEALTHY, ++version));

    const report = await runRelay();

    expect(report.events).toBe(5);
    expect(lastVersion('fan-a')).toBe(version);
    expect(skips('malformed')).toHaveLength(4);
    expect(await skippedMetric('malformed')).toBe(4);
  });

  it('treats an unexpected error from the pusher as a failed post, not a failed run', async () => {
    await publish(update(HEALTHY, ++version));
    const stream = t.service.services.realtime.relayStream;
    if (!stream) throw new Error('the test service has Redis');
    const skipped: string[] = [];

    const report = await relayAvailability(
      {
        stream,
        registry: t.service.services.realtime.registry,
        pusher: {
          post: async (connectionId) => {
            if (connectionId === 'fan-b') throw new TypeError('socket hang up');
            return 'sent';
          },
        },
        onSkip: (skip) => skipped.push(`${skip.reason}:${skip.recipients}`),
      },
      { runForMs: 300, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } },
    );

    expect(report.delivered).toBe(1);
    expect(skipped).toEqual(['unavailable:1']);
    expect(report.position).not.toBeNull();
  });

  it('skips, as out-of-time, posts it cannot start before the run and its overrun end; the position moves on', async () => {
    await publish(update(HEALTHY, ++version));
    const stream = t.service.services.realtime.relayStream;
    if (!stream) throw new Error('the test service has Redis');
    const skipped: string[] = [];
    const runForMs = 1_000;
    let posts = 0;
    // The first post answers only once the run is over: the second may not start.
    const slowFirst = async () => {
      if (++posts === 1) await new Promise((resolve) => setTimeout(resolve, runForMs + 50));
      return 'sent' as const;
    };

    const report = await relayAvailability(
      {
        stream,
        registry: t.service.services.realtime.registry,
        pusher: { post: slowFirst },
        onSkip: (skip) => skipped.push(`${skip.reason}:${skip.recipients}`),
      },
      { runForMs, overrunMs: 0, concurrency: 1 },
    );

    expect(posts).toBe(1);
    expect(report.delivered).toBe(1);
    expect(skipped).toEqual(['out-of-time:1']);
    expect(report.position).not.toBeNull();
    expect(await stream.position()).toBe(report.position);
  });
});

describe('the API Gateway pusher classifies every failure (real SDK client)', () => {
  let standIn: ManagementEndpointStandIn;
  let pusher: ApiGatewayPusher;
  beforeAll(async () => {
    standIn = await startManagementEndpointStandIn();
    pusher = new ApiGatewayPusher({
      endpoint: standIn.url,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestTimeoutMs: 300,
    });
  });
  afterAll(() => standIn?.close());

  it.each([
    [413, 'too-large', false],
    [429, 'throttled', true],
    [500, 'unavailable', true],
    [503, 'unavailable', true],
    [403, 'refused', false],
  ] as const)('a %i is a %s failure (retryable: %s)', async (status, kind, retryable) => {
    standIn.always('c', status);
    const failure = await pusher.post('c', '{}').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PushFailure);
    expect(failure).toMatchObject({ kind, retryable });
    standIn.heal('c');
  });

  it('answers gone for a 410', async () => {
    standIn.always('c', 410);
    expect(await pusher.post('c', '{}')).toBe('gone');
    standIn.heal('c');
  });

  it('refuses a message over 128 KB before posting it', async () => {
    const postsBefore = standIn.posts.length;
    const failure = await pusher
      .post('c', 'x'.repeat(STAND_IN_MAX_MESSAGE_BYTES + 1))
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ kind: 'too-large' });
    expect(standIn.posts.length).toBe(postsBefore);
    expect(await pusher.post('c', 'x'.repeat(STAND_IN_MAX_MESSAGE_BYTES))).toBe('sent');
  });

  it('gives up on a hung endpoint after its request timeout, as unavailable', async () => {
    standIn.always('hung', 'hang');
    const failure = await pusher.post('hung', '{}').catch((error: unknown) => error);
    expect(failure).toMatchObject({ kind: 'unavailable', retryable: true });
  });
});
