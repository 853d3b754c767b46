/// <reference lib="dom" />
// Code passed to page.evaluate runs in the browser.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

/** A queue-position reaches the page within this (ms): pushed at once, or read by the fallback poll. */
const LIVE = 20_000;

interface Queue {
  status: string;
  position?: number;
  ahead?: number;
  admission?: { token: string; expiresAt: string };
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

/** The token the page keeps for its signed-in fan (to ask the service what it told the page). */
const tokenOf = (page: Page) =>
  page.evaluate(() => {
    const raw = localStorage.getItem('concert-tickets.session');
    return raw ? (JSON.parse(raw) as { token: string }).token : '';
  });

/** Every `queue-position` message the page's sockets receive, as parsed (the live path, apart from the poll). */
function queueMessages(page: Page): Array<Queue & { concertId: string }> {
  const seen: Array<Queue & { concertId: string }> = [];
  page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => {
      try {
        const message = JSON.parse(String(payload)) as Queue & { type?: string; concertId: string };
        if (message.type === 'queue-position') seen.push(message);
      } catch {
        // not JSON: not ours
      }
    }),
  );
  return seen;
}

const roomOf = (page: Page) => page.getByTestId('waiting-room');
const roomStatus = (page: Page) => roomOf(page).getAttribute('data-status');
const tierOption = (page: Page, name: string) => page.getByTestId('tier-option').filter({ hasText: name });

