import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Concert } from '../../functions/core/model';
import type { WebSocketEvent } from '../../functions/handlers/websocket/websocket-handler';
import { handler as wsMessage } from '../../functions/handlers/ws-message';
import { fakeLambdaContext } from '../support/lambda-context';
import { capturingLogger } from '../support/log-capture';
import {
  type ManagementEndpointStandIn,
  STAND_IN_MAX_MESSAGE_BYTES,
  startManagementEndpointStandIn,
} from '../support/management-endpoint-stand-in';
import { startTestService, type TestService } from '../support/test-service';

const joinEvent = (connectionId: string, concertId: string): WebSocketEvent => ({
  requestContext: {
    connectionId,
    routeKey: 'join-concert',
    eventType: 'MESSAGE',
    domainName: 'ws123.execute-api.ap-southeast-1.amazonaws.com',
    stage: 'live',
    requestId: `req-${connectionId}`,
  },
  body: JSON.stringify({ action: 'join-concert', concertId }),
  isBase64Encoded: false,
});

describe('the API Gateway message handler when PostToConnection fails for one connection (issue 14 item 4)', () => {
  const logs = capturingLogger('info');
  let t: TestService;
  let standIn: ManagementEndpointStandIn;
  let concert: Concert;

  beforeAll(async () => {
    standIn = await startManagementEndpointStandIn();
    t = await startTestService(
      { REALTIME_COALESCE_MS: '0', WEBSOCKET_CALLBACK_URL: standIn.url, LOG_LEVEL: 'info' },
      { logger: logs.logger },
    );
    const admin = await t.api.adminToken();
    concert = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 5 }]);
  });
  afterAll(async () => {
    await t?.close();
    await standIn?.close();
  });

  const join = async (connectionId: string, concertId = concert.id) => {
    await t.service.services.realtime.registry.register(connectionId, { userId: null, admin: false });
    return wsMessage(joinEvent(connectionId, concertId), fakeLambdaContext());
  };
  const errorsFor = (connectionId: string) =>
    standIn.delivered(connectionId).filter((message) => message.type === 'error');
  const internalLines = () =>
    logs.records<{ level: number; msg: string }>().filter((line) => line.level >= 50);

  it('a snapshot over 128 KB (measured before posting) answers PAYLOAD_TOO_LARGE, not INTERNAL', async () => {
    // Over the tier limit on purpose: a concert whose snapshot cannot fit one API Gateway frame.
    const [row] = await t.service.services.db.query(
      `INSERT INTO concerts (title, artist, venue, starts_at, status)
       VALUES ('Huge', 'A', 'V', now() + interval '30 days', 'on-sale') RETURNING id`,
      [],
    );
    const hugeId = String(row?.id);
    await t.service.services.db.query(
      `INSERT INTO ticket_tiers (concert_id, position, name, price_cents, currency, capacity, available, max_per_order)
       SELECT $1, g, 'Tier ' || g, 100, 'USD', 1000000, 1000000, 4 FROM generate_series(1, 2000) g`,
      [hugeId],
    );

    expect(await join('conn-huge', hugeId)).toEqual({ statusCode: 200 });

    expect(standIn.posts.filter((post) => post.bytes > STAND_IN_MAX_MESSAGE_BYTES)).toEqual([]);
    expect(errorsFor('conn-huge')).toEqual([expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' })]);
    expect(internalLines()).toEqual([]);
  });

  it('an endpoint answering 413 is PAYLOAD_TOO_LARGE as well', async () => {
    standIn.script('conn-413', 413);
    expect(await join('conn-413')).toEqual({ statusCode: 200 });
    expect(errorsFor('conn-413')).toEqual([expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' })]);
    expect(internalLines()).toEqual([]);
  });

  it.each([
    [429, 'SERVICE_UNAVAILABLE'],
    [500, 'SERVICE_UNAVAILABLE'],
    [503, 'SERVICE_UNAVAILABLE'],
  ])('a snapshot post answered %i tells the client %s (never INTERNAL)', async (status, code) => {
    const id = `conn-${status}`;
    standIn.script(id, status);
    expect(await join(id)).toEqual({ statusCode: 200 });
    expect(errorsFor(id)).toEqual([expect.objectContaining({ code })]);
    expect(internalLines()).toEqual([]);
  });

  it('a refused post (403) is logged as a warning and posted no INTERNAL error', async () => {
    standIn.always('conn-403', 403);
    try {
      expect(await join('conn-403')).toEqual({ statusCode: 200 });
      expect(standIn.posts.filter((post) => post.connectionId === 'conn-403').length).toBeGreaterThan(0);
      expect(standIn.posts.filter((post) => post.data.includes('INTERNAL'))).toEqual([]);
      expect(internalLines()).toEqual([]);
      expect(
        logs
          .records<{ msg: string; connectionId?: string; kind?: string }>()
          .filter((line) => line.connectionId === 'conn-403' && line.kind === 'refused'),
      ).not.toEqual([]);
    } finally {
      standIn.heal('conn-403');
    }
  });
});
