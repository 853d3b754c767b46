import type { ConcertChange, ConcertRepository } from '../ports/concert.repository.port';
import type {
  AdmissionTokens,
  QueueAdmissionRepository,
  QueueJoinThrottle,
  StoredPlace,
  WaitingRoomStore,
} from '../ports/waiting-room.store.port';
import { type ConcertAdminDeps, updateConcert } from './concerts.service';
import { notFound, TicketingError } from './errors';
import type { Concert, Principal, WaitingRoomSettings } from './model';

export type { QueueOverview } from './waiting-room';

import {
  admissionClosesAt,
  admissionsDue,
  autoAllowance,
  autoRatePerMinute,
  placeRequest,
  type QueueOverview,
  type QueueView,
  rejoinScore,
  type ViewContext,
  viewOf,
  windowClosesAt,
} from './waiting-room';

/** What the waiting-room use cases need. `now` in ms since the epoch; `random` uniform in [0, 1). */
export interface WaitingRoomDeps {
  store: WaitingRoomStore;
  admissions: QueueAdmissionRepository;
  tokens: AdmissionTokens;
  /** Concert reads (settings, availability); the ticker should read the database, not a cache. */
  concerts: Pick<ConcertRepository, 'get' | 'list'>;
  now(): number;
  random(): number;
  /** Joins per client address; absent: no limit. */
  joinThrottle?: QueueJoinThrottle;
  /**
   * The ids of the concerts on sale with their waiting room on (one light query): what the ticker steps
   * through every second. Absent: `concerts.list()`, filtered.
   */
  queuedConcertIds?: () => Promise<string[]>;
}

/** The name of the lease the one admission ticker holds (see QueueTicker). */
export const ADMISSION_LEASE = 'queue-admission';

/** The concert's settings when its waiting room is on, else null. */
export function enabledWaitingRoom(concert: Concert): WaitingRoomSettings | null {
  return concert.waitingRoom?.enabled ? concert.waitingRoom : null;
}

const onSaleAtMs = (concert: Concert): number | null =>
  concert.onSaleAt === undefined ? null : Date.parse(concert.onSaleAt);

async function queuedConcert(
  deps: Pick<WaitingRoomDeps, 'concerts'>,
  concertId: string,
): Promise<{ concert: Concert; settings: WaitingRoomSettings }> {
  const concert = await deps.concerts.get(concertId);
  if (!concert) throw notFound('Concert');
  const settings = enabledWaitingRoom(concert);
  if (!settings) {
    throw new TicketingError('QUEUE_NOT_OPEN', 'This concert has no waiting room: reserve directly');
  }
  return { concert, settings };
}

async function viewContext(
  deps: WaitingRoomDeps,
  concert: Concert,
  settings: WaitingRoomSettings,
): Promise<ViewContext> {
  const pacing = await deps.store.readPacing(concert.id);
  return {
    nowMs: deps.now(),
    onSaleAtMs: onSaleAtMs(concert),
    settings,
    soldOut: concert.availableTickets <= 0,
    // Nobody is admitted while the concert is not on sale (its sales paused, or cancelled): no estimate,
    // as while the queue is paused (the last step's rate would promise a wait that is not happening).
    ratePerMinute:
      concert.status !== 'on-sale'
        ? null
        : (pacing?.ratePerMinute ??
          (typeof settings.admissionPerMinute === 'number' ? settings.admissionPerMinute : null)),
  };
}

/** The view with its admission token signed when the fan is admitted. */
async function signedView(
  deps: WaitingRoomDeps,
  concert: Concert,
  userId: string,
  place: StoredPlace,
  context: ViewContext,
): Promise<QueueView> {
  const view = viewOf(place, context);
  if (view.status === 'admitted' && place.state === 'admitted') {
    const expiresAtMs = windowClosesAt(place, context.settings);
    const token = await deps.tokens.issue({ userId, concertId: concert.id, expiresAtMs });
    view.admission = { token, expiresAt: new Date(expiresAtMs).toISOString() };
  }
  return view;
}

/**
 * A fan's durable admission put back into the store (after the store was lost): same time, same window.
 * Null when the fan was never admitted.
 */
