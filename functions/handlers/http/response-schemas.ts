import * as z from 'zod';
import type { CheckInAdmitted, ConcertCheckIns, TicketCodeList } from '../../core/check-ins.service';
import type { Concert, Reservation, Ticket, User } from '../../core/model';
import type { QueueOverview, QueueView } from '../../core/waiting-room';
import type { DailyReport } from '../../ports/report.repository.port';
import { HTTP_STATUS } from './error-response';

/**
 * Response bodies of the public contract as zod schemas: the OpenAPI document shows them, and the tests
 * check every answer of a whole run against them (strict: an undocumented field fails). Below, the
 * compiler checks they describe exactly the core's models, so the two cannot drift apart.
 */
const id = z.guid();
const instant = z.iso.datetime({ offset: true });
const count = z.number().int().min(0);

const user = z.strictObject({
  id,
  email: z.email(),
  name: z.string(),
  role: z.enum(['customer', 'staff', 'admin']),
});

const tier = z.strictObject({
  id,
  name: z.string(),
  priceCents: count,
  currency: z.string().length(3),
  capacity: count,
  available: count.describe('Free right now: overdue holds already count as free'),
  maxPerOrder: z.number().int().min(1),
  version: count,
});

const concert = z.strictObject({
  id,
  title: z.string(),
  artist: z.string(),
  venue: z.string(),
  startsAt: instant,
  status: z.enum(['on-sale', 'paused', 'cancelled']),
  availableTickets: count,
  totalBooked: count,
  tiers: z.array(tier),
  version: count.describe('Grows with every change to any of its tiers'),
  onSaleAt: instant.optional().describe('When the sale opens'),
  waitingRoom: z
    .strictObject({
      enabled: z.boolean(),
      admissionPerMinute: z.union([z.number().int().min(1), z.literal('auto')]),
      admissionWindowSeconds: z.number().int().min(1),
      paused: z.boolean(),
    })
    .optional()
    .describe('Set by the organiser; with enabled, reservations need an admission from the queue'),
});

const reservation = z.strictObject({
  id,
  status: z.enum(['held', 'confirmed', 'expired', 'cancelled']),
  concertId: id,
  tierId: id,
  quantity: z.number().int().min(1),
  totalCents: count,
  currency: z.string().length(3),
  expiresAt: instant,
  createdAt: instant,
});

const ticket = z.strictObject({
  id,
  code: z.string(),
  tierId: id,
  concertId: id,
  reservationId: id,
  createdAt: instant,
});

const waitlistEntry = z.strictObject({
  id,
  concertId: id,
  tierId: id,
  quantity: z.number().int().min(1),
  position: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('1-based among those still waiting for the tier; only while waiting'),
  status: z.enum(['waiting', 'offered', 'claimed', 'expired', 'left']),
  createdAt: instant,
  reservation: reservation
    .optional()
    .describe('The hold made for the fan once offered (confirm it as any hold), whatever became of it'),
});

const dailyReport = z.strictObject({
  date: z.iso.date(),
  timeZone: z.string(),
  generatedAt: instant,
  final: z
    .boolean()
    .describe('False for the provisional 23:00 report; true once computed after the day ended'),
  concerts: z.array(
    z.strictObject({
      concertId: id,
      title: z.string(),
      currency: z.string().length(3),
      soldToday: count,
      soldToDate: count,
      revenueTodayCents: count,
      revenueToDateCents: count,
      capacity: count,
      sellThrough: z.number().min(0).max(1),
      expiredHolds: count,
      checkedIn: count.describe('Sold tickets checked in at the door by the end of the day'),
      attendance: z.number().min(0).max(1).describe('checkedIn / soldToDate (0 when nothing is sold)'),
    }),
  ),
});

const queueView = z.strictObject({
  status: z.enum(['before-sale', 'waiting', 'admitted', 'sold-out', 'window-expired']),
  position: z.number().int().min(1).optional().describe('1-based among those still waiting'),
  ahead: count.optional(),
  estimatedWaitSeconds: count
    .optional()
    .describe(
      'At the current admission rate; absent while the queue is paused or the concert is not on sale',
    ),
  opensAt: instant.optional().describe('When the sale opens (status before-sale)'),
  admittedAt: instant.optional(),
  admission: z
    .strictObject({ token: z.string(), expiresAt: instant })
    .optional()
    .describe(
      'While admitted: send `token` as `admissionToken` with POST /api/reservations (and a waiting-list join) of this concert',
    ),
  requeued: z.boolean().optional().describe('The place was given again after the queue store was lost'),
  reserved: z
    .boolean()
    .optional()
    .describe(
      'On window-expired: true when the fan reserved during the admission (a live hold, or bought): the admission was used, not wasted',
    ),
  ticketsBought: count
    .optional()
    .describe('On window-expired: tickets the fan bought (confirmed) for this concert since admitted'),
  waitingRoom: z
    .literal('off')
    .optional()
    .describe(
      'Live feeds only: the organiser turned the waiting room off (status admitted, no admission needed); the last message for this queue',
    ),
});