describe('the waiting room in Chromium', () => {
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

  /** A waiting-room concert (two tiers unless given), created over the API. */
  const queuedConcert = (
    waitingRoom: Record<string, unknown>,
    onSaleAt: Date,
    tiers = [
      { name: 'Floor', priceCents: 6000, capacity: 50, maxPerOrder: 4 },
      { name: 'Balcony', priceCents: 4000, capacity: 20, maxPerOrder: 4 },
    ],
  ) =>
    service.api.createConcert(admin, tiers, {
      title: 'Big On-Sale',
      onSaleAt: onSaleAt.toISOString(),
      waitingRoom: { enabled: true, ...waitingRoom },
    });

  /** A fan of the API (no browser) who takes a place in the line now. */
  const apiFan = async (email: string, concertId: string) => {
    const token = await service.api.register(email);
    const joined = await service.api.request<{ queue: Queue }>('POST', `/api/concerts/${concertId}/queue`, {
      token,
    });
    expect(joined.status).toBe(200);
    return token;
  };
  const queueOf = async (token: string, concertId: string) =>
    (await service.api.request<{ queue: Queue }>('GET', `/api/concerts/${concertId}/queue`, { token })).body
      .queue;

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

  it('takes a fan from the countdown through the line to their turn, and they reserve with the admission; the organiser resumes and sets the rate from the console', async () => {
    const onSaleAt = new Date(Date.now() + 15_000);
    const concert = await queuedConcert({ admissionPerMinute: 60, paused: true }, onSaleAt);
    const fan = await profile();
    const pushed = queueMessages(fan);
    await signUp(fan, 'early@example.test', `/concerts/${concert.id}`);

    // Before the sale: the room, a countdown, no reservation form.
    await expect.poll(() => roomStatus(fan)).toBe('before-sale');
    const countdown = await roomOf(fan).getByTestId('sale-countdown').textContent();
    expect(countdown).toMatch(/^0:(0\d|1[0-5])$/);
    expect(await fan.getByRole('button', { name: 'Reserve' }).count()).toBe(0);
    expect(await fan.getByTestId('queue-announcement').textContent()).toBe(
      'You are in the waiting room. The sale has not opened yet.',
    );
    expect(await accessibilityViolations(fan), 'before the sale').toEqual([]);
    await screenshot(fan, 'waiting-room-before-sale');
    await apiFan('early2@example.test', concert.id);
    await apiFan('early3@example.test', concert.id);

    // The sale opens: the three present are drawn into line; the page shows the fan's place, as the service says.
    await expect.poll(() => roomStatus(fan), { timeout: LIVE }).toBe('waiting');
    const token = await tokenOf(fan);
    const place = await queueOf(token, concert.id);
    expect(place.status).toBe('waiting');
    expect([1, 2, 3]).toContain(place.position);
    await expect.poll(() => fan.getByTestId('queue-position').textContent()).toBe(String(place.position));
    expect(await fan.getByTestId('queue-ahead').textContent()).toBe(String((place.position ?? 1) - 1));
    expect(await fan.getByLabel('Your progress in line').getAttribute('max')).not.toBeNull();
    await expect
      .poll(() => fan.getByTestId('queue-announcement').textContent())
      .toContain(`You are number ${place.position} in line.`);
    expect(await accessibilityViolations(fan), 'in line').toEqual([]);
    await screenshot(fan, 'waiting-room-in-line');

    // The organiser sees the paused line in the console and lets it move.
    const organiser = await profile();
    await logIn(organiser, TEST_ADMIN.email, TEST_ADMIN.password);
    await organiser.waitForURL('**/admin');
    const panel = organiser.getByTestId('queue-panel').filter({ hasText: 'Big On-Sale' });
    await expect.poll(() => panel.getByTestId('queue-waiting').textContent()).toBe('3');
    expect(await panel.getByTestId('queue-state').textContent()).toBe('Paused');
    expect(await panel.getByTestId('queue-rate').textContent()).toBe('60 a minute');
    await screenshot(organiser, 'waiting-room-console');
    await panel.getByRole('button', { name: /Resume admission/ }).click();
    await expect.poll(() => panel.getByTestId('queue-state').textContent()).toBe('Admitting');

    // At 60 a minute the three are let in within seconds, in their order: the fan's turn comes.
    await expect.poll(() => roomStatus(fan), { timeout: LIVE }).toBe('admitted');
    await expect.poll(() => fan.getByRole('heading', { name: 'It’s your turn' }).count()).toBe(1);
    expect(await fan.getByTestId('admission-countdown').textContent()).toMatch(/^(9|10):\d\d$/);
    await expect
      .poll(() => fan.getByTestId('queue-announcement').textContent())
      .toBe('It’s your turn: reserve your tickets now.');
    await screenshot(fan, 'waiting-room-your-turn');
    // The place came live over the page's socket (join-queue), not only from the fallback poll.
    expect(
      pushed.filter((message) => message.concertId === concert.id).map((message) => message.status),
    ).toEqual(expect.arrayContaining(['before-sale', 'waiting', 'admitted']));
    await tierOption(fan, 'Floor').getByRole('radio').check();
    await fan.getByLabel(/^Quantity/).fill('2');
    await fan.getByRole('button', { name: 'Reserve' }).click();
    const hold = fan.getByTestId('reservation');
    await expect.poll(() => hold.getAttribute('data-status')).toBe('held');
    await hold.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => hold.getAttribute('data-status')).toBe('confirmed');
    await expect.poll(() => panel.getByTestId('queue-sold').textContent(), { timeout: LIVE }).toBe('2');
    await expect.poll(() => panel.getByTestId('queue-admitted').textContent()).toBe('3');

    // A fan who was never let in cannot reserve (the rule the page keeps to): the service says so.
    const outsider = await service.api.register('outsider@example.test');
    const refused = await service.api.request('POST', '/api/reservations', {
      token: outsider,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1 },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ADMISSION_REQUIRED');

    // The organiser changes the rate during the sale.
    await panel.getByRole('radio', { name: 'Fixed' }).check();
    await panel.getByLabel('Fans a minute').fill('120');
    await panel.getByRole('button', { name: 'Set rate' }).click();
    await expect.poll(() => panel.getByTestId('queue-rate').textContent()).toBe('120 a minute');
    const figures = await service.api.request('GET', `/api/admin/concerts/${concert.id}/queue`, {
      token: admin,
    });
    expect(figures.body.admissionPerMinute).toBe(120);
    expect(await accessibilityViolations(organiser), 'console').toEqual([]);
  }, 120_000);

  it('tells a fan in line "sold out" the moment the last ticket goes', async () => {
    // One ticket, `auto`: what is left to sell needs one buyer, so one fan is let in and the next waits.
    const concert = await queuedConcert(
      { admissionPerMinute: 'auto', paused: true },
      new Date(Date.now() - 1_000),
      [{ name: 'Only', priceCents: 9000, capacity: 1, maxPerOrder: 1 }],
    );
    // After the sale opens the line is first come, first served: the API fan is first, the browser fan second.
    const first = await apiFan('first@example.test', concert.id);
    const fan = await profile(PHONE);
    await signUp(fan, 'second@example.test', `/concerts/${concert.id}`);
    await expect.poll(() => roomStatus(fan), { timeout: LIVE }).toBe('waiting');
    await expect.poll(() => fan.getByTestId('queue-position').textContent()).toBe('2');
    expect(await fan.getByTestId('queue-ahead').textContent()).toBe('1');

    const resumed = await service.api.request('PATCH', `/api/admin/concerts/${concert.id}/queue`, {
      token: admin,
      body: { paused: false },
    });
    expect(resumed.status).toBe(200);
    await expect
      .poll(async () => (await queueOf(first, concert.id)).status, { timeout: LIVE })
      .toBe('admitted');
    await expect.poll(() => fan.getByTestId('queue-position').textContent(), { timeout: LIVE }).toBe('1');
    expect(await roomStatus(fan)).toBe('waiting');
    const admission = (await queueOf(first, concert.id)).admission?.token;
    const held = await service.api.request('POST', '/api/reservations', {
      token: first,
      body: { concertId: concert.id, tierId: concert.tiers[0]?.id, quantity: 1, admissionToken: admission },
    });
    expect(held.status).toBe(201);

    await expect.poll(() => roomStatus(fan), { timeout: LIVE }).toBe('sold-out');
    expect(await roomOf(fan).textContent()).toContain('Sold out.');
    await expect.poll(() => fan.getByTestId('queue-announcement').textContent()).toBe('Sold out.');
    expect(await fan.getByRole('button', { name: 'Reserve' }).count()).toBe(0);
    expect(await accessibilityViolations(fan), 'sold out').toEqual([]);
    await screenshot(fan, 'waiting-room-sold-out');
  });

  it('says when the admission window ran out, and takes the reservation form away', async () => {
    const concert = await queuedConcert(
      { admissionPerMinute: 600, admissionWindowSeconds: 30 },
      new Date(Date.now() - 1_000),
    );
    const fan = await profile();
    await signUp(fan, 'slow@example.test', `/concerts/${concert.id}`);
    // _attack F4_: a second fan buys within the same window; when it closes the screen says so.
    const buyer = await profile();
    await signUp(buyer, 'quick@example.test', `/concerts/${concert.id}`);
    await expect.poll(() => roomStatus(fan), { timeout: LIVE }).toBe('admitted');
    await expect.poll(() => roomStatus(buyer), { timeout: LIVE }).toBe('admitted');
    const buyerToken = await tokenOf(buyer);
    const hold = await service.api.request('POST', '/api/reservations', {
      token: buyerToken,
      body: {
        concertId: concert.id,
        tierId: concert.tiers[0]?.id,
        quantity: 2,
        admissionToken: (await queueOf(buyerToken, concert.id)).admission?.token,
      },
    });
    expect(hold.status).toBe(201);
    const confirmed = await service.api.request(
      'POST',
      `/api/reservations/${hold.body.reservation.id}/confirm`,
      {
        token: buyerToken,
      },
    );
    expect(confirmed.status).toBe(200);
    expect(await fan.getByTestId('admission-countdown').textContent()).toMatch(/^0:([0-2]\d|30)$/);
    expect(await fan.getByRole('button', { name: 'Reserve' }).count()).toBe(1);
    await expect.poll(() => roomStatus(fan), { timeout: 45_000 }).toBe('window-expired');
    await expect
      .poll(() => fan.getByTestId('queue-announcement').textContent())
      .toBe('Your time to buy ran out.');
    // Once the service's word is in (not bought): the turn passed. Before it, the page claims nothing.
    await expect
      .poll(() => roomOf(fan).textContent(), { timeout: LIVE })
      .toContain('Your turn passed to the next fan in line.');
    expect(await fan.getByRole('button', { name: 'Reserve' }).count()).toBe(0);
    // The service agrees: the window is over for this fan.
    expect((await queueOf(await tokenOf(fan), concert.id)).status).toBe('window-expired');
    await screenshot(fan, 'waiting-room-window-expired');
    // The buyer's window closed too, but the admission was used: "you got your tickets", not a wasted turn.
    await expect.poll(() => roomStatus(buyer), { timeout: LIVE }).toBe('window-expired');
    await expect.poll(() => buyer.getByTestId('queue-bought').count(), { timeout: LIVE }).toBe(1);
    expect(await roomOf(buyer).textContent()).toContain('You got your tickets.');
    await expect
      .poll(() => buyer.getByTestId('queue-announcement').textContent())
      .toBe('You got your tickets.');
    expect(await roomOf(buyer).textContent()).not.toContain('Your turn passed');
    expect(await queueOf(buyerToken, concert.id)).toMatchObject({
      status: 'window-expired',
      reserved: true,
      ticketsBought: 2,
    });
  }, 90_000);

  it('follows the line by polling when the live socket cannot stay open', async () => {
    const concert = await queuedConcert(
      { admissionPerMinute: 600, paused: true },
      new Date(Date.now() - 1_000),
    );
    const fan = await profile();
    // Every socket the page opens is closed at once: only `GET …/queue` can move the page.
    await fan.routeWebSocket(/\/ws/, (socket) => socket.close());
    await signUp(fan, 'offline@example.test', `/concerts/${concert.id}`);
    await expect.poll(() => roomStatus(fan), { timeout: LIVE }).toBe('waiting');
    expect(await fan.getByTestId('link-state').textContent()).not.toContain('Live');
    const resumed = await service.api.request('PATCH', `/api/admin/concerts/${concert.id}/queue`, {
      token: admin,
      body: { paused: false },
    });
    expect(resumed.status).toBe(200);
    await expect.poll(() => roomStatus(fan), { timeout: LIVE }).toBe('admitted');
    expect(await fan.getByRole('button', { name: 'Reserve' }).count()).toBe(1);
  });

  it('lets the organiser set the on-sale time and the waiting room in the concert form', async () => {
    const page = await profile();
    await logIn(page, TEST_ADMIN.email, TEST_ADMIN.password);
    await page.waitForURL('**/admin');
    const form = page.getByRole('form', { name: 'Create concert' });
    await form.getByLabel('Title').fill('Queued Night');
    await form.getByLabel('Artist').fill('The Lines');
    await form.getByLabel('Venue').fill('Arena');
    await form.getByLabel('Starts at').fill('2027-06-01T20:00');
    await form.getByLabel(/^Sale opens at/).fill('2027-05-01T10:00');
    await form.getByLabel('Sell through a waiting room').check();
    await form.getByRole('radio', { name: 'Fixed' }).check();
    await form.getByLabel('Fans let in a minute').fill('300');
    await form.getByLabel(/^Time to buy once let in/).fill('420');
    await form.getByLabel('Name').fill('Standing');
    await form.getByLabel('Price').fill('70');
    await form.getByLabel('Capacity').fill('1000');
    await form.getByRole('button', { name: 'Create concert' }).click();
    await expect
      .poll(() =>
        form
          .getByRole('status')
          .allTextContents()
          .then((texts) => texts.join(' ')),
      )
      .toContain('Created “Queued Night”');
    const created = (
      await service.api.request<{ concerts: Concert[] }>('GET', '/api/concerts')
    ).body.concerts.find((concert) => concert.title === 'Queued Night');
    expect(created?.onSaleAt).toBe('2027-05-01T10:00:00.000Z');
    expect(created?.waitingRoom).toMatchObject({
      enabled: true,
      admissionPerMinute: 300,
      admissionWindowSeconds: 420,
    });

    // Editing turns the room off and clears the on-sale time.
    await page.getByRole('link', { name: 'Edit Queued Night' }).click();
    const edit = page.getByRole('form', { name: 'Save changes' });
    expect(await edit.getByLabel('Sell through a waiting room').isChecked()).toBe(true);
    expect(await edit.getByLabel('Fans let in a minute').inputValue()).toBe('300');
    await edit.getByLabel('Sell through a waiting room').uncheck();
    await edit.getByLabel(/^Sale opens at/).fill('');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await expect
      .poll(() =>
        edit
          .getByRole('status')
          .allTextContents()
          .then((texts) => texts.join(' ')),
      )
      .toContain('Saved “Queued Night”');
    const saved = (await service.api.request('GET', `/api/concerts/${created?.id}`)).body.concert;
    expect(saved.waitingRoom?.enabled).toBe(false);
    expect(saved.onSaleAt).toBeUndefined();
  });
});