async function restoredAdmission(
  deps: WaitingRoomDeps,
  concertId: string,
  userId: string,
): Promise<StoredPlace | null> {
  const record = await deps.admissions.find(concertId, userId);
  if (!record) return null;
  const admission = { admittedAtMs: record.admittedAtMs, closesAtMs: record.expiresAtMs };
  await deps.store.markAdmitted(concertId, [{ userId, ...admission }]);
  return { state: 'admitted', ...admission };
}

/**
 * Who asks for a place: a fan (over HTTP, WebSocket or Socket.IO) from `clientAddress` (undefined when
 * the transport gave none: counted under `'unknown'`, never exempt), or the service itself re-queuing a
 * live follower whose place was lost with the store (`rejoin`, with the waiting position it last saw,
 * null when unknown). Only the service's re-join skips the per-address limit: it is an explicit flag,
 * never inferred from a missing address.
 */
export type JoinOrigin =
  | { clientAddress: string | undefined; rejoin?: undefined }
  | { rejoin: { lastPosition: number | null }; clientAddress?: undefined };

/**
 * POST /api/concerts/{id}/queue and `join-queue`: takes the fan's one place in the concert's queue, or
 * answers the place held (a refresh, a second tab, a reconnect keep it). Before `onSaleAt` the place is
 * a random draw, after it the next in arrival order; a service re-join after the sale opened is scored
 * by the position last seen (`rejoinScore`). A fan admitted before the queue's store was lost is
 * admitted again with the same window, never given a second admission.
 * Only a join that would create a new place counts against QUEUE_JOINS_PER_ADDRESS_PER_MINUTE (a
 * refresh of a place held is free); a service re-join never counts.
 * @param origin see JoinOrigin; default: a fan whose address is unknown
 * Errors: NOT_FOUND (404), QUEUE_NOT_OPEN (409: no waiting room on this concert), RATE_LIMITED (429,
 * details.retryAfterSeconds).
 */
export async function joinQueue(
  deps: WaitingRoomDeps,
  principal: Principal,
  concertId: string,
  origin: JoinOrigin = { clientAddress: undefined },
): Promise<QueueView> {
  const { concert, settings } = await queuedConcert(deps, concertId);
  if (origin.rejoin === undefined && deps.joinThrottle) {
    const [held] = await deps.store.places(concertId, [principal.userId]);
    if (!held) {
      const verdict = await deps.joinThrottle.join(origin.clientAddress ?? 'unknown');
      if (!verdict.allowed) {
        throw new TicketingError('RATE_LIMITED', 'Too many queue joins from this address; try again later', {
          retryAfterSeconds: verdict.retryAfterSeconds,
        });
      }
    }
  }
  let request = placeRequest(deps.now(), onSaleAtMs(concert), deps.random);
  const saleOpen = request.kind === 'arrival';
  const lastPosition = origin.rejoin?.lastPosition ?? null;
  if (saleOpen && lastPosition !== null) {
    request = { kind: 'draw', score: rejoinScore(lastPosition, principal.userId) };
  }
  // The place and what the view needs besides it, in one round of calls.
  const [joined, context] = await Promise.all([
    deps.store.join(concertId, principal.userId, request),
    viewContext(deps, concert, settings),
  ]);
  let { place } = joined;
  const { created } = joined;
  // Only a new place after the sale opened can belong to a fan admitted before a store loss.
  if (created && saleOpen) {
    place = (await restoredAdmission(deps, concertId, principal.userId)) ?? place;
  }
  const [view] = await withUsage(
    deps,
    concertId,
    [principal.userId],
    [await signedView(deps, concert, principal.userId, place, context)],
  );
  return view as QueueView;
}

/**
 * GET /api/concerts/{id}/queue: the fan's place as it stands.
 * Errors: NOT_FOUND (404: no such concert, or not in its queue: never joined, or the place was lost
 * with the queue's store: join again), QUEUE_NOT_OPEN (409).
 */
export async function queuePosition(
  deps: WaitingRoomDeps,
  principal: Principal,
  concertId: string,
): Promise<QueueView> {
  const { concert, settings } = await queuedConcert(deps, concertId);
  const [[stored], context] = await Promise.all([
    deps.store.places(concertId, [principal.userId]),
    viewContext(deps, concert, settings),
  ]);
  const place = stored ?? (await restoredAdmission(deps, concertId, principal.userId));
  if (!place) {
    throw new TicketingError(
      'NOT_FOUND',
      'You are not in this queue (or your place was lost when the queue restarted): join it to get a place',
    );
  }
  const [view] = await withUsage(
    deps,
    concert.id,
    [principal.userId],
    [await signedView(deps, concert, principal.userId, place, context)],
  );
  return view as QueueView;
}