const queueOverview = z.strictObject({
  waiting: count,
  admitted: count,
  openAdmissions: count.describe('Admitted, window open, not reserved yet'),
  admissionPerMinute: z.union([z.number().int().min(1), z.literal('auto')]),
  currentRatePerMinute: z.number().min(0),
  paused: z.boolean(),
  sold: count,
  held: count,
  available: count,
  estimatedSellOutSeconds: count
    .nullable()
    .describe(
      '0 once sold out; null while paused, not on sale, before the first step, or when the line (waiting + open admissions at the average order size) cannot take what is left',
    ),
  onSaleAt: instant.nullable(),
});

export const responseBodies = {
  health: z.strictObject({ status: z.literal('ok') }),
  ready: z.strictObject({ status: z.literal('ready'), checks: z.record(z.string(), z.boolean()) }),
  session: z.strictObject({ token: z.string(), user }),
  concerts: z.strictObject({ concerts: z.array(concert) }),
  concert: z.strictObject({ concert }),
  reservation: z.strictObject({ reservation }),
  confirmation: z.strictObject({
    reservation,
    tickets: z.array(ticket.pick({ id: true, code: true, tierId: true })),
  }),
  reservations: z.strictObject({ reservations: z.array(reservation) }),
  tickets: z.strictObject({ tickets: z.array(ticket) }),
  report: z.strictObject({ report: dailyReport }),
  sales: z.strictObject({
    concerts: z.array(
      z.strictObject({
        concertId: id,
        sold: count.describe('Tickets of confirmed reservations'),
        held: count.describe('Tickets in holds not yet past expiresAt'),
        tiers: z.array(z.strictObject({ tierId: id, sold: count, held: count })),
      }),
    ),
  }),
  waitlistEntry: z.strictObject({ entry: waitlistEntry }),
  waitlistEntries: z.strictObject({ entries: z.array(waitlistEntry) }),
  waitlistStats: z.strictObject({
    tiers: z.array(
      z.strictObject({
        tierId: id,
        waiting: count.describe('Fans waiting now: the list length'),
        waitingTickets: count.describe('Tickets those fans wait for'),
        offered: count.describe('Offers open now (a live hold made for the fan)'),
        offersMade: count.describe('Every offer made for the tier so far'),
        claimed: count,
        expired: count,
        left: count,
      }),
    ),
  }),
  checkIn: z.strictObject({
    result: z.literal('admitted'),
    ticket: z.strictObject({ code: z.string(), tierId: id, holderName: z.string(), concertId: id }),
    at: instant.describe('When the admission was scanned (an offline scan keeps its own time)'),
    deviceId: z
      .string()
      .describe('The device that let the ticket in (the caller: a repeat answers the same)'),
  }),
  checkIns: z.strictObject({
    checkedIn: count.describe('Tickets of confirmed reservations let in so far'),
    sold: count.describe('Tickets of confirmed reservations'),
    byTier: z.array(z.strictObject({ tierId: id, checkedIn: count, sold: count })),
  }),
  ticketCodes: z.strictObject({
    concertId: id,
    algorithm: z.literal('SHA-256'),
    generatedAt: instant,
    codes: z.array(
      z.strictObject({
        hash: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .describe('SHA-256 of the code (XXXX-XXXX-XXXX-XXXX, UTF-8) in lower-case hex'),
        tierId: id,
        holderInitials: z.string(),
        checkedIn: z.boolean().describe('Already let in when the list was made'),
      }),
    ),
  }),
  user: z.strictObject({ user }),
  queue: z.strictObject({ queue: queueView }),
  queueOverview,
  openapi: z.looseObject({ openapi: z.literal('3.1.0'), paths: z.record(z.string(), z.unknown()) }),
  error: z.strictObject({
    error: z.strictObject({
      code: z.enum(
        Object.keys(HTTP_STATUS) as [keyof typeof HTTP_STATUS, ...Array<keyof typeof HTTP_STATUS>],
      ),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  }),
} as const;

// Compile-time: each schema describes exactly its model (a field added to one and not the other fails tsc).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree = <_T extends true>() => undefined;
agree<Same<z.infer<typeof user>, User>>();
agree<Same<z.infer<typeof concert>, Concert>>();
agree<Same<z.infer<typeof reservation>, Omit<Reservation, 'userId'>>>();
agree<Same<z.infer<typeof ticket>, Ticket>>();
agree<Same<z.infer<typeof dailyReport>, DailyReport>>();
agree<Same<z.infer<typeof responseBodies.checkIn>, CheckInAdmitted>>();
agree<Same<z.infer<typeof responseBodies.checkIns>, ConcertCheckIns>>();
agree<Same<z.infer<typeof responseBodies.ticketCodes>, TicketCodeList>>();
agree<Same<z.infer<typeof queueView>, QueueView>>();
agree<Same<z.infer<typeof queueOverview>, QueueOverview>>();
