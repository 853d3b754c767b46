import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';

/**
 * The post-deploy smoke test: `npm run smoke -- <api-url> <wss-url>`.
 *
 * Against a deployment (the `api_url` and `websocket_url` outputs of `cdktf deploy`, or the containers'
 * `https://host` and `wss://host/ws`) it registers a fan, watches a concert over the WebSocket, reserves
 * one ticket, checks that the availability update arrives on the socket, and confirms the reservation.
 * The concert: created when SMOKE_ADMIN_EMAIL and SMOKE_ADMIN_PASSWORD name an organiser (a fresh
 * deployment has none), else the first on-sale concert with a free ticket. Fans are registered at
 * SMOKE_EMAIL_DOMAIN (default example.com). Each step prints one line; any failure names its step and
 * exits 1. No step waits longer than `timeoutMs` (SMOKE_TIMEOUT_MS, default 15 s; on AWS the relay runs
 * for 50 s of each minute, so allow 70 s there).
 */
export interface SmokeOptions {
  apiUrl: string;
  wssUrl: string;
  admin?: { email: string; password: string };
  emailDomain?: string;
  /** The longest any one step may take, ms. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** What the smoke test saw: the concert, the reservation and the versions seen on the socket. */
export interface SmokeReport {
  concertId: string;
  reservationId: string;
  tickets: number;
  /** `availableTickets` in the snapshot, then in the update the reservation caused. */
  available: [number, number];
}

/** A failed step: the step's name and what it got. */
export class SmokeFailure extends Error {
  constructor(
    readonly step: string,
    detail: string,
  ) {
    super(`${step}: ${detail}`);
    this.name = 'SmokeFailure';
  }
}

interface ConcertUpdate {
  type: 'concert-update';
  concertId: string;
  availableTickets: number;
  version: number;
}

/** Runs the smoke test once; resolves with its report, rejects with a SmokeFailure. */
export async function smoke(options: SmokeOptions): Promise<SmokeReport> {
  const api = options.apiUrl.replace(/\/$/, '');
  const timeoutMs = options.timeoutMs ?? 15_000;
  const log = options.log ?? ((line: string) => console.log(line));
  const started = Date.now();
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const at = Date.now();
    try {
      const result = await run();
      log(`ok   ${name} (${Date.now() - at} ms)`);
      return result;
    } catch (error) {
      throw error instanceof SmokeFailure ? error : new SmokeFailure(name, (error as Error).message);
    }
  };
  const call = async (
    name: string,
    method: string,
    path: string,
    expected: number[],
    init: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
    // biome-ignore lint/suspicious/noExplicitAny: the smoke test reads whatever JSON a deployment answers
  ): Promise<any> => {
    const response = await fetch(`${api}${path}`, {
      method,
      headers: {
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (!expected.includes(response.status))
      throw new SmokeFailure(name, `${method} ${path} answered ${response.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  };

  await step('health', () => call('health', 'GET', '/health', [200]));
  const concert = await step('concert', async () => {
    if (options.admin) {
      const { token } = await call('concert', 'POST', '/api/auth/login', [200], { body: options.admin });
      const body = await call('concert', 'POST', '/api/concerts', [201], {
        token,
        body: {
          title: `Smoke test ${new Date().toISOString()}`,
          artist: 'Smoke',
          venue: 'Deploy check',
          startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
          tiers: [{ name: 'General', priceCents: 100, capacity: 5 }],
        },
      });
      return body.concert;
    }
    const { concerts } = await call('concert', 'GET', '/api/concerts', [200]);
    // biome-ignore lint/suspicious/noExplicitAny: as above, a deployment's JSON
    const open = (concerts as any[]).find(
      (c) => c.status === 'on-sale' && c.tiers.some((t: { available: number }) => t.available > 0),
    );
    if (!open) throw new Error('no on-sale concert with a free ticket; set SMOKE_ADMIN_EMAIL/PASSWORD');
    return open;
  });
  const tier = (concert.tiers as Array<{ id: string; available: number }>).find((t) => t.available > 0);
  if (!tier) throw new SmokeFailure('concert', `concert ${concert.id} has no free ticket`);

  const fan = await step('register', () =>
    call('register', 'POST', '/api/auth/register', [201], {
      body: {
        email: `smoke-${randomUUID()}@${options.emailDomain ?? 'example.com'}`,
        password: randomUUID(),
        name: 'Smoke Test',
      },
    }),
  );

  const socket = await step('watch', () => openSocket(options.wssUrl, timeoutMs));
  try {
    const updates: ConcertUpdate[] = [];
    let notify: (() => void) | undefined;
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'error') log(`warn socket error message ${JSON.stringify(message)}`);
      if (message.type === 'concert-update' && message.concertId === concert.id) {
        updates.push(message);
        notify?.();
      }
    });
    const until = (name: string, test: (update: ConcertUpdate) => boolean) =>
      new Promise<ConcertUpdate>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new SmokeFailure(name, `no matching concert-update within ${timeoutMs} ms`)),
          timeoutMs,
        );
        notify = () => {
          const found = updates.find(test);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          }
        };
        notify();
      });
    socket.send(JSON.stringify({ action: 'join-concert', concertId: concert.id }));
    const snapshot = await step('snapshot', () => until('snapshot', () => true));

    const { reservation } = await step('reserve', () =>
      call('reserve', 'POST', '/api/reservations', [201], {
        token: fan.token,
        headers: { 'idempotency-key': randomUUID() },
        body: { concertId: concert.id, tierId: tier.id, quantity: 1 },
      }),
    );
    const update = await step('update arrives', () =>
      until(
        'update arrives',
        (u) => u.version > snapshot.version && u.availableTickets <= snapshot.availableTickets - 1,
      ),
    );
    const confirmed = await step('confirm', () =>
      call('confirm', 'POST', `/api/reservations/${reservation.id}/confirm`, [200], { token: fan.token }),
    );
    if (confirmed.tickets.length !== 1)
      throw new SmokeFailure('confirm', `expected 1 ticket, got ${confirmed.tickets.length}`);
    log(`ok   smoke test passed in ${Date.now() - started} ms`);
    return {
      concertId: concert.id,
      reservationId: reservation.id,
      tickets: confirmed.tickets.length,
      available: [snapshot.availableTickets, update.availableTickets],
    };
  } finally {
    socket.close();
  }
}

function openSocket(url: string, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`${url} answered ${response.statusCode} to the upgrade`)),
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [apiUrl, wssUrl] = process.argv.slice(2);
  if (!apiUrl || !wssUrl) {
    console.error('usage: npm run smoke -- <api-url> <wss-url>');
    process.exit(2);
  }
  const { SMOKE_ADMIN_EMAIL: email, SMOKE_ADMIN_PASSWORD: password } = process.env;
  smoke({
    apiUrl,
    wssUrl,
    ...(email && password ? { admin: { email, password } } : {}),
    ...(process.env.SMOKE_EMAIL_DOMAIN ? { emailDomain: process.env.SMOKE_EMAIL_DOMAIN } : {}),
    ...(process.env.SMOKE_TIMEOUT_MS ? { timeoutMs: Number(process.env.SMOKE_TIMEOUT_MS) } : {}),
  }).then(
    () => process.exit(0),
    (error: Error) => {
      console.error(`FAIL ${error.message}`);
      process.exit(1);
    },
  );
}