/**
 * Adds to each `window-expired` view whether its admission was used (`reserved`, `ticketsBought`): one
 * read for all of them; other views as they are.
 */
async function withUsage<V extends QueueView | null>(
  deps: WaitingRoomDeps,
  concertId: string,
  userIds: readonly string[],
  views: V[],
): Promise<V[]> {
  const expired = userIds.filter((_, index) => views[index]?.status === 'window-expired');
  if (expired.length === 0) return views;
  const usage = await deps.admissions.purchases(concertId, expired, deps.now());
  return views.map((view, index) => {
    if (view?.status !== 'window-expired') return view;
    const used = usage.get(userIds[index] as string);
    return { ...view, reserved: used !== undefined, ticketsBought: used?.bought ?? 0 };
  });
}

/**
 * The views of many fans of one concert at once (the live feeds, once a second): null for a fan the
 * store does not know (its place was lost); a `window-expired` view says whether the admission was used.
 * When the concert's waiting room was turned off (settings kept, `enabled: false`), every fan gets
 * `{status: 'admitted', waitingRoom: 'off'}` (reserve directly, no token needed); null for all when the
 * concert is gone or never had a waiting room.
 */
export async function queueViews(
  deps: WaitingRoomDeps,
  concertId: string,
  userIds: readonly string[],
): Promise<Array<QueueView | null>> {
  const concert = await deps.concerts.get(concertId);
  if (concert?.waitingRoom && !concert.waitingRoom.enabled) {
    return userIds.map(() => ({ status: 'admitted', waitingRoom: 'off' }));
  }
  const settings = concert ? enabledWaitingRoom(concert) : null;
  if (!concert || !settings) return userIds.map(() => null);
  const context = await viewContext(deps, concert, settings);
  const places = await deps.store.places(concertId, userIds);
  const views = await Promise.all(
    places.map((place, index) =>
      place ? signedView(deps, concert, userIds[index] as string, place, context) : null,
    ),
  );
  return withUsage(deps, concertId, userIds, views);
}

/**
 * Throws unless a reservation for `concertId` may go ahead: on a waiting-room concert the body must carry
 * an admission token signed by this service for this fan and this concert, still in its window. Other
 * concerts (and unknown ones: the hold answers 404) need nothing.
 * @throws TicketingError ADMISSION_REQUIRED (403): missing, expired, forged, another fan's or another
 *   concert's token
 */
export async function requireAdmission(
  deps: { concerts: Pick<ConcertRepository, 'get'>; tokens: WaitingRoomDeps['tokens'] },
  principal: Principal,
  concertId: string,
  admissionToken: string | undefined,
): Promise<void> {
  const concert = await deps.concerts.get(concertId);
  if (!concert || !enabledWaitingRoom(concert)) return;
  const claims = admissionToken ? await deps.tokens.verify(admissionToken) : null;
  if (!claims || claims.userId !== principal.userId || claims.concertId !== concertId) {
    throw new TicketingError(
      'ADMISSION_REQUIRED',
      admissionToken
        ? 'This admission is not valid for you and this concert, or its window has closed'
        : 'This concert sells through its waiting room: join the queue and reserve once admitted',
      { concertId },
    );
  }
}

/** What one admission step did for one concert. */
export interface AdmissionStep {
  concertId: string;
  admitted: number;
  ratePerMinute: number;
  /** Why nobody could be admitted, when nobody was. */
  idle?: 'before-sale' | 'paused' | 'not-on-sale' | 'sold-out' | 'nobody-waiting' | 'auto-allowance-used';
}

/**
 * One admission step for one concert at `nowMs` (the one ticker calls it about once a second): admits the
 * next fans in score order, as many as the pacing allows (`admissionPerMinute / 60` a second, or `auto`'s
 * rate, capped by its allowance). Each admission is recorded durably first, then marked in the store; a
 * fan the database already holds as admitted keeps the earlier admission. Nobody is admitted before the
 * sale opens, while paused, while the concert is not on sale, or while nothing is left to reserve.
 */
