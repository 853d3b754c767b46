import type { z } from 'zod';
import { handler as adminConcertSales } from '../admin-concert-sales';
import { handler as adminDailyReport } from '../admin-daily-report';
import { handler as adminQueueGet } from '../admin-queue-get';
import { handler as adminQueueUpdate } from '../admin-queue-update';
import { handler as apiOpenapi } from '../api-openapi';
import { handler as authLogin } from '../auth-login';
import { handler as authRegister } from '../auth-register';
import { handler as concertsCreate } from '../concerts-create';
import { handler as concertsGet } from '../concerts-get';
import { handler as concertsList } from '../concerts-list';
import { handler as concertsUpdate } from '../concerts-update';
import { handler as health } from '../health';
import { handler as meReservations } from '../me-reservations';
import { handler as meTickets } from '../me-tickets';
import { handler as queueGet } from '../queue-get';
import { handler as queueJoin } from '../queue-join';
import { handler as ready } from '../ready';
import { handler as reservationsCancel } from '../reservations-cancel';
import { handler as reservationsConfirm } from '../reservations-confirm';
import { handler as reservationsCreate } from '../reservations-create';
import { handler as reservationsGet } from '../reservations-get';
import type { HttpLambda } from './http-handler';
import { responseBodies } from './response-schemas';
import {
  createConcertBody,
  createReservationBody,
  loginBody,
  registerBody,
  updateConcertBody,
  updateQueueBody,
} from './schemas';

export interface HttpRouteEntry {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway route syntax: `{name}` marks a path parameter. */
  path: string;
  /** The deployed function's name and its module under functions/handlers/. */
  functionName: string;
  /** Who may call it: anyone, any signed-in user (objects of others are 404), or admins only. */
  access: 'public' | 'user' | 'admin';
  /** The schema its handler validates the body with: the OpenAPI document is generated from it. */
  body?: z.ZodType;
  /** Its success answer (a retried keyed hold answers 200 with the same body). */
  response: { status: 200 | 201; body: z.ZodType };
  summary: string;
  handler: HttpLambda;
}

