/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import type { Browser, BrowserContext, Locator, Page, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../functions/core/jobs.service';
import type { Concert } from '../../functions/core/model';
import { launchChromium, newProfile, PHONE, screenshot, WEB_ROOT } from '../support/browser';
import { startTestService, TEST_ADMIN, type TestService } from '../support/test-service';

const LIVE = 15_000;

async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function signUp(page: Page, email: string, next: string, name = 'Fan'): Promise<void> {
  await page.goto(`/signup?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel(/^Password/).fill('a long password');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL(`**${next}`);
}

const announced = (page: Page, role: 'alert' | 'status') =>
  page
    .getByRole(role)
    .allTextContents()
    .then((texts) => texts.join(' ').trim());

/** Two animation frames: whatever React was given before this has been rendered. */
const rendered = (page: Page) =>
  page.evaluate(
    () => new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))),
  );

/** The "Starts at" field shows its whole date and time (AM/PM too) at every width from a small phone up. */
async function expectWholeStartsAt(page: Page, startsAt: Locator): Promise<void> {
  for (const width of [320, 360, 390, 430, 520, 640, 768, 900, 1024, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    const room = await startsAt.evaluate((input) => {
      const probe = document.createElement('span');
      probe.style.font = getComputedStyle(input).font;
      probe.style.whiteSpace = 'pre';
      probe.textContent = '00/00/0000, 00:00 PM';
      document.body.append(probe);
      const text = probe.getBoundingClientRect().width;
      probe.remove();
      const style = getComputedStyle(input);
      const inner =
        input.getBoundingClientRect().width -
        Number.parseFloat(style.paddingLeft) -
        Number.parseFloat(style.paddingRight) -
        Number.parseFloat(style.borderLeftWidth) -
        Number.parseFloat(style.borderRightWidth);
      // What is left beside the text for the calendar button (about 1.5 em).
      return Math.round(inner - text - 1.5 * Number.parseFloat(style.fontSize));
    });
    expect(room, `room beside the date at ${width} px`).toBeGreaterThanOrEqual(0);
  }
}

describe('the organiser console and the fan pages in Chromium', () => {
  let service: TestService;
  let browser: Browser;
  let admin: string;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  /** Every answer of 400 or more the browser got (a missing favicon included), as "status path". */
  const failedRequests: string[] = [];

  const profile = async (device?: typeof PHONE) => {
    const context = await newProfile(browser, service.service.url, pageErrors, device);
    context.on('response', (response: Response) => {
      if (response.status() >= 400 && !new URL(response.url()).pathname.startsWith('/api/')) {
        failedRequests.push(`${response.status()} ${new URL(response.url()).pathname}`);
      }
    });
    contexts.push(context);
    return context.newPage();
  };

  const reserve = async (token: string, concert: Concert, tier: number, quantity: number) => {
    const answer = await service.api.request('POST', '/api/reservations', {
      token,
      body: { concertId: concert.id, tierId: concert.tiers[tier]?.id, quantity },
    });
    expect(answer.status).toBe(201);
    return answer.body.reservation.id as string;
  };

  beforeAll(async () => {
    [service, browser] = await Promise.all([startTestService({}, { webRoot: WEB_ROOT }), launchChromium()]);
    admin = await service.api.adminToken();
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    expect(pageErrors.splice(0)).toEqual([]);
    expect(failedRequests.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('shows sold and held apart in the concerts table, and keeps the table live without a reload', async () => {
    const concert = await service.api.createConcert(
      admin,
      [
        { name: 'Floor', priceCents: 2000, capacity: 10, maxPerOrder: 6 },
        { name: 'Box', priceCents: 9000, capacity: 4, maxPerOrder: 4 },
      ],
      { title: 'Sold Or Held' },
    );
    const [first, second] = await Promise.all([
      service.api.register('console1@example.test'),
      service.api.register('console2@example.test'),
    ]);
    await reserve(first, concert, 0, 2);
    const confirmed = await reserve(second, concert, 1, 3);
    await service.api.request('POST', `/api/reservations/${confirmed}/confirm`, { token: second });

    const page = await profile();
    await logIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
    await page.waitForURL('**/admin');
    const row = page.getByTestId('admin-concert-row').filter({ hasText: 'Sold Or Held' });
    const cells = () =>
      Promise.all(['admin-sold', 'admin-held', 'admin-left'].map((id) => row.getByTestId(id).textContent()));
    await expect.poll(cells).toEqual(['3', '2', '9']);

    // A new hold and a confirmation show up without a reload.
    const later = await reserve(first, concert, 0, 4);
    await expect.poll(cells, { timeout: LIVE }).toEqual(['3', '6', '5']);
    await service.api.request('POST', `/api/reservations/${later}/confirm`, { token: first });
    await expect.poll(cells, { timeout: LIVE }).toEqual(['7', '2', '5']);
    // The console's own source of truth agrees with the public availability.
    const sales = await service.api.request('GET', '/api/admin/sales', { token: admin });
    expect(sales.status).toBe(200);
    expect(sales.body.concerts.find((c: { concertId: string }) => c.concertId === concert.id)).toMatchObject({
      sold: 7,
      held: 2,
    });
    expect((await service.api.request('GET', '/api/admin/sales', { token: first })).status).toBe(403);
    await screenshot(page, 'admin-console-sold-held');
  });

  it("opens the report page on today's report without a click", async () => {
    const concert = await service.api.createConcert(
      admin,
      [{ name: 'Hall', priceCents: 1000, capacity: 8 }],
      {
        title: 'Report Today',
      },
    );
    const fan = await service.api.register('report@example.test');
    const id = await reserve(fan, concert, 0, 2);
    await service.api.request('POST', `/api/reservations/${id}/confirm`, { token: fan });
    await runJob(service.service.services.jobs, 'daily-report', {
      date: new Date().toISOString().slice(0, 10),
    });

    const page = await profile();
    await logIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
    await page.waitForURL('**/admin');
    await page.getByRole('link', { name: /Daily sales report/ }).click();
    const bar = page.getByTestId('sales-bar').filter({ hasText: 'Report Today' });
    await expect.poll(() => bar.count()).toBe(1);
    expect(await bar.textContent()).toContain('2 / 2');
  });

  it('shows the saved title after saving, the whole "Starts at" at every width, and names the tier and the floor of a capacity', async () => {
    const concert = await service.api.createConcert(admin, [
      { name: 'Stalls', priceCents: 1000, capacity: 10 },
      { name: 'Pit', priceCents: 1500, capacity: 10, maxPerOrder: 10 },
    ]);
    const fan = await service.api.register('edit@example.test');
    await reserve(fan, concert, 1, 6);

    const page = await profile(PHONE);
    await logIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
    await page.waitForURL('**/admin');
    await page.goto(`/admin/concerts/${concert.id}`);
    const form = page.getByRole('form', { name: 'Save changes' });
    // The date and time, AM/PM included, fit in the field at every width, here and in the create form.
    await expectWholeStartsAt(page, form.getByLabel('Starts at'));
    await page.goto('/admin');
    await expectWholeStartsAt(
      page,
      page.getByRole('form', { name: 'Create concert' }).getByLabel('Starts at'),
    );
    await page.goto(`/admin/concerts/${concert.id}`);

    await form.getByLabel('Title').fill('Renamed Night');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => announced(page, 'status')).toContain('Saved “Renamed Night”');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Edit Renamed Night');

    await form.getByLabel('Capacity').nth(1).fill('2');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await expect
      .poll(() => announced(page, 'alert'))
      .toContain('Tier “Pit” cannot have fewer than 6 places: 6 tickets are already sold or held.');
    const tiers = (await service.api.request<{ concert: Concert }>('GET', `/api/concerts/${concert.id}`)).body
      .concert.tiers;
    expect(tiers.map((tier) => tier.capacity)).toEqual([10, 10]);
  });

  it('names who is signed in, lists open holds under My tickets, and asks for no missing favicon', async () => {
    const concert = await service.api.createConcert(
      admin,
      [{ name: 'Lawn', priceCents: 1200, capacity: 20 }],
      {
        title: 'Held Somewhere',
      },
    );
    const page = await profile();
    await page.goto('/');
    await expect.poll(() => page.locator('link[rel="icon"]').count()).toBe(1);
    await signUp(page, 'header@example.test', '/', 'Robin Fan');
    await expect
      .poll(() => page.getByRole('banner').getByTestId('signed-in-as').textContent())
      .toBe('Signed in as Robin Fan');

    await page.goto(`/concerts/${concert.id}`);
    await page.getByLabel(/^Quantity/).fill('2');
    await page.getByRole('button', { name: 'Reserve' }).click();
    await expect.poll(() => page.getByTestId('reservation').count()).toBe(1);

    await page.getByRole('link', { name: 'My tickets' }).first().click();
    const hold = page.getByTestId('open-hold');
    await expect.poll(() => hold.count()).toBe(1);
    expect(await hold.textContent()).toContain('2 × Lawn');
    expect(await hold.textContent()).toContain('Held Somewhere');
    expect(await hold.getByTestId('countdown').textContent()).toMatch(/^(9|10):\d\d$/);
    await hold.getByRole('link', { name: /Held Somewhere/ }).click();
    await page.waitForURL(`**/concerts/${concert.id}`);
    await expect.poll(() => page.getByTestId('reservation').count()).toBe(1);
    await screenshot(page, 'my-tickets-holds');
  });

  it('lets the quantity be cleared and retyped, and refuses an empty one in words', async () => {
    const concert = await service.api.createConcert(admin, [
      { name: 'Seats', priceCents: 1000, capacity: 30, maxPerOrder: 5 },
    ]);
    const page = await profile();
    await signUp(page, 'quantity@example.test', `/concerts/${concert.id}`);
    const quantity = page.getByLabel(/^Quantity/);

    await quantity.click();
    await quantity.press('End');
    await quantity.press('Backspace');
    await quantity.pressSequentially('3');
    expect(await quantity.inputValue()).toBe('3');
    await page.getByRole('button', { name: 'Reserve' }).click();
    await expect.poll(() => page.getByTestId('reservation').count()).toBe(1);
    expect(await page.getByTestId('reservation').textContent()).toContain('3 × Seats');

    await quantity.fill('');
    await page.getByRole('button', { name: 'Reserve' }).click();
    await expect.poll(() => announced(page, 'alert')).toContain('Enter how many tickets: 1 to 5.');
    for (const typed of ['0', '9', '2.5']) {
      await quantity.fill(typed);
      await page.getByRole('button', { name: 'Reserve' }).click();
      await expect.poll(() => announced(page, 'alert')).toContain('Enter how many tickets: 1 to 5.');
    }
    const mine = await service.api.request('GET', `/api/concerts/${concert.id}`);
    expect(mine.body.concert.availableTickets).toBe(27);
    expect(await page.getByTestId('reservation').count()).toBe(1);
  });

  it('keeps a hold made while the list of holds was on its way (a stale answer merges, never replaces)', async () => {
    const concert = await service.api.createConcert(admin, [
      { name: 'Aisle', priceCents: 800, capacity: 12 },
    ]);
    const page = await profile();
    await signUp(page, 'merge@example.test', '/');

    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asked!: () => void;
    const askedOnce = new Promise<void>((resolve) => {
      asked = resolve;
    });
    await page.route('**/api/me/reservations', async (route) => {
      // Read before the hold commits, delivered after it.
      const answer = await route.fetch();
      asked();
      await gate;
      await route.fulfill({ response: answer });
    });
    await page.goto(`/concerts/${concert.id}`);
    await askedOnce;
    await page.getByLabel(/^Quantity/).fill('2');
    await page.getByRole('button', { name: 'Reserve' }).click();
    await expect.poll(() => page.getByTestId('reservation').count()).toBe(1);

    const delivered = page.waitForResponse('**/api/me/reservations');
    release();
    await delivered;
    await rendered(page);
    expect(await page.getByTestId('reservation').count()).toBe(1);
  });
});