export async function admitStep(
  deps: WaitingRoomDeps,
  concert: Concert,
  nowMs: number,
): Promise<AdmissionStep> {
  const settings = enabledWaitingRoom(concert);
  const step = (ratePerMinute: number, idle?: AdmissionStep['idle'], admitted = 0): AdmissionStep =>
    idle
      ? { concertId: concert.id, admitted, ratePerMinute, idle }
      : { concertId: concert.id, admitted, ratePerMinute };
  if (!settings || concert.status !== 'on-sale') return step(0, 'not-on-sale');
  const opensAt = onSaleAtMs(concert);
  if (opensAt !== null && nowMs < opensAt) {
    // Before the sale every place belongs in the draw: an arrival here was scored by an on-sale time
    // that has since moved later (a join that read the concert before the move, or one cached on
    // another replica); put it into the draw before the sale opens.
    await deps.store.drawArrivals(concert.id, deps.random);
    return step(0, 'before-sale');
  }
  const previous = await deps.store.readPacing(concert.id);
  if (settings.paused) {
    await deps.store.writePacing(concert.id, { atMs: nowMs, carry: 0, ratePerMinute: 0 });
    return step(0, 'paused');
  }
  if (concert.availableTickets <= 0) {
    await deps.store.writePacing(concert.id, {
      atMs: nowMs,
      carry: 0,
      ratePerMinute: previous?.ratePerMinute ?? 0,
    });
    return step(0, 'sold-out');
  }
  let rate: number;
  let allowance = Number.POSITIVE_INFINITY;
  if (settings.admissionPerMinute === 'auto') {
    const figures = await deps.admissions.figures(concert.id, nowMs);
    allowance = autoAllowance({
      availableTickets: concert.availableTickets,
      heldTickets: figures.held,
      averageOrderSize: figures.averageOrderSize,
      openAdmissions: figures.openAdmissions,
    });
    rate = autoRatePerMinute(allowance);
  } else rate = settings.admissionPerMinute;
  const due = admissionsDue(rate, previous, nowMs);
  const count = Math.min(due.count, allowance);
  await deps.store.writePacing(concert.id, due.pacing);
  if (count <= 0) return step(rate, allowance <= 0 ? 'auto-allowance-used' : undefined);
  const next = await deps.store.peekNext(concert.id, count);
  if (next.length === 0) return step(rate, 'nobody-waiting');
  const closes = admissionClosesAt(nowMs, settings);
  const recorded = await deps.admissions.record(
    concert.id,
    next.map((userId) => ({ userId, admittedAtMs: nowMs, expiresAtMs: closes })),
  );
  await deps.store.markAdmitted(
    concert.id,
    recorded.map(({ userId, admittedAtMs, expiresAtMs }) => ({
      userId,
      admittedAtMs,
      closesAtMs: expiresAtMs,
    })),
  );
  return step(rate, undefined, recorded.filter((record) => record.admittedAtMs === nowMs).length);
}

/** One admission step for every concert with its waiting room on. */
export async function admitAll(deps: WaitingRoomDeps, nowMs: number): Promise<AdmissionStep[]> {
  const ids = deps.queuedConcertIds
    ? await deps.queuedConcertIds()
    : (await deps.concerts.list())
        .filter((concert) => enabledWaitingRoom(concert))
        .map((concert) => concert.id);
  const steps: AdmissionStep[] = [];
  for (const id of ids) {
    // The step reads the concert itself (availability and settings right now).
    const concert = await deps.concerts.get(id);
    if (concert) steps.push(await admitStep(deps, concert, nowMs));
  }
  return steps;
}

/**
 * GET /api/admin/concerts/{id}/queue: waiting, admitted, rates, sold and held, and the time to sell out
 * at the current rate and average order size (`0` once sold out; null while the queue is paused, the
 * concert is not on sale, before the first step, or when the line, waiting plus open admissions at the
 * average order size, cannot take what is left).
 * Errors: NOT_FOUND (404), QUEUE_NOT_OPEN (409: the concert has no waiting room settings).
 */
