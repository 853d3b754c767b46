import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config/service-config';
import { type RunningService, startService } from '../../local/service';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { rawClient } from '../support/realtime-clients';
import { ApiClient, TEST_ADMIN } from '../support/test-service';

describe('holds made before a restart still run out on time, and watchers see it', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  const running: RunningService[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      PORT: '0',
      DATABASE_URL: database.url,
      DATA_DIR: await mkdtemp(join(tmpdir(), 'cts-restart-')),
      JWT_SECRET: randomBytes(32).toString('hex'),
      ADMIN_EMAIL: TEST_ADMIN.email,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      LOG_LEVEL: 'silent',
      HOLD_TTL_SECONDS: '4',
    };
  });
  afterAll(async () => {
    for (const service of running) await service.stop(1_000);
    await database?.drop();
  });

  const start = async () => {
    const service = await startService(loadConfig(env));
    running.push(service);
    return { service, api: new ApiClient(service.url) };
  };

  it('re-arms the on-time release at start-up from the database', async () => {
    const before = await start();
    const admin = await before.api.adminToken();
    const fan = await before.api.register('restart@example.test');
    const concert = await before.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 2 }]);
    const hold = await before.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 2 },
    });
    expect(hold.status).toBe(201);
    await before.service.stop(1_000);

    const after = await start();
    const watcher = await rawClient(after.service.url);
    try {
      watcher.send({ action: 'join-concert', concertId: concert.id });
      await watcher.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 0);
      // Nothing else happens: no sale, no job. The released tickets reach the watcher by themselves.
      await watcher.inbox.next((m) => m.type === 'concert-update' && m.availableTickets === 2, 15_000);
      const stale = await after.api.request('GET', `/api/reservations/${hold.body.reservation.id}`, {
        token: fan,
      });
      expect(stale.body.reservation.status).toBe('expired');
    } finally {
      watcher.close();
    }
  }, 60_000);
});
