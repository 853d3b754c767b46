/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import jsQR from 'jsqr';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../functions/core/jobs.service';
import type { Concert } from '../../functions/core/model';
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

/** What a door scanner would read from the QR code as rendered on the page. */
function decodeQr(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
}

async function signUp(page: Page, email: string, next: string): Promise<void> {
  await page.goto(`/signup?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Name').fill('Fan');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel(/^Password/).fill('a long password');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL(`**${next}`);
}

async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** What the page's live regions of `role` say now, all of them together (they start empty). */
const announced = (scope: Page | Locator, role: 'alert' | 'status') =>
  scope
    .getByRole(role)
    .allTextContents()
    .then((texts) => texts.join(' ').trim());

/** A mark on the window: still there after the count changes means the page never reloaded. */
const markPage = (page: Page) => page.evaluate(() => Object.assign(window, { __notReloaded: true }));
const stillSamePage = (page: Page) =>
  page.evaluate(() => (window as unknown as { __notReloaded?: boolean }).__notReloaded === true);

const tierOption = (page: Page, name: string) => page.getByTestId('tier-option').filter({ hasText: name });

describe('the web page in Chromium', () => {
  let service: TestService;
  let browser: Browser;
  let admin: string;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  const profile = async (device?: typeof PHONE) => {
    const context = await newProfile(browser, service.service.url, pageErrors, device);
    contexts.push(context);
    return context.newPage();
  };

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

  it('two fans watch one concert: one reserves and confirms, the other sees the count drop without a reload', async () => {
    const concert = await service.api.createConcert(admin, [
      { name: 'General', priceCents: 4500, capacity: 10, maxPerOrder: 4 },
      { name: 'VIP', priceCents: 12000, capacity: 2, maxPerOrder: 2 },
    ]);
    const [buyer, watcher] = await Promise.all([profile(), profile(PHONE)]);
    await watcher.goto(`/concerts/${concert.id}`);
    await expect.poll(() => watcher.getByTestId('link-state').first().textContent()).toContain('Live');
    await expect.poll(() => watcher.getByTestId('concert-available').textContent()).toBe('12 tickets left');
    await markPage(watcher);

    await signUp(buyer, 'buyer@example.test', `/concerts/${concert.id}`);
    await tierOption(buyer, 'General').getByRole('radio').check();
    await buyer.getByLabel(/^Quantity/).fill('3');
    await buyer.getByRole('button', { name: 'Reserve' }).click();
    const hold = buyer.getByTestId('reservation');
    await expect.poll(() => hold.getAttribute('data-status')).toBe('held');
    expect(await hold.getByTestId('countdown').textContent()).toMatch(/^(9|10):\d\d$/);
    expect(await hold.textContent()).toContain('3 × General');
    await screenshot(buyer, 'concert-hold');

    await expect
      .poll(() => watcher.getByTestId('concert-available').textContent(), { timeout: LIVE })
      .toBe('9 tickets left');
    expect(await tierOption(watcher, 'General').getByTestId('tier-available').textContent()).toBe('7 left');
    expect(await stillSamePage(watcher)).toBe(true);
    await screenshot(watcher, 'concert-phone');

    await hold.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => hold.getAttribute('data-status')).toBe('confirmed');
    await expect.poll(() => announced(hold, 'status')).toContain('3 tickets are in My tickets');

    await buyer.getByRole('link', { name: 'My tickets' }).first().click();
    await expect.poll(() => buyer.getByTestId('ticket').count()).toBe(3);
    const codes = await buyer.getByTestId('ticket-code').allTextContents();
    const stored = await service.service.services.reservations.reservations.listTicketsByUser(
      (await service.service.services.auth.users.findByEmail('buyer@example.test'))?.id ?? '',
    );
    expect(new Set(codes)).toEqual(new Set(stored.map((ticket) => ticket.code)));
    await expect
      .poll(() =>
        buyer
          .getByTestId('ticket-qr')
          .evaluateAll(
            (images) => images.filter((image) => (image as HTMLImageElement).naturalWidth > 0).length,
          ),
      )
      .toBe(3);
    const decoded = await Promise.all(
      (await buyer.getByTestId('ticket-qr').all()).map(async (image) => decodeQr(await image.screenshot())),
    );
    expect(new Set(decoded)).toEqual(new Set(codes));
    await screenshot(buyer, 'my-tickets');
    expect(await stillSamePage(watcher)).toBe(true);
  });

  it('shows sold out to every watcher of the list and to the fan who took the last tickets', async () => {
    const concert = await service.api.createConcert(
      admin,
      [
        { name: 'Floor', priceCents: 3000, capacity: 3, maxPerOrder: 4 },
        { name: 'Balcony', priceCents: 2000, capacity: 1, maxPerOrder: 1 },
      ],
      { title: 'Tiny Room' },
    );
    const [fan, watcher] = await Promise.all([profile(), profile()]);
    await watcher.goto('/');
    const card = watcher.getByTestId('concert-card').filter({ hasText: 'Tiny Room' });
    await expect.poll(() => card.getByTestId('concert-available').textContent()).toBe('4 tickets left');
    await markPage(watcher);

    await signUp(fan, 'fan2@example.test', `/concerts/${concert.id}`);
    await tierOption(fan, 'Floor').getByRole('radio').check();
    await fan.getByLabel(/^Quantity/).fill('3');
    await fan.getByRole('button', { name: 'Reserve' }).click();
    await expect.poll(() => fan.getByTestId('reservation').count()).toBe(1);
    await tierOption(fan, 'Balcony').getByRole('radio').check();
    await fan.getByLabel(/^Quantity/).fill('1');
    await fan.getByRole('button', { name: 'Reserve' }).click();
    await expect.poll(() => fan.getByTestId('reservation').count()).toBe(2);

    await expect
      .poll(() => card.getByTestId('concert-available').textContent(), { timeout: LIVE })
      .toBe('Sold out');
    expect(await stillSamePage(watcher)).toBe(true);
    await expect
      .poll(() => fan.getByTestId('concert-available').textContent(), { timeout: LIVE })
      .toBe('Sold out');
    expect(await fan.getByRole('button', { name: 'Sold out' }).isDisabled()).toBe(true);
    await screenshot(watcher, 'concert-list');
  });

  it('lets an admin create a concert and see the new-reservation notification live, then the daily report', async () => {
    const page = await profile();
    await logIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
    await page.waitForURL('**/admin');
    await expect.poll(() => page.getByTestId('link-state').first().textContent()).toContain('Live');

    const form = page.getByRole('form', { name: 'Create concert' });
    await form.getByLabel('Title').fill('Opening Night');
    await form.getByLabel('Artist').fill('The Premieres');
    await form.getByLabel('Venue').fill('Grand Hall');
    await form.getByLabel('Starts at').fill('2027-03-01T20:00');
    await form.getByLabel('Name').fill('Stalls');
    await form.getByLabel('Price').fill('55.50');
    await form.getByLabel('Capacity').fill('40');
    await form.getByRole('button', { name: 'Create concert' }).click();
    await expect.poll(() => announced(form, 'status')).toContain('Created “Opening Night”');
    await expect
      .poll(() => page.getByTestId('admin-concert-row').filter({ hasText: 'Opening Night' }).count())
      .toBe(1);

    const created = (
      await service.api.request<{ concerts: Concert[] }>('GET', '/api/concerts')
    ).body.concerts.find((concert) => concert.title === 'Opening Night');
    expect(created?.tiers[0]).toMatchObject({
      name: 'Stalls',
      priceCents: 5550,
      capacity: 40,
      currency: 'USD',
    });
    expect(created?.startsAt).toBe('2027-03-01T20:00:00.000Z');

    const fan = await service.api.register('fan3@example.test');
    const reserved = await service.api.request('POST', '/api/reservations', {
      token: fan,
      body: { concertId: created?.id, tierId: created?.tiers[0]?.id, quantity: 2 },
    });
    expect(reserved.status).toBe(201);
    const notice = page.getByTestId('notification').filter({ hasText: 'New reservation' });
    await expect.poll(() => notice.count(), { timeout: LIVE }).toBeGreaterThan(0);
    expect(await notice.first().textContent()).toContain('Opening Night');
    await screenshot(page, 'admin-console');

    await service.api.request('POST', `/api/reservations/${reserved.body.reservation.id}/confirm`, {
      token: fan,
    });
    const today = new Date().toISOString().slice(0, 10);
    await runJob(service.service.services.jobs, 'daily-report', { date: today });
    await page.getByRole('link', { name: /Daily sales report/ }).click();
    await page.getByLabel('Date', { exact: true }).fill(today);
    await page.getByRole('button', { name: 'Show report' }).click();
    const bar = page.getByTestId('sales-bar').filter({ hasText: 'Opening Night' });
    await expect.poll(() => bar.textContent()).toContain('2 / 2');
    await screenshot(page, 'admin-report');

    await page.getByLabel('Date', { exact: true }).fill('2001-01-01');
    await page.getByRole('button', { name: 'Show report' }).click();
    await expect.poll(() => announced(page, 'alert')).toContain('No report for 2001-01-01 yet');
  });

  it('lets an admin edit a concert and its tiers', async () => {
    const concert = await service.api.createConcert(admin, [{ name: 'Pit', priceCents: 1000, capacity: 5 }], {
      title: 'Edit Me',
    });
    const page = await profile();
    await logIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
    await page.waitForURL('**/admin');
    await page.getByRole('link', { name: 'Edit Edit Me' }).click();
    const form = page.getByRole('form', { name: 'Save changes' });
    await form.getByLabel('Title').fill('Edited');
    await form.getByLabel('Capacity').fill('8');
    await form.getByRole('button', { name: 'Add a tier' }).click();
    await form.getByLabel('Name').nth(1).fill('Box');
    await form.getByLabel('Price').nth(1).fill('99');
    await form.getByLabel('Capacity').nth(1).fill('2');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => announced(form, 'status')).toContain('Saved “Edited”');
    const saved = (await service.api.request<{ concert: Concert }>('GET', `/api/concerts/${concert.id}`)).body
      .concert;
    expect(saved.title).toBe('Edited');
    expect(saved.tiers.map(({ name, capacity, priceCents }) => ({ name, capacity, priceCents }))).toEqual([
      { name: 'Pit', capacity: 8, priceCents: 1000 },
      { name: 'Box', capacity: 2, priceCents: 9900 },
    ]);

    // A second save changes the tier added by the first; it does not add it again.
    await form.getByLabel('Capacity').nth(1).fill('3');
    await form.getByRole('button', { name: 'Save changes' }).click();
    const tiersNow = async () =>
      (
        await service.api.request<{ concert: Concert }>('GET', `/api/concerts/${concert.id}`)
      ).body.concert.tiers.map(({ name, capacity }) => [name, capacity]);
    await expect.poll(tiersNow).toEqual([
      ['Pit', 8],
      ['Box', 3],
    ]);
    expect(await announced(form, 'alert')).toBe('');
  });

  it('tells a fan what went wrong in words (bad login, e-mail taken, over the limit), and keeps organiser pages from fans', async () => {
    const page = await profile();
    await logIn(page, 'nobody@example.test', 'wrong password');
    await expect.poll(() => announced(page, 'alert')).toBe('That e-mail and password do not match.');
    await signUp(page, 'fan4@example.test', '/');
    await page.goto('/signup');
    await page.getByLabel('Name').fill('Again');
    await page.getByLabel('E-mail').fill('fan4@example.test');
    await page.getByLabel(/^Password/).fill('a long password');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => announced(page, 'alert')).toContain('An account with this e-mail already exists');
    await page.goto('/admin');
    await expect.poll(() => announced(page, 'alert')).toBe('Only organisers can see this page.');

    const concert = await service.api.createConcert(admin, [
      { name: 'Hall', priceCents: 900, capacity: 30, maxPerOrder: 6 },
    ]);
    await page.goto(`/concerts/${concert.id}`);
    await page.getByLabel(/^Quantity/).fill('6');
    await page.getByRole('button', { name: 'Reserve' }).click();
    await expect.poll(() => page.getByTestId('reservation').count()).toBe(1);
    await page.getByRole('button', { name: 'Reserve' }).click();
    await expect
      .poll(() => announced(page, 'alert'))
      .toBe('That is more tickets than one fan may have for this concert. At most 10; you have 6 already.');
  });

  it('forgets an expired session on load, ends one whose token runs out while open, and signs out when the service refuses the token', async () => {
    const page = await profile();
    const fakeToken = (exp: number) =>
      [
        { alg: 'HS256', typ: 'JWT' },
        { sub: 'someone', exp },
      ]
        .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
        .concat('bad-signature')
        .join('.');
    const remember = (token: string) =>
      page.evaluate(
        (session) => localStorage.setItem('concert-tickets.session', session),
        JSON.stringify({
          token,
          user: { id: 'x', email: 'old@example.test', name: 'Old', role: 'customer' },
        }),
      );
    await page.goto('/');
    await remember(fakeToken(Math.floor(Date.now() / 1000) - 60));
    await page.goto('/tickets');
    await expect.poll(() => page.getByRole('link', { name: 'Log in' }).first().isVisible()).toBe(true);
    expect(await page.evaluate(() => localStorage.getItem('concert-tickets.session'))).toBeNull();

    // A session whose token runs out while the page stays open ends by itself (the list asks for no token).
    await remember(fakeToken(Math.floor(Date.now() / 1000) + 8));
    await page.goto('/');
    await page.getByRole('button', { name: /Log out/ }).waitFor();
    await expect.poll(() => page.getByRole('link', { name: 'Log in' }).count(), { timeout: 20_000 }).toBe(1);
    expect(await page.evaluate(() => localStorage.getItem('concert-tickets.session'))).toBeNull();

    await remember(fakeToken(Math.floor(Date.now() / 1000) + 3600));
    await page.goto('/tickets');
    // The stored session looks valid until the service refuses its token: then the page signs out.
    await expect.poll(() => page.getByText('to see your tickets').count()).toBe(1);
    expect(await page.evaluate(() => localStorage.getItem('concert-tickets.session'))).toBeNull();
  });

  it('passes axe-core (WCAG 2.1 AA, serious and critical) on the main pages, on a phone too', async () => {
    const concert = await service.api.createConcert(admin, [
      { name: 'Seats', priceCents: 2500, capacity: 50 },
    ]);
    const page = await profile(PHONE);
    const pages = ['/', `/concerts/${concert.id}`, '/login', '/signup'];
    for (const path of pages) {
      await page.goto(path);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      expect(await accessibilityViolations(page), path).toEqual([]);
    }
    await logIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
    await page.waitForURL('**/admin');
    await page.getByTestId('admin-concert-row').first().waitFor();
    expect(await accessibilityViolations(page), '/admin').toEqual([]);
    await page.goto('/admin');
    // React renders after the load event: press Tab only once the page is there.
    await page.getByRole('heading', { level: 1 }).first().waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
  });
});

describe('a hold that runs out in the browser', () => {
  let service: TestService;
  let browser: Browser;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [service, browser] = await Promise.all([
      startTestService({ HOLD_TTL_SECONDS: '3' }, { webRoot: WEB_ROOT }),
      launchChromium(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('shows the expiry message when the countdown ends, and the count comes back on its own', async () => {
    const admin = await service.api.adminToken();
    const concert = await service.api.createConcert(admin, [{ name: 'Lawn', priceCents: 1500, capacity: 5 }]);
    const context = await newProfile(browser, service.service.url, pageErrors);
    const page = await context.newPage();
    await signUp(page, 'late@example.test', `/concerts/${concert.id}`);
    await page.getByLabel(/^Quantity/).fill('2');
    await page.getByRole('button', { name: 'Reserve' }).click();
    const hold = page.getByTestId('reservation');
    await expect
      .poll(() => announced(hold, 'alert'), { timeout: 20_000 })
      .toContain('Your hold expired and the tickets went back on sale');
    expect(await hold.getByRole('button', { name: 'Confirm' }).count()).toBe(0);
    // The service frees the hold as it runs out and publishes it: the count comes back without a reload.
    await expect
      .poll(() => page.getByTestId('concert-available').textContent(), { timeout: 10_000 })
      .toBe('5 tickets left');
    await screenshot(page, 'hold-expired');
    const after = (await service.api.request<{ concert: Concert }>('GET', `/api/concerts/${concert.id}`)).body
      .concert;
    expect(after.availableTickets).toBe(5);
    await context.close();
    expect(pageErrors).toEqual([]);
  });
});
