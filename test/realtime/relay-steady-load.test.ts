import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminNotification, type ConcertUpdateMessage } from '../../functions/core/realtime';
import type { RelayReport } from '../../functions/core/relay-availability';
import { handler as relay } from '../../functions/handlers/relay';
import { RELAY_LAG_ALARM_MS } from '../../stacks/alarm-thresholds';
import {
  type ManagementEndpointStandIn,
  startManagementEndpointStandIn,
} from '../support/management-endpoint-stand-in';
import { dropRedisPrefix, TEST_REDIS_URL, testRedisPrefix } from '../support/redis';
import { startTestService, type TestService } from '../support/test-service';

const LEASE_MS = 1_000;
const PERIOD_MS = 100;
/** Updates keep coming for longer than three lease lengths. */
const LOAD_MS = 3.5 * LEASE_MS;

describe('the relay under steady traffic (a sale): the lease is renewed while it works', () => {
  const prefix = testRedisPrefix();
  let t: TestService;
  let standIn: ManagementEndpointStandIn;
  const CONCERT = 'concert-on-sale';

  beforeAll(async () => {
    standIn = await startManagementEndpointStandIn();
    t = await startTestService({
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REALTIME_COALESCE_MS: '0',
      WEBSOCKET_CALLBACK_URL: standIn.url,
    });
    await t.service.fanout.stop(); // only the relay delivers
    const { registry } = t.service.services.realtime;
    await registry.register('watcher', { userId: null, admin: false });
    await registry.watch('watcher', CONCERT);
    await registry.register('admin', { userId: null, admin: true });
    await registry.joinAdmins('admin');
    await relay({ runForMs: 200, leaseMs: LEASE_MS }, {} as never); // start from "now"
  });
  afterAll(async () => {
    await t?.close();
    await standIn?.close();
    await dropRedisPrefix(prefix);
  });

  it(`delivers every update published each ${PERIOD_MS} ms for ${LOAD_MS / LEASE_MS} lease lengths, in one run`, async () => {
    const { bus } = t.service.services.realtime;
    let published = 0;
    const producing = (async () => {
      const start = Date.now();
      while (Date.now() - start < LOAD_MS) {
        published++;
        const trace = { requestIds: [`sale-${published}`], publishedAt: Date.now() };
        const update: ConcertUpdateMessage = {
          type: 'concert-update',
          concertId: CONCERT,
          availableTickets: 10_000 - published,
          totalBooked: published,
          tiers: [],
          status: 'on-sale',
          version: published,
        };
        await Promise.all([
          bus.publish(update, trace),
          bus.publish(
            adminNotification({
              event: 'new-reservation',
              concertId: CONCERT,
              reservationId: `r-${published}`,
            }),
            trace,
          ),
        ]);
        await new Promise((resolve) => setTimeout(resolve, PERIOD_MS));
      }
    })();

    const report = (await relay(
      { runForMs: LOAD_MS + 1_500, leaseMs: LEASE_MS },
      {} as never,
    )) as RelayReport;
    await producing;

    expect(published).toBeGreaterThanOrEqual(30);
    expect(report.leader).toBe(true);
    expect(report.events).toBe(2 * published);
    // Every admin notice, in order, and the watcher ends on the newest snapshot.
    expect(standIn.delivered('admin').map((m) => m.reservationId)).toEqual(
      Array.from({ length: published }, (_, i) => `r-${i + 1}`),
    );
    expect(standIn.delivered('watcher').at(-1)).toMatchObject({ version: published });
    expect(report.maxLagMs).toBeLessThan(RELAY_LAG_ALARM_MS);
  });
});
