import type { Pacing, PlaceRequest, StoredPlace } from '../ports/waiting-room.store.port';
import type { WaitingRoomSettings } from './model';

/**
 * The waiting room's rules, pure (no clock, no store): how a place is scored, how many fans a step
 * admits, how many `auto` may admit, and what a fan is shown. The use cases are in
 * waiting-room.service.ts; docs/waiting-room.md tells the organiser's and the fan's side.
 */

/** How long an admitted fan may reserve unless the organiser says otherwise (s). */
export const DEFAULT_ADMISSION_WINDOW_SECONDS = 600;

/**
 * `auto` admits at most this fraction more buyers than what is left to sell needs at the average order
 * size (0.2: 20 %): enough that fans who leave without buying do not stall the sale, never thousands
 * into a sold-out concert. The bound tested in test/core/waiting-room.test.ts.
 */
export const AUTO_MARGIN = 0.2;

/** The order size `auto` assumes before the concert's first reservation (tickets). */
export const AUTO_DEFAULT_ORDER_SIZE = 2;

/** `auto` hands out its allowance over about this long (s), at no less than 1 and no more than 100 fans a second. */
const AUTO_SPREAD_SECONDS = 10;
const AUTO_MIN_PER_MINUTE = 60;
const AUTO_MAX_PER_MINUTE = 6_000;

/** A pacing step never makes up for more than this much lost time (ms): a late step admits no burst. */
const MAX_STEP_MS = 1_000;

export type QueueStatus = 'before-sale' | 'waiting' | 'admitted' | 'sold-out' | 'window-expired';

/**
 * What a fan is told of their place (../shared/API.md, `Queue`): `position` is 1-based among those still
 * waiting, `ahead` = position - 1; `estimatedWaitSeconds` at the current admission rate (absent while
 * paused or unknown); `opensAt` the on-sale time before it; `admission` the signed token and when its
 * window closes, while admitted. `requeued` says the place was given again after the queue's store was lost.
 */
export interface QueueView {
  status: QueueStatus;
  position?: number;
  ahead?: number;
  estimatedWaitSeconds?: number;
  opensAt?: string;
  admittedAt?: string;
  admission?: { token: string; expiresAt: string };
  requeued?: boolean;
  /**
   * On `window-expired`: whether the admission was used, i.e. the fan reserved for this concert during
   * it (a hold still live, or bought). `window-expired` alone means the window closed; with `reserved:
   * true` it closed after the fan got tickets (or holds some to pay for), not a place wasted.
   */
  reserved?: boolean;
  /** On `window-expired`: tickets the fan bought (confirmed) for this concert since admitted. */
  ticketsBought?: number;
  /**
   * `off`: the organiser turned the waiting room off; the status is then `admitted` with no `admission`:
   * reservations need no token any more. The last message a live follower gets for the concert.
   */
  waitingRoom?: 'off';
}

/** The organiser's live view of one concert's queue (GET /api/admin/concerts/{id}/queue). */
export interface QueueOverview {
  /** Fans still waiting in the queue's store. */
  waiting: number;
  /** Fans admitted so far (durable count). */
  admitted: number;
  /** Admissions whose window is still open. */
  openAdmissions: number;
  /** The configured rate: fans a minute, or `auto`. */
  admissionPerMinute: number | 'auto';
  /** The rate the last admission step ran at (fans a minute); 0 before the first. */
  currentRatePerMinute: number;
  paused: boolean;
  /** Tickets sold (confirmed). */
  sold: number;
  /** Tickets in live holds. */
  held: number;
  /** Tickets free to reserve now. */
  available: number;
  /** At the current rate and order size, how long until nothing is left (s); null when unknown. */
  estimatedSellOutSeconds: number | null;
  onSaleAt: string | null;
}

/** The `queue-position` message a follower gets over WebSocket or Socket.IO (API.md, "WebSocket"). */
export interface QueuePositionMessage extends QueueView {
  type: 'queue-position';
  concertId: string;
}

/**
 * How a fan's new place is scored: before the sale opens, a uniformly random draw in [0, 1) (`random`
 * must be uniform: crypto-strong in the service); at or after `onSaleAtMs` (or with no on-sale time),
 * by arrival, behind every draw. Ordering by score is then the fair draw followed by FIFO, with no draw
 * step at `onSaleAt` to run or to miss.
 */
export function placeRequest(nowMs: number, onSaleAtMs: number | null, random: () => number): PlaceRequest {
  if (onSaleAtMs !== null && nowMs < onSaleAtMs) return { kind: 'draw', score: random() };
  return { kind: 'arrival' };
}

/**
 * The score of a fan re-queued after the queue's store was lost, from the position it last saw while
 * waiting (1-based) and its user id: in [0.5, 1), so ahead of every arrival after the loss and in the
 * order of the last-seen positions, whatever replica (or poll) re-joins it first. Two fans who last saw
 * the same position are ordered by a hash of their ids (the same on every replica). Only after the sale
 * opened: before it, a re-join is a new draw like any other early join.
 */
export function rejoinScore(lastPosition: number, userId: string): number {
  let hash = 2_166_136_261; // FNV-1a, 32 bits: a stable tie-break, not a secret
  for (let index = 0; index < userId.length; index++) {
    hash ^= userId.charCodeAt(index);
    hash = Math.imul(hash, 16_777_619) >>> 0;
  }
  const tieBreak = hash / 2 ** 32; // [0, 1)
  return 1 - 1 / (Math.max(1, Math.floor(lastPosition)) + 1 + tieBreak);
}

/** The score of the n-th arrival after the sale opened (n from 1): always behind every draw in [0, 1). */
export const arrivalScore = (arrival: number): number => 1 + arrival;

