/// <reference lib="dom" />
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityViolations,
  launchChromium,
  newProfile,
  screenshot,
  WEB_ROOT,
} from '../support/browser';
import { startTestService, type TestService } from '../support/test-service';

const LIVE = 15_000;

async function signUp(page: Page, email: string, next: string): Promise<void> {
  await page.goto(`/signup?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Name').fill('Waiting Fan');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel(/^Password/).fill('a long password');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL(`**${next}`);
}

/** Issue 21 in the browser: join the list of a sold-out tier, see the place, get the offer live, confirm it. */
describe('the waiting list on the web page (Chromium)', () => {
  let service: TestService;
  let browser: Browser;
  let admin: string;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [service, browser] = await Promise.all([startTestService({}, { webRoot: WEB_ROOT }), launchChromium()]);
    admin = await service.api.adminToken();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('a fan joins the list of a sold-out tier, sees the place, and confirms the offer when tickets come back', async () => {
    const concert = await service.api.createConcert(admin, [
      { name: 'Standing', priceCents: 3900, capacity: 2, maxPerOrder: 2 },
    ]);
    const tierId = concert.tiers[0]?.id as string;
    const buyer = await service.api.register('first-buyer@example.test');
    const held = await service.api.request('POST', '/api/reservations', {
      token: buyer,
      body: { concertId: concert.id, tierId, quantity: 2 },
    });
    expect(held.status).toBe(201);

    const context = await newProfile(browser, service.service.url, pageErrors);
    contexts.push(context);
    const page = await context.newPage();
    const frames: string[] = [];
    page.on('websocket', (socket) =>
      socket.on('framereceived', (frame) => frames.push(String(frame.payload))),
    );
    await signUp(page, 'waiting-fan@example.test', `/concerts/${concert.id}`);
    await expect.poll(() => page.getByTestId('concert-available').textContent()).toBe('Sold out');

    const panel = page.getByTestId('waitlist');
    await panel.getByLabel(/^Tickets wanted/).fill('2');
    await panel.getByRole('button', { name: 'Join the waiting list' }).click();
    await expect.poll(() => panel.getByTestId('waitlist-position').textContent()).toBe('number 1');
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'waitlist-waiting');

    await page.getByRole('link', { name: 'My tickets' }).first().click();
    const mine = page.getByTestId('my-waitlist');
    await expect.poll(() => mine.textContent()).toContain('2 × Standing: number 1 on the list');
    const framesBefore = frames.length;
    await page.goBack();
    // The page is back and its new socket (carrying the fan's token) is live: its join was answered.
    await expect
      .poll(() => frames.slice(framesBefore).some((frame) => frame.includes('"type":"concert-update"')))
      .toBe(true);

    // The first buyer lets go: the tickets are held for the waiting fan, who sees the offer without a reload.
    await service.api.request('DELETE', `/api/reservations/${held.body.reservation.id}`, { token: buyer });
    const offer = page.getByTestId('waitlist-offer');
    await expect.poll(() => offer.count(), { timeout: LIVE }).toBe(1);
    expect(await offer.textContent()).toContain('Tickets came back for you');
    // Told on the live channel (the page's socket carries the fan's token), not only found by polling.
    expect(frames.some((frame) => frame.includes('"type":"waitlist-offer"'))).toBe(true);
    expect(await offer.getByTestId('countdown').textContent()).toMatch(/^(9|10):\d\d$/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'waitlist-offer');

    await offer.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => page.getByTestId('reservation').getAttribute('data-status')).toBe('confirmed');
    await page.getByRole('link', { name: 'My tickets' }).first().click();
    await expect.poll(() => page.getByTestId('ticket').count()).toBe(2);
  });
});
