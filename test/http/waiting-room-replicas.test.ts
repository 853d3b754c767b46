import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config/service-config';
import { type RunningService, startService } from '../../local/service';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';
import { ApiClient, createCustomers, startTestService, type TestService } from '../support/test-service';

/** Two service instances (replicas) on one database and one Redis prefix, each with its own ticker. */
describe('the waiting room on two replicas sharing PostgreSQL and Redis', () => {
  const prefix = testRedisPrefix();
  let one: TestService;
  let two: RunningService;
  let other: ApiClient;

  beforeAll(async () => {
    const shared = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      QUEUE_JOINS_PER_ADDRESS_PER_MINUTE: '0',
    };
    one = await startTestService(shared);
    two = await startService(
      loadConfig({
        PORT: '0',
        DATABASE_URL: one.database.url,
        DATA_DIR: one.service.services.config.dataDir,
        JWT_SECRET: one.service.services.config.jwtSecret ?? '',
        INSTANCE_ID: 'replica-2',
        LOG_LEVEL: 'silent',
        ...shared,
      }),
    );
    other = new ApiClient(two.url);
  });
  afterAll(async () => {
    await two?.stop(1_000);
    await one?.close();
    await dropRedisPrefix(prefix);
  });

  it('gives each fan one place whichever replica and however often it joins at once, and admits at one rate', async () => {
    const admin = await one.api.adminToken();
    const created = await one.api.request('POST', '/api/concerts', {
      token: admin,
      body: {
        title: 'Two replicas',
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        waitingRoom: { enabled: true, admissionPerMinute: 120, paused: true },
        tiers: [{ name: 'GA', priceCents: 100, capacity: 500 }],
      },
    });
    const concertId = created.body.concert.id as string;
    const fans = await createCustomers(one.service, 60);
    const answers = await Promise.all(
      fans.flatMap((token) =>
        [one.api, other, one.api, other].map((api) =>
          api.request('POST', `/api/concerts/${concertId}/queue`, { token }),
        ),
      ),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(await one.service.services.waitingRoom.deps.store.counts(concertId)).toEqual({
      waiting: 60,
      admitted: 0,
    });
    // Every fan's four answers name the same position.
    const positions = fans.map(
      (_, i) => new Set(answers.slice(i * 4, i * 4 + 4).map((a) => a.body.queue.position)),
    );
    expect(positions.every((set) => set.size === 1)).toBe(true);
    expect(new Set(positions.map((set) => [...set][0])).size).toBe(60);

    // Both replicas run a ticker; one lease: 120 a minute is 2 a second, not 4.
    await one.api.request('PATCH', `/api/admin/concerts/${concertId}/queue`, {
      token: admin,
      body: { paused: false },
    });
    const started = Date.now();
    const db = one.service.services.db;
    for (;;) {
      const [row] = await db.query(
        'SELECT count(*)::integer AS n FROM queue_admissions WHERE concert_id = $1',
        [concertId],
      );
      if (Number(row?.n) >= 6 || Date.now() - started > 10_000) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const elapsed = (Date.now() - started) / 1000;
    const [row] = await db.query(
      'SELECT count(*)::integer AS n FROM queue_admissions WHERE concert_id = $1',
      [concertId],
    );
    // At most rate/60 + 1 a second over the time it took (one ticker), far below what two would admit.
    expect(Number(row?.n)).toBeLessThanOrEqual(Math.ceil(elapsed) * 3);
    expect(elapsed).toBeGreaterThan(1.5); // six fans at two a second cannot take less
  });
});
