import * as z from 'zod';
import type { RealtimeMessage } from '../../core/realtime';
import type { EventTrace } from '../../ports/event-bus.port';

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const text = z.string().min(1).max(200);

const concertUpdate = z.object({
  type: z.literal('concert-update'),
  concertId: text,
  availableTickets: count,
  totalBooked: count,
  // No cap on tiers here: size is the pusher's rule (API Gateway's 128 KB), measured and reported as too-large.
  tiers: z.array(z.object({ id: text, available: count, capacity: count })),
  status: z.enum(['on-sale', 'paused', 'cancelled']).optional(),
  version: count,
});

const adminNotification = z.object({
  type: z.literal('admin-notification'),
  event: z.enum([
    'new-reservation',
    'reservation-confirmed',
    'reservation-cancelled',
    'sold-out',
    'holds-expired',
    'concert-created',
    'concert-updated',
    'concert-cancelled',
    'checked-in',
  ]),
  concertId: text,
  reservationId: text.optional(),
  tierId: text.optional(),
  at: z.string().max(40),
});

const instant = z.string().max(40);
const waitlistOffer = z.object({
  type: z.literal('waitlist-offer'),
  userId: text,
  concertId: text,
  tierId: text,
  reservation: z.object({
    id: text,
    status: z.enum(['held', 'confirmed', 'expired', 'cancelled']),
    concertId: text,
    tierId: text,
    quantity: count,
    totalCents: count,
    currency: z.string().max(3),
    expiresAt: instant,
    createdAt: instant,
  }),
});

const reservationsSummary = z.object({
  type: z.literal('reservations'),
  from: z.string().max(40),
  to: z.string().max(40),
  concerts: z.array(z.object({ concertId: text, holds: count })).max(10_000),
});

/** A message as another replica publishes it: validated, because one malformed payload must never take a replica down. */
export const realtimeMessageSchema = z.discriminatedUnion('type', [
  concertUpdate,
  adminNotification,
  waitlistOffer,
  reservationsSummary,
]);

/** The trace beside a message; `publishedAt` in epoch ms (finite, so lag metrics never see NaN). */
export const eventTraceSchema = z.object({
  requestIds: z.array(z.string().max(200)).max(100),
  publishedAt: z.number().finite().min(0),
});

/**
 * Parses one pub/sub payload: a bare message, or the `{m, t}` envelope that carries a trace.
 * Returns null for anything else (not JSON, unknown type, missing or mistyped fields), so the caller
 * drops it; a malformed trace is dropped alone and the message kept.
 */
export function parseBusPayload(payload: string): { message: RealtimeMessage; trace?: EventTrace } | null {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return null;
  }
  const enveloped = typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.hasOwn(raw, 'm');
  const message = realtimeMessageSchema.safeParse(enveloped ? (raw as { m: unknown }).m : raw);
  if (!message.success) return null;
  const trace = enveloped ? eventTraceSchema.safeParse((raw as { t?: unknown }).t) : undefined;
  return trace?.success ? { message: message.data, trace: trace.data } : { message: message.data };
}