/** Every HTTP route of the contract, and the handler that serves it on Lambda and in the shim alike. */
export const HTTP_ROUTES: readonly HttpRouteEntry[] = [
  {
    method: 'GET',
    path: '/health',
    functionName: 'health',
    access: 'public',
    summary: 'Process alive',
    response: { status: 200, body: responseBodies.health },
    handler: health,
  },
  {
    method: 'GET',
    path: '/ready',
    functionName: 'ready',
    access: 'public',
    summary: 'Database (and Redis) answer',
    response: { status: 200, body: responseBodies.ready },
    handler: ready,
  },
  {
    method: 'POST',
    path: '/api/auth/register',
    functionName: 'auth-register',
    access: 'public',
    summary: 'Create an account',
    body: registerBody,
    response: { status: 201, body: responseBodies.session },
    handler: authRegister,
  },
  {
    method: 'POST',
    path: '/api/auth/login',
    functionName: 'auth-login',
    access: 'public',
    summary: 'Log in',
    body: loginBody,
    response: { status: 200, body: responseBodies.session },
    handler: authLogin,
  },
  {
    method: 'GET',
    path: '/api/concerts',
    functionName: 'concerts-list',
    access: 'public',
    summary:
      'All concerts with live availability. A change answered 2xx shows at once on the instance that made it, and on every other replica within 2 s (usually the coalescing window); holds past expiresAt count as free.',
    response: { status: 200, body: responseBodies.concerts },
    handler: concertsList,
  },
  {
    method: 'POST',
    path: '/api/concerts',
    functionName: 'concerts-create',
    access: 'admin',
    summary: 'Create a concert with tiers',
    body: createConcertBody,
    response: { status: 201, body: responseBodies.concert },
    handler: concertsCreate,
  },
  {
    method: 'GET',
    path: '/api/concerts/{id}',
    functionName: 'concerts-get',
    access: 'public',
    summary:
      'One concert. A change answered 2xx shows at once on the instance that made it, and on every other replica within 2 s (usually the coalescing window); holds past expiresAt count as free.',
    response: { status: 200, body: responseBodies.concert },
    handler: concertsGet,
  },
  {
    method: 'PATCH',
    path: '/api/concerts/{id}',
    functionName: 'concerts-update',
    access: 'admin',
    summary: 'Change a concert or its tiers',
    body: updateConcertBody,
    response: { status: 200, body: responseBodies.concert },
    handler: concertsUpdate,
  },
  {
    method: 'POST',
    path: '/api/reservations',
    functionName: 'reservations-create',
    access: 'user',
    summary: 'Hold tickets (Idempotency-Key optional)',
    body: createReservationBody,
    response: { status: 201, body: responseBodies.reservation },
    handler: reservationsCreate,
  },
  {
    method: 'GET',
    path: '/api/reservations/{id}',
    functionName: 'reservations-get',
    access: 'user',
    summary: 'One reservation (owner or admin)',
    response: { status: 200, body: responseBodies.reservation },
    handler: reservationsGet,
  },
  {
    method: 'POST',
    path: '/api/reservations/{id}/confirm',
    functionName: 'reservations-confirm',
    access: 'user',
    summary: 'Confirm a hold into tickets',
    response: { status: 200, body: responseBodies.confirmation },
    handler: reservationsConfirm,
  },
  {
    method: 'DELETE',
    path: '/api/reservations/{id}',
    functionName: 'reservations-cancel',
    access: 'user',
    summary: 'Cancel a hold',
    response: { status: 200, body: responseBodies.reservation },
    handler: reservationsCancel,
  },
  {
    method: 'GET',
    path: '/api/me/reservations',
    functionName: 'me-reservations',
    access: 'user',
    summary: 'My reservations',
    response: { status: 200, body: responseBodies.reservations },
    handler: meReservations,
  },
  {
    method: 'GET',
    path: '/api/me/tickets',
    functionName: 'me-tickets',
    access: 'user',
    summary: 'My tickets',
    response: { status: 200, body: responseBodies.tickets },
    handler: meTickets,
  },
  {
    method: 'GET',
    path: '/api/openapi.json',
    functionName: 'api-openapi',
    access: 'public',
    summary: 'This document (OpenAPI 3.1)',
    response: { status: 200, body: responseBodies.openapi },
    handler: apiOpenapi,
  },
  {
    method: 'GET',
    path: '/api/admin/reports/daily',
    functionName: 'admin-daily-report',
    access: 'admin',
    summary: 'The daily sales report for ?date=YYYY-MM-DD',
    response: { status: 200, body: responseBodies.report },
    handler: adminDailyReport,
  },
  {
    method: 'GET',
    path: '/api/admin/sales',
    functionName: 'admin-concert-sales',
    access: 'admin',
    summary: 'Sold (confirmed) and held (live holds) apart, per concert and tier, right now',
    response: { status: 200, body: responseBodies.sales },
    handler: adminConcertSales,
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
    handler: queueJoin,
  },
  {
    method: 'GET',
    path: '/api/concerts/{id}/queue',
    functionName: 'queue-get',
    access: 'user',
    summary: 'Your place in the waiting room (404 when not in it)',
    response: { status: 200, body: responseBodies.queue },
    handler: queueGet,
  },
  {
    method: 'GET',
    path: '/api/admin/concerts/{id}/queue',
    functionName: 'admin-queue-get',
    access: 'admin',
    summary: 'The waiting room live: waiting, admitted, rate, sold, time to sell out',
    response: { status: 200, body: responseBodies.queueOverview },
    handler: adminQueueGet,
  },
  {
    method: 'PATCH',
    path: '/api/admin/concerts/{id}/queue',
    functionName: 'admin-queue-update',
    access: 'admin',
    summary: 'Pause, resume or change the admission rate',
    body: updateQueueBody,
    response: { status: 200, body: responseBodies.queueOverview },
    handler: adminQueueUpdate,
  },
];
