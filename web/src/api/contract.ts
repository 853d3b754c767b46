/** The API's own request/response types (type-only: nothing of the server is bundled). */
import type { Concert, ErrorCode } from '../../../functions/handlers/http/contract-types';

/** One concert's sold (confirmed) and held (live holds) tickets, from the admin-only GET /api/admin/sales. */
export type { ConcertSales } from '../../../functions/core/sales.service';
export type * from '../../../functions/handlers/http/contract-types';

/*
 * The waiting room (../shared/API.md, "Waiting room"), as the page reads it. Written here from the contract
 * while the service side is built beside it; each type is a superset-safe reading of the contract (fields
 * the service may add are ignored), and gives way to the service's own types once they are exported.
 */

/** A concert's waiting-room settings: `admissionPerMinute` fans a minute leave the line, or `auto`. */
export interface WaitingRoomSettings {
  enabled: boolean;
  /** Whole fans a minute, or `auto` (derived from what is left to sell). */
  admissionPerMinute: number | 'auto';
  /** How long (s) an admitted fan may reserve. */
  admissionWindowSeconds?: number;
  /** Nobody is admitted while true. */
  paused?: boolean;
}

/** The waiting-room fields the public `Concert` echoes (both absent on a concert without them). */
export interface WaitingRoomFields {
  /** When the sale opens (ISO time). */
  onSaleAt?: string;
  waitingRoom?: WaitingRoomSettings;
}

/** A concert with the waiting-room fields it may carry. */
export type ConcertWithQueue = Concert & WaitingRoomFields;

/** The waiting-room fields of `POST /api/concerts` (the window defaults to 600 s, `paused` to false). */
export interface WaitingRoomCreateFields {
  onSaleAt?: string;
  waitingRoom?: WaitingRoomSettings;
}

/** The waiting-room fields of `PATCH /api/concerts/{id}`: `onSaleAt` null clears it; settings change in part. */
export interface WaitingRoomUpdateFields {
  onSaleAt?: string | null;
  waitingRoom?: Partial<WaitingRoomSettings>;
}

export type QueueStatus = 'before-sale' | 'waiting' | 'admitted' | 'sold-out' | 'window-expired';

/** A fan's place in a concert's waiting room. */
export interface Queue {
  status: QueueStatus;
  /** 1-based among those still waiting (`waiting` only). */
  position?: number;
  /** Fans ahead in line (`waiting` only). */
  ahead?: number;
  /** Seconds until admission, by the current admission rate. */
  estimatedWaitSeconds?: number;
  /** When the sale opens (ISO time; `before-sale`). */
  opensAt?: string;
  /** When this fan was admitted (ISO time). */
  admittedAt?: string;
  /** The signed admission to send with `POST /api/reservations`, valid until `expiresAt` (ISO time). */
  admission?: { token: string; expiresAt: string };
  /** The place was given again after the service lost its queue store (in the order fans last saw). */
  requeued?: boolean;
}

/** `POST` and `GET /api/concerts/{id}/queue`. */
export interface QueueResponse {
  queue: Queue;
}

/** The live `queue-position` message: a `Queue` for one concert (WebSocket `join-queue`). */
export type QueuePositionMessage = Queue & { type: 'queue-position'; concertId: string };

/** `GET` and `PATCH /api/admin/concerts/{id}/queue`: the queue as the organiser sees it. */
export interface AdminQueue {
  waiting: number;
  admitted: number;
  /** The configured rate (`auto` or whole fans a minute); see `currentRatePerMinute` for what `auto` does now. */
  admissionPerMinute: number | 'auto';
  paused: boolean;
  /** Tickets sold (confirmed). */
  sold: number;
  /** Seconds until every ticket is sold at the current rate (0 once sold out); null when it cannot be said. */
  estimatedSellOutSeconds?: number | null;
  /** The rate the last admission step ran at (fans a minute; what `auto` derived). */
  currentRatePerMinute?: number;
  /** Admissions whose window is still open. */
  openAdmissions?: number;
  /** Tickets in live holds, and free now. */
  held?: number;
  available?: number;
}

/** `PATCH /api/admin/concerts/{id}/queue`. */
export interface AdminQueueChange {
  paused?: boolean;
  admissionPerMinute?: number | 'auto';
}

/** Error codes of the waiting room, besides those of the service's table (until it lists them). */
export type QueueErrorCode = 'ADMISSION_REQUIRED' | 'QUEUE_NOT_OPEN';
/** Every code the page has words for. */
export type KnownErrorCode = ErrorCode | QueueErrorCode;
