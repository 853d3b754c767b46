import type { z } from 'zod';
import type { ErrorCode } from '../../core/errors';
import type { Concert, Reservation, Ticket, User } from '../../core/model';
import type { DailyReport } from '../../ports/report.repository.port';
import type {
  createConcertBody,
  createReservationBody,
  loginBody,
  registerBody,
  updateConcertBody,
} from './schemas';

export type { ConcertStatus, ReservationStatus, Role, TicketTier } from '../../core/model';
/**
 * The request and response bodies of the public contract, as TypeScript types: the web page imports these,
 * so it is typed against the very schemas and models the handlers use (type-only, nothing of the server
 * reaches the browser bundle).
 */
export type { AdminEvent, AdminNotification, ConcertUpdateMessage, ErrorMessage } from '../../core/realtime';
export type { ConcertDayFigures, DailyReport } from '../../ports/report.repository.port';
export type { Concert, ErrorCode, User };

export type RegisterRequest = z.input<typeof registerBody>;
export type LoginRequest = z.input<typeof loginBody>;
export type CreateConcertRequest = z.input<typeof createConcertBody>;
export type UpdateConcertRequest = z.input<typeof updateConcertBody>;
export type CreateReservationRequest = z.input<typeof createReservationBody>;

/** A reservation as clients see it: the owner's id stays inside the service. */
export type PublicReservation = Omit<Reservation, 'userId'>;
export type IssuedTicket = Pick<Ticket, 'id' | 'code' | 'tierId'>;

export interface SessionResponse {
  token: string;
  user: User;
}
export interface ConcertsResponse {
  concerts: Concert[];
}
export interface ConcertResponse {
  concert: Concert;
}
export interface ReservationResponse {
  reservation: PublicReservation;
}
export interface ConfirmationResponse {
  reservation: PublicReservation;
  tickets: IssuedTicket[];
}
export interface ReservationsResponse {
  reservations: PublicReservation[];
}
export interface TicketsResponse {
  tickets: Ticket[];
}
export interface DailyReportResponse {
  report: DailyReport;
}
export interface ErrorResponse {
  error: { code: ErrorCode; message: string; details?: unknown };
}
