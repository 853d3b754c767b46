/**
 * Found by bench/waiting-room.ts (issue 20): 20,000 fans joining at on-sale made two database reads each
 * (the account re-check of a fan's token, and the durable admission of a new place after the sale
 * opened), one statement per fan, and the pool ran out (503s, 5 s pool timeouts). Concurrent joins of
 * different fans must share those reads. Counted by pg_stat_statements in this file's own database.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinQueue } from '../../functions/core/waiting-room.service';
import { createCustomers, startTestService, type TestService } from '../support/test-service';

const FANS = 80;

describe('concurrent queue joins of different fans (issue 20, bench/waiting-room.ts)', () => {
  let t: TestService;
  let stats: pg.Client;
  let admin: string;
  let fans: string[];

  beforeAll(async () => {
    t = await startTestService({ QUEUE_JOINS_PER_ADDRESS_PER_MINUTE: '0' });
    stats = new pg.Client({ connectionString: t.database.url });
    await stats.connect();
    await stats.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    admin = await t.api.adminToken();
    fans = await createCustomers(t.service, FANS);
  });
  afterAll(async () => {
    await stats?.end();
    await t?.close();
  });

  /** Statements run so far in this database: account standing reads, admission lookups by fan. */
  const reads = async () => {
    const { rows } = await stats.query(
      `SELECT coalesce(sum(calls) FILTER (WHERE query ~* 'token_version\\s+FROM users'), 0)::integer AS accounts,
              coalesce(sum(calls) FILTER (WHERE query ~* 'FROM queue_admissions\\s+WHERE concert_id'), 0)::integer
                AS admissions
         FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return rows[0] as { accounts: number; admissions: number };
  };

  const createQueued = async () => {
    // On sale now (no onSaleAt), paused: every join is a new arrival after on-sale, nobody is admitted.
    const created = await t.api.request('POST', '/api/concerts', {
      token: admin,
      body: {
        title: 'Join reads',
        artist: 'A',
        venue: 'V',
        startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        waitingRoom: { enabled: true, admissionPerMinute: 600, paused: true },
        tiers: [{ name: 'GA', priceCents: 1000, capacity: 10, maxPerOrder: 1 }],
      },
    });
    expect(created.status).toBe(201);
    return String(created.body.concert.id);
  };

  it('gives every fan a place with a few account and admission reads, not one each', async () => {
    const concertId = await createQueued();
    const { tokens, queue } = t.service.services;
    const before = await reads();

    // What the join handler does per request (verify the token, join), for every fan at once.
    const views = await Promise.all(
      fans.map(async (token) => {
        const principal = await tokens.verify(token);
        if (!principal) throw new Error('token refused');
        return joinQueue(queue, principal, concertId, { clientAddress: '127.0.0.1' });
      }),
    );

    const positions = views.map((view) => view.position ?? 0);
    expect(new Set(positions).size).toBe(FANS);
    expect(Math.min(...positions)).toBe(1);
    expect(Math.max(...positions)).toBe(FANS);
    const after = await reads();
    // One statement per fan before the fix (80 and 80); shared, a handful each.
    expect(after.accounts - before.accounts).toBeGreaterThan(0);
    expect(after.accounts - before.accounts).toBeLessThanOrEqual(8);
    expect(after.admissions - before.admissions).toBeGreaterThan(0);
    expect(after.admissions - before.admissions).toBeLessThanOrEqual(8);
  });

  it('answers every concurrent join over HTTP with its own place', async () => {
    const concertId = await createQueued();
    const answers = await Promise.all(
      fans.map((token) => t.api.request('POST', `/api/concerts/${concertId}/queue`, { token })),
    );
    expect(answers.map((answer) => answer.status)).toEqual(fans.map(() => 200));
    const positions = answers.map((answer) => answer.body.queue.position as number);
    expect(new Set(positions).size).toBe(FANS);
    expect(Math.max(...positions)).toBe(FANS);
  });

  it('still refuses a token whose account is gone, and answers each fan its own standing in a shared read', async () => {
    const [kept = '', gone = ''] = await createCustomers(t.service, 2);
    const goneId = String(JSON.parse(Buffer.from(gone.split('.')[1] ?? '', 'base64url').toString()).sub);
    await stats.query('DELETE FROM users WHERE id = $1', [goneId]);
    const [one, other] = await Promise.all([
      t.api.request('GET', '/api/me/reservations', { token: kept }),
      t.api.request('GET', '/api/me/reservations', { token: gone }),
    ]);
    expect(one.status).toBe(200);
    expect(other.status).toBe(401);
  });
});
