import { AsyncLocalStorage } from 'node:async_hooks';

const requestIds = new AsyncLocalStorage<string>();

/**
 * Runs `work` as part of request `requestId`: whatever it announces (a published availability change, an
 * admin notice) carries the id, so one request can be followed from its log line to the delivery.
 */
export const runAsRequest = <T>(requestId: string, work: () => T): T => requestIds.run(requestId, work);

/** The request the current code runs for, if any. */
export const currentRequestId = (): string | undefined => requestIds.getStore();
