import type { ThrottleVerdict } from './login-throttle.port';

/**
 * How a new place is scored: `draw` with a given score in [0, 1) (uniformly random for a fan who joins
 * before the sale opens; `rejoinScore` for a follower re-queued after the store was lost), or `arrival`, scored 1 + the concert's next arrival number, which the store hands out
 * atomically (a fan who joins after): ordering by score is the draw, then first come, first served.
 */
export type PlaceRequest = { kind: 'draw'; score: number } | { kind: 'arrival' };

/**
 * One fan's place as the store holds it: still waiting (`rank` 0-based among those still waiting, by
 * score), or admitted at `admittedAtMs` with its window closing at `closesAtMs` (ms since the epoch),
 * fixed when the admission was given: a later change of `admissionWindowSeconds` moves no window
 * already given. `closesAtMs` is absent only for an entry written before it was stored (the view then
 * falls back to the current settings).
 */
export type StoredPlace =
  | { state: 'waiting'; score: number; rank: number }
  | { state: 'admitted'; admittedAtMs: number; closesAtMs?: number };

/** One admission as the store marks it: the fan, when admitted and when its window closes (ms). */
export interface MarkedAdmission {
  userId: string;
  admittedAtMs: number;
  closesAtMs?: number;
}

/** How an admission step paces itself: when it last ran (ms), the fraction of a fan it owes, the rate. */
export interface Pacing {
  atMs: number;
  /** In [0, 1): the part of the next admission already earned. */
  carry: number;
  /** Fans per minute the last step admitted at (the configured rate, or what `auto` derived). */
  ratePerMinute: number;
  /** The steps of the last second that admitted somebody: [at (ms), how many]. */
  recent?: Array<[number, number]>;
}

/**
 * The live queue of each waiting-room concert (a sorted set and a hash per concert in Redis; maps in
 * memory when embedded). Losing it is survivable: admissions are also recorded durably
 * (QueueAdmissionRepository) and tokens are self-contained; see docs/waiting-room.md.
 */
export interface WaitingRoomStore {
  /**
   * One place per (concert, fan), atomically: a fan already waiting or admitted gets the place held;
   * otherwise a new one scored by `request`. Two joins at once, on two replicas, still make one place.
   */
  join(
    concertId: string,
    userId: string,
    request: PlaceRequest,
  ): Promise<{ place: StoredPlace; created: boolean }>;
  /** Each fan's place, in the order asked; null for a fan the store does not know. */
  places(concertId: string, userIds: readonly string[]): Promise<Array<StoredPlace | null>>;
  /** The first `count` fans still waiting, best score first. */
  peekNext(concertId: string, count: number): Promise<string[]>;
  /**
   * Moves these fans from waiting to admitted at their times, with their windows' ends (idempotent;
   * fans unknown are added).
   */
  markAdmitted(concertId: string, admissions: readonly MarkedAdmission[]): Promise<void>;
  /**
   * Puts every fan still waiting with an arrival score (≥ 1) into the draw: each gets a new score
   * `random()` in [0, 1), in arrival order; fans drawn or admitted are left as they are. Each re-score
   * reads and writes the place in one atomic step (a Redis script; one synchronous pass in memory), so
   * a fan admitted at the same moment is never put back. Answers how many places were re-scored.
   * Called when the sale is not open (yet, or again): an arrival then means the place was scored by an
   * on-sale time that has since moved later (the rule: everyone waiting at `onSaleAt` is in the draw).
   */
  drawArrivals(concertId: string, random: () => number): Promise<number>;
  /** How many wait and how many were admitted (since the store was last lost). */
  counts(concertId: string): Promise<{ waiting: number; admitted: number }>;
  readPacing(concertId: string): Promise<Pacing | null>;
  writePacing(concertId: string, pacing: Pacing): Promise<void>;
  /**
   * Takes or renews the lease `name` for `holder` for `ttlMs`: true while `holder` holds it. Whoever holds
   * the admission lease is the one ticker admitting fans; the lease runs out if its holder dies.
   */
  lease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up at once when `holder` holds it (a clean shutdown). */
  releaseLease(name: string, holder: string): Promise<void>;
}

/** A fan's durable admission: when given and when its window closes (ms since the epoch). */
export interface AdmissionRecord {
  userId: string;
  admittedAtMs: number;
  expiresAtMs: number;
}

/** What `auto` and the organiser's panel read from the database for one concert, right now. */
export interface AdmissionFigures {
  /** Admissions whose window is still open and whose fan has not reserved since: buyers still to come. */
  openAdmissions: number;
  /** Every admission ever given for the concert. */
  admitted: number;
  /** Tickets of confirmed reservations. */
  sold: number;
  /** Tickets of holds whose `expiresAt` has not passed. */
  held: number;
  /** Mean tickets per reservation (held or confirmed) so far; null before the first. */
  averageOrderSize: number | null;
}

/**
 * Every admission ever given (table queue_admissions, migration 012): written before the fan hears of
 * it, at most one per (concert, fan).
 */
export interface QueueAdmissionRepository {
  /**
   * Records these admissions unless the fan already has one; answers every fan's admission as stored
   * afterwards (an earlier one wins: a fan is never admitted twice).
   */
  record(concertId: string, admissions: readonly AdmissionRecord[]): Promise<AdmissionRecord[]>;
  find(concertId: string, userId: string): Promise<AdmissionRecord | null>;
  figures(concertId: string, nowMs: number): Promise<AdmissionFigures>;
  /**
   * What each admitted fan did with the admission: tickets of their reservations for the concert made
   * since admitted, `bought` (confirmed) and `held` (holds not yet run out at `nowMs`). Fans with
   * neither (or never admitted) are left out of the map.
   */
  purchases(
    concertId: string,
    userIds: readonly string[],
    nowMs: number,
  ): Promise<Map<string, { bought: number; held: number }>>;
}

/** The claims an admission token carries (see functions/adapters/jose-admission-tokens.ts). */
export interface AdmissionClaims {
  userId: string;
  concertId: string;
  /** When the admission window closes (ms since the epoch); the token is refused after. */
  expiresAtMs: number;
}

/** Signs and checks admission tokens: bound to one fan and one concert, valid for its window only. */
export interface AdmissionTokens {
  issue(claims: AdmissionClaims): Promise<string>;
  /** Null for anything not a well-signed, unexpired admission token (a session token included). */
  verify(token: string): Promise<AdmissionClaims | null>;
}

/** Joins per client address (QUEUE_JOINS_PER_ADDRESS_PER_MINUTE): each call counts one join. */
export interface QueueJoinThrottle {
  join(clientAddress: string): Promise<ThrottleVerdict>;
}
