import { TicketingError } from '../../core/errors';

// SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57P (operator intervention),
// and the socket errors a driver reports when the server is gone or restarting.
const UNAVAILABLE_SQLSTATE = /^(08|53|57P)/;
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

/** Turns "the database cannot be reached" into the contract's 503; anything else passes through. */
export function classifyDatabaseError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const unavailable =
    (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) ||
    UNAVAILABLE_MESSAGE.test(error.message);
  return unavailable
    ? new TicketingError('SERVICE_UNAVAILABLE', 'The database is unavailable; try again shortly', undefined, {
        cause: error,
      })
    : error;
}
