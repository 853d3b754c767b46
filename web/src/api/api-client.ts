import type {
  AdminQueue,
  AdminQueueChange,
  CheckInRequest,
  CheckInResponse,
  CheckInsResponse,
  ConcertResponse,
  ConcertSales,
  ConcertsResponse,
  ConfirmationResponse,
  CreateConcertRequest,
  CreateReservationRequest,
  CreateUserRequest,
  DailyReportResponse,
  ErrorCode,
  ErrorResponse,
  LoginRequest,
  QueueResponse,
  RegisterRequest,
  ReservationResponse,
  ReservationsResponse,
  SessionResponse,
  TicketCodesResponse,
  TicketsResponse,
  UpdateConcertRequest,
  UserResponse,
  WaitlistEntriesResponse,
  WaitlistEntryResponse,
  WaitlistStatsResponse,
} from './contract';

/** A refusal from the service, or a network failure (code `NETWORK`), with the contract's stable code. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: ErrorCode | 'NETWORK',
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The public HTTP contract (../shared/API.md), one method per route the page uses. */
export class ApiClient {
  constructor(
    private readonly token: () => string | null,
    /** Called when the service refuses the token this client sent (expired, or signed with an old key). */
    private readonly onRefusedToken: () => void = () => {},
  ) {}

  register = (body: RegisterRequest) => this.call<SessionResponse>('POST', '/api/auth/register', body);
  login = (body: LoginRequest) => this.call<SessionResponse>('POST', '/api/auth/login', body);

  listConcerts = () => this.call<ConcertsResponse>('GET', '/api/concerts');
  getConcert = (id: string) => this.call<ConcertResponse>('GET', `/api/concerts/${encodeURIComponent(id)}`);
  createConcert = (body: CreateConcertRequest) => this.call<ConcertResponse>('POST', '/api/concerts', body);
  updateConcert = (id: string, body: UpdateConcertRequest) =>
    this.call<ConcertResponse>('PATCH', `/api/concerts/${encodeURIComponent(id)}`, body);

  /**
   * The key makes a retried click (or a retried request) the same hold, never a second one. On a concert with
   * a waiting room the body carries the fan's `admissionToken` (else 403 ADMISSION_REQUIRED).
   */
  reserve = (body: CreateReservationRequest, idempotencyKey: string) =>
    this.call<ReservationResponse>('POST', '/api/reservations', body, { 'idempotency-key': idempotencyKey });
  confirm = (id: string) =>
    this.call<ConfirmationResponse>('POST', `/api/reservations/${encodeURIComponent(id)}/confirm`);
  cancel = (id: string) =>
    this.call<ReservationResponse>('DELETE', `/api/reservations/${encodeURIComponent(id)}`);
  myReservations = () => this.call<ReservationsResponse>('GET', '/api/me/reservations');
  myTickets = () => this.call<TicketsResponse>('GET', '/api/me/tickets');

  /**
   * Waiting list of a sold-out tier: 201 a new entry (its place), 200 the same entry again. On a
   * waiting-room concert it needs the fan's `admissionToken` (403 ADMISSION_REQUIRED without).
   */
  joinWaitlist = (concertId: string, tierId: string, quantity: number, admissionToken?: string) =>
    this.call<WaitlistEntryResponse>('POST', waitlistPath(concertId, tierId), {
      quantity,
      ...(admissionToken ? { admissionToken } : {}),
    });
  /** Leaves it; an open offer is declined (its hold cancelled and passed to the next fan). */
  leaveWaitlist = (concertId: string, tierId: string) =>
    this.call<WaitlistEntryResponse>('DELETE', waitlistPath(concertId, tierId));
  myWaitlist = () => this.call<WaitlistEntriesResponse>('GET', '/api/me/waitlist');
  /** Per tier: list length, offers open and made, claimed, expired, left (admin only). */
  waitlistStats = (concertId: string) =>
    this.call<WaitlistStatsResponse>('GET', `/api/admin/concerts/${encodeURIComponent(concertId)}/waitlist`);
  /** Take a place in the concert's waiting room; joining again answers the same place (409 QUEUE_NOT_OPEN without one). */
  joinQueue = (concertId: string) =>
    this.call<QueueResponse>('POST', `/api/concerts/${encodeURIComponent(concertId)}/queue`);
  /** The fan's place as it is now (404 when not in the line). */
  queue = (concertId: string) =>
    this.call<QueueResponse>('GET', `/api/concerts/${encodeURIComponent(concertId)}/queue`);
  /** The organiser's view of a concert's waiting room (admin only). */
  adminQueue = (concertId: string) =>
    this.call<AdminQueue>('GET', `/api/admin/concerts/${encodeURIComponent(concertId)}/queue`);
  /** Pause, resume or change the admission rate (admin only); answers the queue as `adminQueue` does. */
  changeAdminQueue = (concertId: string, change: AdminQueueChange) =>
    this.call<AdminQueue>('PATCH', `/api/admin/concerts/${encodeURIComponent(concertId)}/queue`, change);

  /** Without a date: today in the service's schedule time zone (the day the daily-report job reports). */
  dailyReport = (date?: string) =>
    this.call<DailyReportResponse>(
      'GET',
      date === undefined
        ? '/api/admin/reports/daily'
        : `/api/admin/reports/daily?date=${encodeURIComponent(date)}`,
    );
  /** Sold and held apart per concert and tier, right now (admin only). */
  sales = () => this.call<{ concerts: ConcertSales[] }>('GET', '/api/admin/sales');

  /** Check-in at the door (staff or admin): admitted once; see API.md "Waiting list and check-in". */
  checkIn = (body: CheckInRequest) => this.call<CheckInResponse>('POST', '/api/check-ins', body);
  /** Checked in vs sold per tier (staff or admin). */
  checkIns = (concertId: string) =>
    this.call<CheckInsResponse>('GET', `/api/admin/concerts/${encodeURIComponent(concertId)}/check-ins`);
  /** The concert's valid ticket codes, SHA-256 hashed, for scanning offline (staff or admin). */
  ticketCodes = (concertId: string) =>
    this.call<TicketCodesResponse>('GET', `/api/concerts/${encodeURIComponent(concertId)}/ticket-codes`);
  /** Makes an account with a role, e.g. door staff (admin only). */
  createUser = (body: CreateUserRequest) => this.call<UserResponse>('POST', '/api/admin/users', body);

  private async call<T>(method: Method, path: string, body?: unknown, extra: Record<string, string> = {}) {
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    const token = this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(
        'NETWORK',
        'The service could not be reached. Check your connection and try again.',
        0,
      );
    }
    const payload: unknown = await response.json().catch(() => undefined);
    if (response.ok) return payload as T;
    const error = (payload as Partial<ErrorResponse> | undefined)?.error;
    if (response.status === 401 && token) this.onRefusedToken();
    if (error && typeof error.code === 'string') {
      throw new ApiError(error.code, error.message, response.status, error.details);
    }
    throw new ApiError('INTERNAL', `The service answered ${response.status}.`, response.status);
  }
}

const waitlistPath = (concertId: string, tierId: string) =>
  `/api/concerts/${encodeURIComponent(concertId)}/tiers/${encodeURIComponent(tierId)}/waitlist`;
