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
import { HTTP_ROUTE_TABLE, type HttpFunctionName, type HttpRoute } from './route-table';

// The one module that maps the route table's function names to the handlers: whoever serves HTTP in
// one process (the ALB's single Lambda, the local shim) imports this; the stacks and the OpenAPI
// generator read `route-table.ts` and load no handler.

/** A route of the table with the handler that serves it on Lambda and in the shim alike. */
export interface HttpRouteEntry extends HttpRoute {
  handler: HttpLambda;
}

/** Each HTTP function's handler by its name: a route in the table without a handler fails to compile. */
export const HTTP_HANDLERS: Readonly<Record<HttpFunctionName, HttpLambda>> = {
  health,
  ready,
  'auth-register': authRegister,
  'auth-login': authLogin,
  'concerts-list': concertsList,
  'concerts-create': concertsCreate,
  'concerts-get': concertsGet,
  'concerts-update': concertsUpdate,
  'reservations-create': reservationsCreate,
  'reservations-get': reservationsGet,
  'reservations-confirm': reservationsConfirm,
  'reservations-cancel': reservationsCancel,
  'me-reservations': meReservations,
  'me-tickets': meTickets,
  'api-openapi': apiOpenapi,
  'admin-daily-report': adminDailyReport,
  'admin-concert-sales': adminConcertSales,
  'queue-join': queueJoin,
  'queue-get': queueGet,
  'admin-queue-get': adminQueueGet,
  'admin-queue-update': adminQueueUpdate,
};

/** Every HTTP route of the contract (`HTTP_ROUTE_TABLE`, in its order) with its handler. */
export const HTTP_ROUTES: readonly HttpRouteEntry[] = HTTP_ROUTE_TABLE.map((route) => ({
  ...route,
  handler: HTTP_HANDLERS[route.functionName as HttpFunctionName],
}));
