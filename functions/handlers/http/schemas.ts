import * as z from 'zod';
import { CONCERT_LIMITS } from '../../core/concert-limits';
import { canonicalEmail } from '../../core/email-address';

// Request bodies of the public contract. Numbers are JSON integers (never "2" or 1.5).
const text = (max: number) => z.string().trim().min(1).max(max);
const id = z.guid();
const currency = z.string().regex(/^[A-Z]{3}$/, 'a three-letter ISO 4217 code such as USD');
const priceCents = z.number().int().min(0).max(10_000_000);
const capacity = z.number().int().min(0).max(1_000_000);
const maxPerOrder = z.number().int().min(1).max(100);
const concertStatus = z.enum(['on-sale', 'paused', 'cancelled']);
const isoTime = z.iso.datetime({ offset: true });
/** Concert and tier text: PostgreSQL text cannot hold NUL, and no name needs a control character. */
const concertText = (max: number) => text(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters');
/** True when `at` (ms since the epoch) lies in CONCERT_LIMITS' sane range [earliestDate, latestDate). */
const inSaneRange = (at: number) =>
  at >= Date.parse(CONCERT_LIMITS.earliestDate) && at < Date.parse(CONCERT_LIMITS.latestDate);
/**
 * An admin-set date: ISO-8601 with an offset, inside CONCERT_LIMITS' sane range (else 400, never a 500).
 * Every date/time field of a request (body or query) takes this or `calendarDate`: PostgreSQL refuses
 * years such as 0000, and no field of this service means anything outside the range.
 */
export const adminDate = isoTime.refine((value) => inSaneRange(Date.parse(value)), {
  message: `a date from ${CONCERT_LIMITS.earliestDate} up to ${CONCERT_LIMITS.latestDate}`,
});
/** A calendar day (YYYY-MM-DD, e.g. a report's `date` query) inside the same range (else 400). */
export const calendarDate = z.iso.date().refine((value) => inSaneRange(Date.parse(`${value}T00:00:00Z`)), {
  message: `a day from ${CONCERT_LIMITS.earliestDate.slice(0, 10)} up to ${CONCERT_LIMITS.latestDate.slice(0, 10)} (exclusive)`,
});

export const registerBody = z.object({
  email: z.email().max(254).transform(canonicalEmail),
  password: z.string().min(8).max(128),
  name: text(100),
});

export const loginBody = z.object({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(128),
});

/** Fans admitted per minute (a positive integer), or `auto`: a rate from what is left to sell. */
export const admissionPerMinute = z.union([z.number().int().min(1).max(100_000), z.literal('auto')]);
/** How long an admitted fan may reserve (s): 30 s up to a day. */
const admissionWindowSeconds = z.number().int().min(30).max(86_400);

const waitingRoom = z
  .object({
    enabled: z.boolean(),
    admissionPerMinute,
    admissionWindowSeconds: admissionWindowSeconds.default(600),
    paused: z.boolean().default(false),
  })
  .strict();

const waitingRoomChange = z
  .object({
    enabled: z.boolean().optional(),
    admissionPerMinute: admissionPerMinute.optional(),
    admissionWindowSeconds: admissionWindowSeconds.optional(),
    paused: z.boolean().optional(),
  })
  .strict();

const newTier = z.object({
  name: concertText(CONCERT_LIMITS.maxTierNameLength),
  priceCents,
  currency: currency.default('USD'),
  capacity,
  maxPerOrder: maxPerOrder.default(10),
});

export const createConcertBody = z.object({
  title: concertText(CONCERT_LIMITS.maxTextLength),
  artist: concertText(CONCERT_LIMITS.maxTextLength),
  venue: concertText(CONCERT_LIMITS.maxTextLength),
  startsAt: adminDate,
  status: concertStatus.default('on-sale'),
  tiers: z.array(newTier).min(1).max(20),
  onSaleAt: adminDate.optional(),
  waitingRoom: waitingRoom.optional(),
});

const tierChange = z
  .object({
    id,
    name: concertText(CONCERT_LIMITS.maxTierNameLength).optional(),
    priceCents: priceCents.optional(),
    capacity: capacity.optional(),
    maxPerOrder: maxPerOrder.optional(),
  })
  .strict();

export const updateConcertBody = z
  .object({
    title: concertText(CONCERT_LIMITS.maxTextLength).optional(),
    artist: concertText(CONCERT_LIMITS.maxTextLength).optional(),
    venue: concertText(CONCERT_LIMITS.maxTextLength).optional(),
    startsAt: adminDate.optional(),
    status: concertStatus.optional(),
    tiers: z
      .array(z.union([tierChange, newTier.strict()]))
      .max(20)
      .optional(),
    onSaleAt: adminDate.nullable().optional(),
    waitingRoom: waitingRoomChange.optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), 'Nothing to change');

export const createReservationBody = z.object({
  concertId: id,
  tierId: id,
  quantity: z.number().int().min(1).max(100),
  /** Needed on a waiting-room concert: the signed admission the queue gave this fan (see waiting-room.ts). */
  admissionToken: z.string().min(1).max(2048).optional(),
});

/**
 * POST /api/concerts/{id}/tiers/{tierId}/waitlist: how many tickets the fan waits for, and on a
 * waiting-room concert the fan's admission token (as for reservations).
 */
export const joinWaitlistBody = z.object({
  quantity: z.number().int().min(1).max(100),
  admissionToken: z.string().min(1).max(2048).optional(),
});
/** PATCH /api/admin/concerts/{id}/queue: pause or resume, or change the rate, during the sale. */
export const updateQueueBody = z
  .object({ paused: z.boolean().optional(), admissionPerMinute: admissionPerMinute.optional() })
  .strict()
  .refine((body) => body.paused !== undefined || body.admissionPerMinute !== undefined, 'Nothing to change');

export const idempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export const pathId = id;

/** POST /api/check-ins. `scannedAt`: an offline scan's own time (see core/check-ins.service for the rule). */
export const checkInBody = z.object({
  code: z.string().trim().min(1).max(64),
  deviceId: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'no control characters'),
  concertId: id.optional(),
  scannedAt: adminDate.optional(),
});

/** POST /api/admin/users: an organiser makes an account for door staff (or another organiser). */
export const createUserBody = z.object({
  email: z.email().max(254).transform(canonicalEmail),
  password: z.string().min(8).max(128),
  name: text(100),
  role: z.enum(['customer', 'staff', 'admin']),
});
