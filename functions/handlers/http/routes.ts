import { handler as adminDailyReport } from '../admin-daily-report';
import { handler as authLogin } from '../auth-login';
import { handler as authRegister } from '../auth-register';
import { handler as concertsCreate } from '../concerts-create';
import { handler as concertsGet } from '../concerts-get';
import { handler as concertsList } from '../concerts-list';
import { handler as concertsUpdate } from '../concerts-update';
import { handler as health } from '../health';
import { handler as meReservations } from '../me-reservations';
import { handler as meTickets } from '../me-tickets';
import { handler as ready } from '../ready';
import { handler as reservationsCancel } from '../reservations-cancel';
import { handler as reservationsConfirm } from '../reservations-confirm';
import { handler as reservationsCreate } from '../reservations-create';
import { handler as reservationsGet } from '../reservations-get';
import type { HttpLambda } from './http-handler';

export interface HttpRouteEntry {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway route syntax: `{name}` marks a path parameter. */
  path: string;
  /** The deployed function's name and its module under functions/handlers/. */
  functionName: string;
  handler: HttpLambda;
}

/** Every HTTP route of the contract, and the handler that serves it on Lambda and in the shim alike. */
export const HTTP_ROUTES: readonly HttpRouteEntry[] = [
  { method: 'GET', path: '/health', functionName: 'health', handler: health },
  { method: 'GET', path: '/ready', functionName: 'ready', handler: ready },
  { method: 'POST', path: '/api/auth/register', functionName: 'auth-register', handler: authRegister },
  { method: 'POST', path: '/api/auth/login', functionName: 'auth-login', handler: authLogin },
  { method: 'GET', path: '/api/concerts', functionName: 'concerts-list', handler: concertsList },
  { method: 'POST', path: '/api/concerts', functionName: 'concerts-create', handler: concertsCreate },
  { method: 'GET', path: '/api/concerts/{id}', functionName: 'concerts-get', handler: concertsGet },
  { method: 'PATCH', path: '/api/concerts/{id}', functionName: 'concerts-update', handler: concertsUpdate },
  {
    method: 'POST',
    path: '/api/reservations',
    functionName: 'reservations-create',
    handler: reservationsCreate,
  },
  {
    method: 'GET',
    path: '/api/reservations/{id}',
    functionName: 'reservations-get',
    handler: reservationsGet,
  },
  {
    method: 'POST',
    path: '/api/reservations/{id}/confirm',
    functionName: 'reservations-confirm',
    handler: reservationsConfirm,
  },
  {
    method: 'DELETE',
    path: '/api/reservations/{id}',
    functionName: 'reservations-cancel',
    handler: reservationsCancel,
  },
  { method: 'GET', path: '/api/me/reservations', functionName: 'me-reservations', handler: meReservations },
  { method: 'GET', path: '/api/me/tickets', functionName: 'me-tickets', handler: meTickets },
  {
    method: 'GET',
    path: '/api/admin/reports/daily',
    functionName: 'admin-daily-report',
    handler: adminDailyReport,
  },
];
