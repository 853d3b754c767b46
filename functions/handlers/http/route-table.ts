import type * as z from 'zod';
import { responseBodies } from './response-schemas';
import {
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

// Pure data: this module imports zod schemas and nothing that does I/O (no handler, no adapter), so the
// infrastructure stacks and the OpenAPI generator can read it without loading the service.

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway route syntax: `{name}` marks a path parameter. */
  path: string;
  /** The deployed function's name and its module under functions/handlers/. */
  functionName: string;
  /**
   * Who may call it: anyone, any signed-in user (objects of others are 404), door staff and admins
   * (`staff`), or admins only.
   */
  access: 'public' | 'user' | 'staff' | 'admin';
  /** The schema its handler validates the body with: the OpenAPI document is generated from it. */
  body?: z.ZodType;
  /** Its success answer (a retried keyed hold answers 200 with the same body). */
  response: { status: 200 | 201; body: z.ZodType };
  summary: string;
}

/**
 * Every HTTP route of the contract, as data: the OpenAPI document, the API Gateway and load balancer
 * stacks, the ALB router and the local shim all read this one table. The handler serving each route is
 * found by its `functionName` in `routes.ts` (the only module that imports the handlers).
 */
const TABLE = [
  {
    method: 'GET',
    path: '/health',
    functionName: 'health',
    access: 'public',
    summary: 'Process alive',
    response: { status: 200, body: responseBodies.health },
  },
  {
    method: 'GET',
    path: '/ready',
    functionName: 'ready',
    access: 'public',
    summary: 'Database (and Redis) answer',
    response: { status: 200, body: responseBodies.ready },
  },
  {
    method: 'POST',
    path: '/api/auth/register',
    functionName: 'auth-register',
    access: 'public',
    summary: 'Create an account',
    body: registerBody,
    response: { status: 201, body: responseBodies.session },
  },
  {
    method: 'POST',
    path: '/api/auth/login',
    functionName: 'auth-login',
    access: 'public',
    summary: 'Log in',
    body: loginBody,
    response: { status: 200, body: responseBodies.session },
  },
  {
    method: 'GET',
    path: '/api/concerts',
    functionName: 'concerts-list',
    access: 'public',
    summary:
      'All concerts with live availability. A change answered 2xx shows at once on the instance that made it, and on every other replica within 2 s (usually the coalescing window); holds past expiresAt count as free.',
    response: { status: 200, body: responseBodies.concerts },
  },
  {
    method: 'POST',
    path: '/api/concerts',
    functionName: 'concerts-create',
    access: 'admin',
    summary: 'Create a concert with tiers',
    body: createConcertBody,
    response: { status: 201, body: responseBodies.concert },
  },
  {
    method: 'GET',
    path: '/api/concerts/{id}',
    functionName: 'concerts-get',
    access: 'public',
    summary:
      'One concert. A change answered 2xx shows at once on the instance that made it, and on every other replica within 2 s (usually the coalescing window); holds past expiresAt count as free.',
    response: { status: 200, body: responseBodies.concert },
  },
  {
    method: 'PATCH',
    path: '/api/concerts/{id}',
    functionName: 'concerts-update',
    access: 'admin',
    summary:
      'Change a concert or its tiers, all or nothing; 409 QUEUE_ALREADY_OPEN when onSaleAt would move after a waiting-room sale opened with fans in line',
    body: updateConcertBody,
    response: { status: 200, body: responseBodies.concert },
  },
  {
    method: 'POST',
    path: '/api/reservations',
    functionName: 'reservations-create',
    access: 'user',
    summary:
      'Hold tickets (Idempotency-Key optional). On a waiting-room concert the body needs admissionToken (403 ADMISSION_REQUIRED); one admission allows several reservations in its window, all bounded by TICKETS_PER_USER_LIMIT (held + confirmed tickets per fan and concert, 409 LIMIT_EXCEEDED scope user).',
    body: createReservationBody,
    response: { status: 201, body: responseBodies.reservation },
  },
  {
    method: 'GET',
    path: '/api/reservations/{id}',
    functionName: 'reservations-get',
    access: 'user',
    summary: 'One reservation (owner or admin)',
    response: { status: 200, body: responseBodies.reservation },
  },
  {
    method: 'POST',
    path: '/api/reservations/{id}/confirm',
    functionName: 'reservations-confirm',
    access: 'user',
    summary: 'Confirm a hold into tickets',
    response: { status: 200, body: responseBodies.confirmation },
  },
  {
    method: 'DELETE',
    path: '/api/reservations/{id}',
    functionName: 'reservations-cancel',
    access: 'user',
    summary: 'Cancel a hold',
    response: { status: 200, body: responseBodies.reservation },
  },
  {
    method: 'GET',
    path: '/api/me/reservations',
    functionName: 'me-reservations',
    access: 'user',
    summary: 'My reservations',
    response: { status: 200, body: responseBodies.reservations },
  },
  {
    method: 'GET',
    path: '/api/me/tickets',
    functionName: 'me-tickets',
    access: 'user',
    summary: 'My tickets',
    response: { status: 200, body: responseBodies.tickets },
  },
  {
    method: 'GET',
    path: '/api/openapi.json',
    functionName: 'api-openapi',
    access: 'public',
    summary: 'This document (OpenAPI 3.1)',
    response: { status: 200, body: responseBodies.openapi },
  },
  {
    method: 'GET',
    path: '/api/admin/reports/daily',
    functionName: 'admin-daily-report',
    access: 'admin',
    summary: 'The daily sales report for ?date=YYYY-MM-DD',
    response: { status: 200, body: responseBodies.report },
  },
  {
    method: 'GET',
    path: '/api/admin/sales',
    functionName: 'admin-concert-sales',
    access: 'admin',
    summary: 'Sold (confirmed) and held (live holds) apart, per concert and tier, right now',
    response: { status: 200, body: responseBodies.sales },
  },
  // Waiting list (issue 21).
  {
    method: 'POST',
    path: '/api/concerts/{id}/tiers/{tierId}/waitlist',
    functionName: 'waitlist-join',
    access: 'user',
    summary:
      'Join the waiting list of a sold-out tier (201; again: 200 with the same entry). Released tickets are offered in list order, strict: a head whose quantity does not fit waits, and nobody behind it is served first. On a waiting-room concert the body needs the admissionToken of the fan (403 ADMISSION_REQUIRED otherwise).',
    body: joinWaitlistBody,
    response: { status: 201, body: responseBodies.waitlistEntry },
  },
  {
    method: 'DELETE',
    path: '/api/concerts/{id}/tiers/{tierId}/waitlist',
    functionName: 'waitlist-leave',
    access: 'user',
    summary: 'Leave the waiting list (an open offer is declined: its hold is cancelled and passed on)',
    response: { status: 200, body: responseBodies.waitlistEntry },
  },
  {
    method: 'GET',
    path: '/api/me/waitlist',
    functionName: 'me-waitlist',
    access: 'user',
    summary: 'My waiting-list entries; an offer carries its reservation',
    response: { status: 200, body: responseBodies.waitlistEntries },
  },
  {
    method: 'GET',
    path: '/api/admin/concerts/{id}/waitlist',
    functionName: 'admin-concert-waitlist',
    access: 'admin',
    summary: 'Per tier: list length, offers open and made, claimed, expired, left',
    response: { status: 200, body: responseBodies.waitlistStats },
  },
  // Check-in at the door (issue 21).
  {
    method: 'POST',
    path: '/api/check-ins',
    functionName: 'check-ins-create',
    access: 'staff',
    summary:
      'Check a ticket in at the door: admitted once; a repeat from the same device by the same account answers the same; another device (or that device id sent by another account) gets ALREADY_CHECKED_IN',
    body: checkInBody,
    response: { status: 200, body: responseBodies.checkIn },
  },
  {
    method: 'GET',
    path: '/api/admin/concerts/{id}/check-ins',
    functionName: 'admin-concert-check-ins',
    access: 'staff',
    summary: 'Checked in vs sold, in total and per tier',
    response: { status: 200, body: responseBodies.checkIns },
  },
  {
    method: 'GET',
    path: '/api/concerts/{id}/ticket-codes',
    functionName: 'concert-ticket-codes',
    access: 'staff',
    summary: "The concert's valid ticket codes, SHA-256 hashed, for scanning offline",
    response: { status: 200, body: responseBodies.ticketCodes },
  },
  {
    method: 'POST',
    path: '/api/admin/users',
    functionName: 'admin-users-create',
    access: 'admin',
    summary: 'Make an account with a role (door staff, organiser, customer); an existing e-mail is 409',
    body: createUserBody,
    response: { status: 201, body: responseBodies.user },
  },
  // Waiting room (issue 20)
  {
    method: 'POST',
    path: '/api/concerts/{id}/queue',
    functionName: 'queue-join',
    access: 'user',
    summary:
      'Take your one place in the waiting room (again: the same place); 409 QUEUE_NOT_OPEN without one',
    response: { status: 200, body: responseBodies.queue },
  },
  {
    method: 'GET',
    path: '/api/concerts/{id}/queue',
    functionName: 'queue-get',
    access: 'user',
    summary: 'Your place in the waiting room (404 when not in it)',
    response: { status: 200, body: responseBodies.queue },
  },
  {
    method: 'GET',
    path: '/api/admin/concerts/{id}/queue',
    functionName: 'admin-queue-get',
    access: 'admin',
    summary: 'The waiting room live: waiting, admitted, rate, sold, time to sell out',
    response: { status: 200, body: responseBodies.queueOverview },
  },
  {
    method: 'PATCH',
    path: '/api/admin/concerts/{id}/queue',
    functionName: 'admin-queue-update',
    access: 'admin',
    summary: 'Pause, resume or change the admission rate',
    body: updateQueueBody,
    response: { status: 200, body: responseBodies.queueOverview },
  },
] as const satisfies readonly HttpRoute[];

/** The table, typed for reading (every route has the same optional members). */
export const HTTP_ROUTE_TABLE: readonly HttpRoute[] = TABLE;

/** The name of a function that serves an HTTP route (`functions/handlers/<name>.ts`). */
export type HttpFunctionName = (typeof TABLE)[number]['functionName'];