export async function queueOverview(deps: WaitingRoomDeps, concertId: string): Promise<QueueOverview> {
  const concert = await deps.concerts.get(concertId);
  if (!concert) throw notFound('Concert');
  const settings = concert.waitingRoom;
  if (!settings) throw new TicketingError('QUEUE_NOT_OPEN', 'This concert has no waiting room');
  const nowMs = deps.now();
  const [counts, figures, pacing] = await Promise.all([
    deps.store.counts(concertId),
    deps.admissions.figures(concertId, nowMs),
    deps.store.readPacing(concertId),
  ]);
  const rate = pacing?.ratePerMinute ?? 0;
  const perOrder = figures.averageOrderSize ?? 1;
  // The line as it stands (still waiting, or admitted and yet to buy) at the average order size: when it
  // cannot take what is left, the admission rate says nothing of a sell-out time.
  const lineCanSellOut = (counts.waiting + figures.openAdmissions) * perOrder >= concert.availableTickets;
  const admitting = rate > 0 && !settings.paused && concert.status === 'on-sale' && lineCanSellOut;
  return {
    waiting: counts.waiting,
    admitted: figures.admitted,
    openAdmissions: figures.openAdmissions,
    admissionPerMinute: settings.admissionPerMinute,
    currentRatePerMinute: rate,
    paused: settings.paused,
    sold: figures.sold,
    held: figures.held,
    available: concert.availableTickets,
    estimatedSellOutSeconds:
      concert.availableTickets <= 0
        ? 0
        : admitting
          ? Math.ceil((concert.availableTickets / (rate * perOrder)) * 60)
          : null,
    onSaleAt: concert.onSaleAt ?? null,
  };
}

/**
 * PATCH /api/concerts/{id} on any concert: `updateConcert`, except that once a waiting-room sale has
 * opened (now ≥ the stored `onSaleAt`) with fans waiting in its queue, `onSaleAt` cannot be moved (to
 * another time, or cleared): their places were scored at join (the draw, then arrivals), so a later
 * on-sale time would turn later arrivals into draws ahead of fans already in line. Moving it before the
 * sale opened keeps the draw (every early joiner stays in it); the same time again is no change.
 * The check reads the queue before the update, so a first join can slip in between (scored as an
 * arrival under the old time): after any update that leaves an `onSaleAt` still to come, every place
 * scored by arrival is put into the draw (`WaitingRoomStore.drawArrivals`, atomic per place), as the
 * rule says (everyone waiting at `onSaleAt` is in the draw). A join that read the concert before the
 * change and lands after it is re-scored by the ticker's next step before the sale (`admitStep`).
 * Errors: those of `updateConcert`; QUEUE_ALREADY_OPEN (409, details `{onSaleAt, waiting}`).
 */
export async function updateQueuedConcert(
  deps: WaitingRoomDeps & ConcertAdminDeps,
  concertId: string,
  change: ConcertChange,
): Promise<Concert> {
  if (change.onSaleAt !== undefined) {
    const concert = await deps.concerts.get(concertId);
    const opensAt = concert ? onSaleAtMs(concert) : null;
    const moved = change.onSaleAt === null ? opensAt !== null : Date.parse(change.onSaleAt) !== opensAt;
    if (concert?.waitingRoom && opensAt !== null && deps.now() >= opensAt && moved) {
      const { waiting } = await deps.store.counts(concertId);
      if (waiting > 0) {
        throw new TicketingError(
          'QUEUE_ALREADY_OPEN',
          'The sale has opened with fans in line: the on-sale time can no longer be moved',
          { onSaleAt: concert.onSaleAt, waiting },
        );
      }
    }
  }
  const updated = await updateConcert(deps, concertId, change);
  const opensAt = onSaleAtMs(updated);
  if (updated.waitingRoom && opensAt !== null && deps.now() < opensAt) {
    await deps.store.drawArrivals(concertId, deps.random);
  }
  return updated;
}

/**
 * PATCH /api/admin/concerts/{id}/queue: pause, resume or change the rate, during the sale or before it
 * (a pause before `onSaleAt` leaves the draw as it is; nobody is admitted until resumed). A concert
 * change like any other: its version grows and watchers hear of it.
 * Errors: NOT_FOUND (404), QUEUE_NOT_OPEN (409: no waiting room settings to change).
 */
export async function changeQueue(
  deps: WaitingRoomDeps & ConcertAdminDeps,
  concertId: string,
  change: { paused?: boolean | undefined; admissionPerMinute?: number | 'auto' | undefined },
): Promise<QueueOverview> {
  const concert = await deps.concerts.get(concertId);
  if (!concert) throw notFound('Concert');
  if (!concert.waitingRoom) throw new TicketingError('QUEUE_NOT_OPEN', 'This concert has no waiting room');
  await updateConcert(deps, concertId, { waitingRoom: change, tierChanges: [], newTiers: [] });
  return queueOverview(deps, concertId);
}