/**
 * How many fans one step admits at `ratePerMinute`, smoothly: `ratePerMinute / 60` a second earned
 * continuously (the fraction carried to the next step), never more than one second's worth earned by one
 * late step, and never more than `floor(ratePerMinute / 60) + 1` fans admitted within any one second
 * (a sliding window over the steps of the last second, kept in the pacing). `previous` null: a first
 * step, worth one second.
 */
export function admissionsDue(
  ratePerMinute: number,
  previous: Pacing | null,
  nowMs: number,
): { count: number; pacing: Pacing } {
  const perSecond = ratePerMinute / 60;
  const elapsed = previous ? Math.min(MAX_STEP_MS, Math.max(0, nowMs - previous.atMs)) : MAX_STEP_MS;
  const credit = perSecond * (elapsed / 1000) + (previous?.carry ?? 0);
  const recent = (previous?.recent ?? []).filter(([atMs]) => atMs > nowMs - 1_000 && atMs <= nowMs);
  const room = Math.floor(perSecond) + 1 - recent.reduce((sum, [, count]) => sum + count, 0);
  const count = Math.max(0, Math.min(Math.floor(credit), room));
  if (count > 0) recent.push([nowMs, count]);
  return {
    count,
    pacing: { atMs: nowMs, carry: Math.min(credit - count, perSecond + 1), ratePerMinute, recent },
  };
}

/** What `auto` reads to size its allowance (counts of tickets and of fans, right now). */
export interface AutoInput {
  /** Tickets free to reserve now. */
  availableTickets: number;
  /** Tickets in live holds: they may come back if their holders let them run out. */
  heldTickets: number;
  /** Mean tickets per order so far; null or below 1 → AUTO_DEFAULT_ORDER_SIZE or 1. */
  averageOrderSize: number | null;
  /** Fans admitted whose window is still open: they may still buy. */
  openAdmissions: number;
}

/**
 * How many more fans `auto` may admit now: the orders what is left to sell (available + held) can
 * still fill at the average order size, plus AUTO_MARGIN, minus the fans already admitted and still in
 * their window. Zero when nothing is left: a sold-out concert admits nobody.
 * Bound: right after any step that admits, open admissions (admitted, window open, not yet reserved) ≤
 * ceil((available + held) / averageOrderSize × (1 + AUTO_MARGIN)).
 */
export function autoAllowance(input: AutoInput): number {
  const left = input.availableTickets + input.heldTickets;
  if (input.availableTickets <= 0 || left <= 0) return 0;
  const orderSize = Math.max(1, input.averageOrderSize ?? AUTO_DEFAULT_ORDER_SIZE);
  const buyers = Math.ceil((left / orderSize) * (1 + AUTO_MARGIN));
  return Math.max(0, buyers - input.openAdmissions);
}

/** The rate `auto` admits its allowance at (fans a minute): spread over ~10 s, 1 to 100 a second. */
export function autoRatePerMinute(allowance: number): number {
  return Math.min(AUTO_MAX_PER_MINUTE, Math.max(AUTO_MIN_PER_MINUTE, (allowance * 60) / AUTO_SPREAD_SECONDS));
}

/** Everything a fan's view depends on besides the place itself. */
export interface ViewContext {
  nowMs: number;
  onSaleAtMs: number | null;
  settings: WaitingRoomSettings;
  /** No ticket left to reserve right now. */
  soldOut: boolean;
  /** The rate of the last admission step (fans a minute), 0 or null when none ran yet. */
  ratePerMinute: number | null;
}

/**
 * The fan's view of a place, token aside (the caller signs it for `admitted`): before the sale opens
 * `before-sale` (with `opensAt`, no position: the draw decides it); admitted and in the window
 * `admitted` until its window closes (`windowClosesAt`: fixed when the admission was given), after it
 * `window-expired`; waiting while
 * nothing is left `sold-out` (it turns back to `waiting` when tickets come back); else `waiting` with
 * position, people ahead and the estimated wait.
 */
export function viewOf(place: StoredPlace, context: ViewContext): QueueView {
  if (place.state === 'admitted') {
    const closesAtMs = windowClosesAt(place, context.settings);
    const admittedAt = new Date(place.admittedAtMs).toISOString();
    return context.nowMs < closesAtMs
      ? { status: 'admitted', admittedAt }
      : { status: 'window-expired', admittedAt };
  }
  if (context.onSaleAtMs !== null && context.nowMs < context.onSaleAtMs) {
    return { status: 'before-sale', opensAt: new Date(context.onSaleAtMs).toISOString() };
  }
  const position = place.rank + 1;
  if (context.soldOut) return { status: 'sold-out', position, ahead: place.rank };
  const view: QueueView = { status: 'waiting', position, ahead: place.rank };
  const rate = context.ratePerMinute ?? 0;
  if (!context.settings.paused && rate > 0) {
    view.estimatedWaitSeconds = Math.ceil((position / rate) * 60);
  }
  return view;
}

/**
 * When an admission given now closes (ms since the epoch): `admittedAtMs + admissionWindowSeconds` of
 * the settings at the moment it is given. Stored with the admission; never recomputed later.
 */
export const admissionClosesAt = (admittedAtMs: number, settings: WaitingRoomSettings): number =>
  admittedAtMs + settings.admissionWindowSeconds * 1000;

/**
 * When an admitted place's window closes (ms): the end stored with the admission, so a later change of
 * `admissionWindowSeconds` neither cuts short nor re-opens a window already given (review finding);
 * only a store entry written before ends were stored falls back to the current settings.
 */
export function windowClosesAt(
  place: { admittedAtMs: number; closesAtMs?: number },
  settings: WaitingRoomSettings,
): number {
  return place.closesAtMs ?? admissionClosesAt(place.admittedAtMs, settings);
}
