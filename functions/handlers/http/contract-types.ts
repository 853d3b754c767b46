import type * as z from 'zod';
import type { ErrorCode } from '../../core/errors';
import type { Concert, Reservation, Ticket, User } from '../../core/model';
import type { responseBodies } from './response-schemas';
import type {
  checkInBody,
  createConcertBody,
  createReservationBody,
  createUserBody,
  joinWaitlistBody,
  loginBody,
  registerBody,
  updateConcertBody,
  updateQueueBody,
} from './schemas';

export type {
  ConcertStatus,
  ReservationStatus,
  Role,
  TicketTier,
  WaitingRoomSettings,
} from '../../core/model';
/**
 * The request and response bodies of the public contract, as TypeScript types: the web page imports these,
 * so it is typed against the very schemas and models the handlers use (type-only, nothing of the server
 * reaches the browser bundle).
 */
export type {
  AdminEvent,
  AdminNotification,
  ConcertUpdateMessage,
  ErrorMessage,
  ReservationsSummary,
  WaitlistOfferMessage,
} from '../../core/realtime';
export type { QueuePositionMessage, QueueStatus } from '../../core/waiting-room';
export type { ConcertDayFigures, DailyReport } from '../../ports/report.repository.port';
export type { Concert, ErrorCode, User };

export type RegisterRequest = z.input<typeof registerBody>;
export type LoginRequest = z.input<typeof loginBody>;
export type CreateConcertRequest = z.input<typeof createConcertBody>;
export type UpdateConcertRequest = z.input<typeof updateConcertBody>;
export type CreateReservationRequest = z.input<typeof createReservationBody>;
export type JoinWaitlistRequest = z.input<typeof joinWaitlistBody>;
export type CheckInRequest = z.input<typeof checkInBody>;
export type CreateUserRequest = z.input<typeof createUserBody>;
/** PATCH /api/admin/concerts/{id}/queue: pause, resume or a new rate. */
export type UpdateQueueRequest = z.input<typeof updateQueueBody>;

/** A reservation as clients see it: the owner's id stays inside the service. */
export type PublicReservation = Omit<Reservation, 'userId'>;
export type IssuedTicket = Pick<Ticket, 'id' | 'code' | 'tierId'>;

/** Response bodies, from the schemas the OpenAPI document shows and the tests check answers against. */
type Body<K extends keyof typeof responseBodies> = z.infer<(typeof responseBodies)[K]>;
export type SessionResponse = Body<'session'>;
export type ConcertsResponse = Body<'concerts'>;
export type ConcertResponse = Body<'concert'>;
export type ReservationResponse = Body<'reservation'>;
export type ConfirmationResponse = Body<'confirmation'>;
export type ReservationsResponse = Body<'reservations'>;
export type TicketsResponse = Body<'tickets'>;
export type DailyReportResponse = Body<'report'>;
export type ErrorResponse = Body<'error'>;
export type WaitlistEntryResponse = Body<'waitlistEntry'>;
export type WaitlistEntriesResponse = Body<'waitlistEntries'>;
export type WaitlistStatsResponse = Body<'waitlistStats'>;
/** One waiting-list entry as clients see it (`position` while waiting, `reservation` once offered). */
export type PublicWaitlistEntry = WaitlistEntryResponse['entry'];
export type CheckInResponse = Body<'checkIn'>;
export type CheckInsResponse = Body<'checkIns'>;
export type TicketCodesResponse = Body<'ticketCodes'>;
export type UserResponse = Body<'user'>;
/** The fan's place in a waiting room (POST and GET /api/concerts/{id}/queue). */
export type QueueResponse = Body<'queue'>;
/** The organiser's view of a waiting room (GET and PATCH /api/admin/concerts/{id}/queue). */
export type QueueOverviewResponse = Body<'queueOverview'>;
