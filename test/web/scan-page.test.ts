/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityViolations,
  launchChromium,
  newProfile,
  PHONE,
  screenshot,
  WEB_ROOT,
} from '../support/browser';
import { startTestService, TEST_ADMIN, type TestService } from '../support/test-service';

const LIVE = 15_000;

/**
 * A YUV4MPEG2 video (C420: a full-resolution luma plane, then quarter-size U and V planes per frame) showing
 * `text` as a black-on-white QR code: what Chromium's fake camera plays (--use-file-for-fake-video-capture).
 */
function qrVideo(text: string, width = 320, height = 240, frames = 10): Buffer {
  const { size, data } = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
  const quiet = 4;
  const scale = Math.floor(Math.min(width, height) / (size + 2 * quiet));
  const left = Math.floor((width - size * scale) / 2);
  const top = Math.floor((height - size * scale) / 2);
  const luma = Buffer.alloc(width * height, 255);
  for (let row = 0; row < size; row++)
    for (let col = 0; col < size; col++) {
      if (!data[row * size + col]) continue;
      for (let y = 0; y < scale; y++)
        luma.fill(
          0,
          (top + row * scale + y) * width + left + col * scale,
          (top + row * scale + y) * width + left + (col + 1) * scale,
        );
    }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  return Buffer.concat([
    Buffer.from(`YUV4MPEG2 W${width} H${height} F30:1 Ip A1:1 C420jpeg\n`),
    ...Array.from({ length: frames }, () => frame),
  ]);
}

async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

const answerOf = (page: Page) =>
  page.getByTestId('scan-answer').evaluate((element) => ({
    result: element.getAttribute('data-result'),
    text: element.textContent ?? '',
  }));

