/**
 * How large a concert may grow. Every real-time message about a concert must fit one API Gateway
 * WebSocket frame (128 KB, https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html);
 * a `concert-update` carries each tier as `{id, available, capacity}` (about 80 bytes), so the tier count
 * is what bounds it. Text fields are bounded for the REST answers and the e-mails that quote them.
 */
export const CONCERT_LIMITS = {
  /** Tiers of one concert in total, across its creation and every later PATCH. */
  maxTiersPerConcert: 50,
  /** Characters of a title, artist or venue (after trimming). */
  maxTextLength: 200,
  /** Characters of a tier name (after trimming). */
  maxTierNameLength: 100,
  /** Admin date fields (startsAt, and any other date an admin sets) must lie in [earliest, latest). */
  earliestDate: '2000-01-01T00:00:00.000Z',
  latestDate: '2100-01-01T00:00:00.000Z',
} as const;
