import { type EventTrace, MAX_TRACED_REQUESTS } from '../ports/event-bus.port';

/**
 * The union of two traces of messages that were merged into one: every request id (the older trace's
 * first, without repeats, at most MAX_TRACED_REQUESTS) and the earlier publication time (epoch ms).
 */
export function mergeTraces(older: EventTrace, newer: EventTrace): EventTrace {
  return {
    requestIds: [...new Set([...older.requestIds, ...newer.requestIds])].slice(0, MAX_TRACED_REQUESTS),
    publishedAt: Math.min(older.publishedAt, newer.publishedAt),
  };
}