describe('the door scanner (/scan) in Chromium: camera, typed codes, offline and conflicts', () => {
  let t: TestService;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  let concert: { id: string; title: string; tiers: Array<{ id: string; name: string }> };
  let codes: string[];
  let staffToken: string;
  const door = { email: 'door@example.test', password: 'door-password-1' };

  beforeAll(async () => {
    t = await startTestService(
      // Every scanner profile logs in through the page: more than the default 10 a minute from one address.
      { REALTIME_COALESCE_MS: '20', TICKETS_PER_USER_LIMIT: '0', LOGIN_ATTEMPTS_PER_MINUTE: '100' },
      { webRoot: WEB_ROOT },
    );
    const admin = await t.api.adminToken();
    concert = await t.api.createConcert(admin, [
      { name: 'Floor', priceCents: 4000, capacity: 50 },
      { name: 'Balcony', priceCents: 2500, capacity: 50 },
    ]);
    const fan = await t.api.register('ticket-holder@example.test', 'password-123', 'Jane Doe');
    const hold = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 6 },
    });
    const confirmed = await t.api.request('POST', `/api/reservations/${hold.body.reservation.id}/confirm`, {
      token: fan,
    });
    codes = confirmed.body.tickets.map((ticket: { code: string }) => ticket.code);
    const video = join(await mkdtemp(join(tmpdir(), 'cts-camera-')), 'ticket.y4m');
    await writeFile(video, qrVideo(codes[0] ?? ''));
    browser = await launchChromium([
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
      '--autoplay-policy=no-user-gesture-required',
    ]);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await t?.close();
  });

  const profile = async (device = PHONE) => {
    const context = await newProfile(browser, t.service.url, pageErrors, device);
    await context.grantPermissions(['camera'], { origin: t.service.url });
    contexts.push(context);
    return context;
  };

  it('an organiser makes a door staff account in the console', async () => {
    const page = await (await profile()).newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await logIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
    await page.waitForURL('**/admin');
    await page.getByLabel('Name', { exact: true }).last().fill('Door One');
    await page.locator('#staff-email').fill(door.email);
    await page.locator('#staff-password').fill(door.password);
    await page.getByRole('button', { name: 'Create staff account' }).click();
    await expect
      .poll(() => page.getByRole('status').allTextContents())
      .toContainEqual(expect.stringContaining(`Door staff account ${door.email} created`));
    staffToken = await t.api.login(door.email, door.password);
  });

  it('refuses the scanner to a fan', async () => {
    const page = await (await profile()).newPage();
    await page.goto('/signup?next=%2Fscan');
    await page.getByLabel('Name').fill('Fan');
    await page.getByLabel('E-mail').fill('curious-fan@example.test');
    await page.getByLabel(/^Password/).fill('a long password');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.waitForURL('**/scan');
    await expect
      .poll(() => page.getByRole('alert').allTextContents())
      .toContain('Only door staff and organisers can scan tickets.');
  });

  it('reads a ticket from the camera and admits it: big green answer with tier and holder', async () => {
    const page = await (await profile()).newPage();
    await logIn(page, door.email, door.password);
    await page.waitForURL('**/scan');
    await page.getByLabel('Concert').selectOption(concert.id);
    await expect.poll(() => page.getByTestId('scan-list').textContent()).toMatch(/Offline list: 6 tickets/);
    await page.getByRole('button', { name: 'Start camera' }).click();
    await expect
      .poll(() => answerOf(page), { timeout: LIVE })
      .toEqual({
        result: 'admitted',
        text: expect.stringMatching(/Admitted.*Floor · Jane Doe/),
      });
    await screenshot(page, 'scan-admitted');
    await page.getByRole('button', { name: 'Stop camera' }).click();

    // Typed by hand, in lower case with spaces: the same rules as the printed code.
    await page.getByLabel('Ticket code').fill(codes[1]?.toLowerCase().replaceAll('-', ' ') ?? '');
    await page.getByRole('button', { name: 'Check in' }).click();
    await expect
      .poll(() => answerOf(page))
      .toEqual({
        result: 'admitted',
        text: expect.stringMatching(/Floor · Jane Doe/),
      });
    await page.getByLabel('Ticket code').fill('ZZZZ-ZZZZ-ZZZZ-ZZZZ');
    await page.getByRole('button', { name: 'Check in' }).click();
    await expect
      .poll(() => answerOf(page))
      .toEqual({
        result: 'refused',
        text: expect.stringMatching(/Not admitted.*No ticket has this code/),
      });
    await screenshot(page, 'scan-refused');
    expect(await accessibilityViolations(page)).toEqual([]);
    const counts = await t.api.request('GET', `/api/admin/concerts/${concert.id}/check-ins`, {
      token: staffToken,
    });
    expect(counts.body.checkedIn).toBe(2);
  });

  it('keeps scanning offline against the hashed list, syncs when back, and shows a conflict from another device', async () => {
    const [shared = '', onlyA = ''] = codes.slice(2);
    const openScanner = async () => {
      const context = await profile();
      const page = await context.newPage();
      await logIn(page, door.email, door.password);
      await page.waitForURL('**/scan');
      await page.getByLabel('Concert').selectOption(concert.id);
      await expect.poll(() => page.getByTestId('scan-list').textContent()).toMatch(/Offline list: 6 tickets/);
      return { context, page };
    };
    const type = async (page: Page, code: string) => {
      await page.getByLabel('Ticket code').fill(code);
      await page.getByRole('button', { name: 'Check in' }).click();
    };
    const a = await openScanner();
    const b = await openScanner();
    await a.context.setOffline(true);
    await b.context.setOffline(true);
    await expect.poll(() => a.page.getByTestId('scan-network').textContent()).toMatch(/^Offline/);

    await type(a.page, shared);
    await expect
      .poll(() => answerOf(a.page))
      .toEqual({
        result: 'admitted',
        text: expect.stringMatching(/Floor · J\. D\. · offline: will sync/),
      });
    await type(a.page, onlyA);
    await expect.poll(() => answerOf(a.page)).toMatchObject({ result: 'admitted' });
    // The same ticket again on this device, still offline: refused from its own queue.
    await type(a.page, shared);
    await expect
      .poll(() => answerOf(a.page))
      .toEqual({
        result: 'refused',
        text: expect.stringMatching(/Already checked in/),
      });
    // A ticket admitted online earlier is on the list as checked in.
    await type(a.page, codes[0] ?? '');
    await expect.poll(() => answerOf(a.page)).toMatchObject({ result: 'refused' });
    await type(a.page, 'ZZZZ-ZZZZ-ZZZZ-ZZZZ');
    await expect
      .poll(() => answerOf(a.page))
      .toEqual({
        result: 'refused',
        text: expect.stringMatching(/Unknown ticket/),
      });
    expect(await a.page.getByTestId('scan-queue').textContent()).toBe('2 waiting to sync.');
    await screenshot(a.page, 'scan-offline');

    await type(b.page, shared);
    await expect.poll(() => answerOf(b.page)).toMatchObject({ result: 'admitted' });
    // Device B comes back first: its scan of the shared ticket reaches the service first.
    await b.context.setOffline(false);
    await expect
      .poll(() => b.page.getByTestId('scan-queue').textContent(), { timeout: LIVE })
      .toBe('None waiting to sync.');
    await a.context.setOffline(false);
    await expect
      .poll(() => a.page.getByTestId('scan-queue').textContent(), { timeout: LIVE })
      .toBe('None waiting to sync.');
    const conflicts = a.page.getByTestId('scan-conflict');
    await expect
      .poll(() => conflicts.allTextContents())
      .toEqual([
        expect.stringMatching(
          new RegExp(`^${shared} was let in here at .*, but device \\w{8} had let it in at `),
        ),
      ]);
    expect(await b.page.getByTestId('scan-conflict').count()).toBe(0);
    await screenshot(a.page, 'scan-conflict');

    const rows = await t.service.services.db.query(
      `SELECT t.code, c.device_id, c.scanned_at FROM check_ins c JOIN tickets t ON t.id = c.ticket_id
        WHERE t.code IN ($1, $2) ORDER BY t.code`,
      [shared, onlyA],
    );
    expect(rows).toHaveLength(2);
    const devices = await Promise.all(
      [a.page, b.page].map((page) =>
        page.evaluate(() => JSON.parse(localStorage.getItem('concert-tickets.scan.device') ?? 'null')),
      ),
    );
    expect(rows.find((row) => row.code === shared)?.device_id).toBe(devices[1]);
    expect(rows.find((row) => row.code === onlyA)?.device_id).toBe(devices[0]);
  });

  it('shows the organiser the checked-in count per tier, live during the show', async () => {
    const page = await (await profile()).newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await logIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
    await page.waitForURL('**/admin');
    await page.getByLabel('Concert at the door').selectOption(concert.id);
    const floor = page.getByTestId('check-in-row').first().getByTestId('check-in-count');
    await expect.poll(() => floor.textContent()).toBe('4');
    const scanned = await t.api.request('POST', '/api/check-ins', {
      token: staffToken,
      body: { code: codes[4], deviceId: 'side-door' },
    });
    expect(scanned.status).toBe(200);
    await expect.poll(() => floor.textContent(), { timeout: LIVE }).toBe('5');
    expect(await page.getByTestId('check-in-total').textContent()).toBe('5');
    await page.getByRole('heading', { name: 'Check-ins at the door' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'admin-check-ins');
    expect(pageErrors).toEqual([]);
  });

  /** New confirmed Floor tickets of the concert, bought before a scanner downloads its list. */
  const buyFloor = async (quantity: number): Promise<string[]> => {
    const fan = await t.api.login('ticket-holder@example.test', 'password-123');
    const hold = await t.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity },
    });
    const confirmed = await t.api.request('POST', `/api/reservations/${hold.body.reservation.id}/confirm`, {
      token: fan,
    });
    expect(confirmed.status).toBe(200);
    return confirmed.body.tickets.map((ticket: { code: string }) => ticket.code);
  };
  const openDoor = async () => {
    const context = await profile();
    const page = await context.newPage();
    await logIn(page, door.email, door.password);
    await page.waitForURL('**/scan');
    await page.getByLabel('Concert').selectOption(concert.id);
    const sold = (
      await t.api.request('GET', `/api/admin/concerts/${concert.id}/check-ins`, { token: staffToken })
    ).body.sold;
    await expect
      .poll(() => page.getByTestId('scan-list').textContent())
      .toMatch(new RegExp(`Offline list: ${sold} tickets`));
    return { context, page };
  };
  const typeCode = async (page: Page, code: string) => {
    await page.getByLabel('Ticket code').fill(code);
    await page.getByRole('button', { name: 'Check in' }).click();
  };
  /** The check-ins the service recorded for these codes: code, device and the account that scanned. */
  const recorded = (codes: string[]) =>
    t.service.services.db.query(
      `SELECT t.code, c.device_id, u.email FROM check_ins c JOIN tickets t ON t.id = c.ticket_id
         JOIN users u ON u.id = c.checked_in_by WHERE t.code IN (${codes.map((_, i) => `$${i + 1}`).join(', ')})
        ORDER BY t.code`,
      codes,
    );
  const deviceOf = (page: Page) =>
    page.evaluate(() => JSON.parse(localStorage.getItem('concert-tickets.scan.device') ?? 'null') as string);
  const PROXY_502 =
    '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>';
  const jsonError = (status: number, code: string) => ({
    status,
    contentType: 'application/json',
    body: JSON.stringify({ error: { code, message: `refused with ${status}` } }),
  });

  it('does not offer a cancelled concert to scan for', async () => {
    const admin = await t.api.adminToken();
    const called = await t.api.createConcert(admin, [{ name: 'GA', priceCents: 100, capacity: 5 }]);
    const cancelled = await t.api.request('PATCH', `/api/concerts/${called.id}`, {
      token: admin,
      body: { status: 'cancelled' },
    });
    expect(cancelled.status).toBe(200);
    const { page } = await openDoor();
    const offered = await page
      .getByLabel('Concert')
      .locator('option')
      .evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value));
    expect(offered).toContain(concert.id);
    expect(offered).not.toContain(called.id);
  });

  it('keeps offline scans queued when the sync meets 503, a proxy 502 page and 429, retries, and they arrive (F1)', async () => {
    const fresh = await buyFloor(2);
    const { context, page } = await openDoor();
    await context.setOffline(true);
    await expect.poll(() => page.getByTestId('scan-network').textContent()).toMatch(/^Offline/);
    for (const code of fresh) {
      await typeCode(page, code);
      await expect.poll(() => page.getByTestId('scan-queue').textContent()).toMatch(/waiting to sync/);
    }
    expect(await page.getByTestId('scan-queue').textContent()).toBe('2 waiting to sync.');
    const failures = [
      jsonError(503, 'SERVICE_UNAVAILABLE'),
      { status: 502, contentType: 'text/html', body: PROXY_502 },
      jsonError(429, 'RATE_LIMITED'),
    ];
    let posts = 0;
    await page.route('**/api/check-ins', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const failure = failures[posts++];
      return failure ? route.fulfill(failure) : route.continue();
    });
    await context.setOffline(false);
    await expect.poll(() => page.getByText(/Not synced yet/).count(), { timeout: LIVE }).toBe(1);
    expect(await page.getByTestId('scan-queue').textContent()).toBe('2 waiting to sync.');
    await expect
      .poll(() => page.getByTestId('scan-queue').textContent(), { timeout: 2 * LIVE })
      .toBe('None waiting to sync.');
    expect(posts).toBeGreaterThanOrEqual(failures.length + fresh.length);
    expect(await page.getByTestId('scan-conflict').count()).toBe(0);
    const device = await deviceOf(page);
    expect(await recorded(fresh)).toEqual(
      [...fresh].sort().map((code) => ({ code, device_id: device, email: door.email })),
    );
    await screenshot(page, 'scan-sync-retried');
  });

  it('keeps the queue when the sync meets 401 (session ended), asks to log in, and syncs after (F1)', async () => {
    const [code = ''] = await buyFloor(1);
    const { context, page } = await openDoor();
    await context.setOffline(true);
    await expect.poll(() => page.getByTestId('scan-network').textContent()).toMatch(/^Offline/);
    await typeCode(page, code);
    await expect.poll(() => page.getByTestId('scan-queue').textContent()).toBe('1 waiting to sync.');
    let refused = 0;
    await page.route('**/api/check-ins', async (route) => {
      if (route.request().method() !== 'POST' || refused > 0) return route.continue();
      refused++;
      return route.fulfill(jsonError(401, 'UNAUTHORIZED'));
    });
    await context.setOffline(false);
    await expect
      .poll(() => page.getByTestId('scan-signed-out-queue').textContent(), { timeout: LIVE })
      .toBe('1 offline scan is kept on this device: log in again to sync it.');
    expect(await recorded([code])).toEqual([]);
    await logIn(page, door.email, door.password);
    await page.waitForURL('**/scan');
    await expect
      .poll(() => page.getByTestId('scan-queue').textContent(), { timeout: LIVE })
      .toBe('None waiting to sync.');
    expect(await recorded([code])).toEqual([{ code, device_id: await deviceOf(page), email: door.email }]);
  });

  it('admits a valid ticket from the downloaded list when the online scan meets 502 or 503, and sends it later (F2)', async () => {
    const [code = ''] = await buyFloor(1);
    const { page } = await openDoor();
    const failures = [
      { status: 502, contentType: 'text/html', body: PROXY_502 },
      jsonError(503, 'SERVICE_UNAVAILABLE'),
    ];
    let posts = 0;
    await page.route('**/api/check-ins', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const failure = failures[posts++];
      return failure ? route.fulfill(failure) : route.continue();
    });
    await typeCode(page, code);
    await expect
      .poll(() => answerOf(page))
      .toEqual({
        result: 'admitted',
        text: expect.stringMatching(/Admitted.*Floor · J\. D\. · offline: will sync/),
      });
    await screenshot(page, 'scan-online-502-fallback');
    await expect
      .poll(() => page.getByTestId('scan-queue').textContent(), { timeout: LIVE })
      .toBe('None waiting to sync.');
    expect(posts).toBeGreaterThanOrEqual(failures.length + 1);
    expect(await recorded([code])).toEqual([{ code, device_id: await deviceOf(page), email: door.email }]);
    expect(pageErrors).toEqual([]);
  });
});
