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
  /** Who may call it: anyone, any signed-in user (objects of others are 404), or admins only. */
  access: 'public' | 'user' | 'admin';
  handler: HttpLambda;
}

/** Every HTTP route of the contract, and the handler that serves it on Lambda and in the shim alike. */
export const HTTP_ROUTES: readonly HttpRouteEntry[] = [
  { method: 'GET', path: '/health', functionName: 'health', access: 'public', handler: health },
  { method: 'GET', path: '/ready', functionName: 'ready', access: 'public', handler: ready },
  {
    method: 'POST',
    path: '/api/auth/register',
    functionName: 'auth-register',
    access: 'public',
    handler: authRegister,
  },
  {
    method: 'POST',
    path: '/api/auth/login',
    functionName: 'auth-login',
    access: 'public',
    handler: authLogin,
  },
  {
    method: 'GET',
    path: '/api/concerts',
    functionName: 'concerts-list',
    access: 'public',
    handler: concertsList,
  },
  {
    method: 'POST',
    path: '/api/concerts',
    functionName: 'concerts-create',
    access: 'admin',
    handler: concertsCreate,
  },
  {
    method: 'GET',
    path: '/api/concerts/{id}',
    functionName: 'concerts-get',
    access: 'public',
    handler: concertsGet,
  },
  {
    method: 'PATCH',
    path: '/api/concerts/{id}',
    functionName: 'concerts-update',
    access: 'admin',
    handler: concertsUpdate,
  },
  {
    method: 'POST',
    path: '/api/reservations',
    functionName: 'reservations-create',
    access: 'user',
    handler: reservationsCreate,
  },
  {
    method: 'GET',
    path: '/api/reservations/{id}',
    functionName: 'reservations-get',
    access: 'user',
    handler: reservationsGet,
  },
  {
    method: 'POST',
    path: '/api/reservations/{id}/confirm',
    functionName: 'reservations-confirm',
    access: 'user',
    handler: reservationsConfirm,
  },
  {
    method: 'DELETE',
    path: '/api/reservations/{id}',
    functionName: 'reservations-cancel',
    access: 'user',
    handler: reservationsCancel,
  },
  {
    method: 'GET',
    path: '/api/me/reservations',
    functionName: 'me-reservations',
    access: 'user',
    handler: meReservations,
  },
  { method: 'GET', path: '/api/me/tickets', functionName: 'me-tickets', access: 'user', handler: meTickets },
  {
    method: 'GET',
    path: '/api/admin/reports/daily',
    functionName: 'admin-daily-report',
    access: 'admin',
    handler: adminDailyReport,
  },
];
