import type { ConnectionPusher } from '../ports/connection-pusher.port';
import type { ConnectionRegistry } from '../ports/connection-registry.port';
import { type EventTrace, mergeTraces } from '../ports/event-bus.port';
import type { RelayStream, StreamEntry } from '../ports/relay-stream.port';
import type { ConcertUpdateMessage, RealtimeMessage } from './realtime';

export interface RelayDeps {
  stream: RelayStream;
  registry: ConnectionRegistry;
  pusher: ConnectionPusher;
  /** Told of each message delivered: for the delivery log line (with its requests) and the lag metric. */
  observe?: (delivery: RelayDelivery) => void;
}

export interface RelayDelivery {
  message: RealtimeMessage;
  trace: EventTrace | undefined;
  recipients: number;
  delivered: number;
  /** From publication to the last post of this message; undefined without a trace. */
  lagMs: number | undefined;
}

export interface RelayOptions {
  /** Stop reading after this long, so the run fits its scheduled invocation. */
  runForMs: number;
  batchSize?: number;
  blockMs?: number;
  leaseMs?: number;
  /** Posts in flight at once. */
  concurrency?: number;
}

export interface RelayReport {
  leader: boolean;
  events: number;
  delivered: number;
  gone: number;
  position: string | null;
  /** The longest time from publication to delivery in this run. */
  maxLagMs: number | null;
}

/**
 * One bounded run of the relay (DESIGN.md, "Real-time protocol"): the single leader reads the stream from
 * the stored position, posts each concert's latest update to its watchers and each admin notice to the
 * admins, drops connections that are gone, and stores the new position. A new leader resumes from there.
 */
export async function relayAvailability(deps: RelayDeps, options: RelayOptions): Promise<RelayReport> {
  const report: RelayReport = {
    leader: false,
    events: 0,
    delivered: 0,
    gone: 0,
    position: null,
    maxLagMs: null,
  };
  const lease = await deps.stream.acquireLease(options.leaseMs ?? 30_000);
  if (!lease) return report;
  report.leader = true;
  const deadline = Date.now() + options.runForMs;
  try {
    let position = await deps.stream.position();
    while (Date.now() < deadline) {
      const blockMs = Math.max(1, Math.min(options.blockMs ?? 1_000, deadline - Date.now()));
      const entries = await deps.stream.read(position, options.batchSize ?? 500, blockMs);
      if (entries.length === 0) {
        if (!(await lease.renew())) break;
        continue;
      }
      const last = entries[entries.length - 1] as StreamEntry;
      await deliver(deps, entries, options.concurrency ?? 50, report);
      report.events += entries.length;
      if (!(await deps.stream.commit(lease, last.id))) break;
      position = last.id;
      report.position = position;
    }
  } finally {
    await lease.release();
  }
  return report;
}

interface Outgoing {
  message: RealtimeMessage;
  trace: EventTrace | undefined;
  recipients: string[];
  delivered: number;
}

async function deliver(deps: RelayDeps, entries: StreamEntry[], concurrency: number, report: RelayReport) {
  // Within a batch only each concert's newest snapshot matters (carrying all the batch's requests);
  // admin notices all go, in order.
  const latest = new Map<string, { update: ConcertUpdateMessage; trace: EventTrace | undefined }>();
  const notices: Array<{ message: RealtimeMessage; trace: EventTrace | undefined }> = [];
  for (const { message, trace } of entries) {
    if (!message) continue;
    if (message.type !== 'concert-update') {
      notices.push({ message, trace });
      continue;
    }
    const held = latest.get(message.concertId);
    const merged = held?.trace && trace ? mergeTraces(held.trace, trace) : (trace ?? held?.trace);
    latest.set(message.concertId, {
      update: !held || held.update.version < message.version ? message : held.update,
      trace: merged,
    });
  }
  const outgoing: Outgoing[] = [];
  for (const { update, trace } of latest.values()) {
    outgoing.push({
      message: update,
      trace,
      recipients: await deps.registry.watchers(update.concertId),
      delivered: 0,
    });
  }
  if (notices.length > 0) {
    const admins = await deps.registry.admins();
    for (const { message, trace } of notices)
      outgoing.push({ message, trace, recipients: admins, delivered: 0 });
  }
  const posts = outgoing.flatMap((item) => {
    const frame = JSON.stringify(item.message);
    return item.recipients.map((connectionId) => ({ item, connectionId, frame }));
  });
  const gone = new Set<string>();
  for (let i = 0; i < posts.length; i += concurrency) {
    await Promise.all(
      posts.slice(i, i + concurrency).map(async ({ item, connectionId, frame }) => {
        if (gone.has(connectionId)) return;
        if ((await deps.pusher.post(connectionId, frame)) === 'sent') {
          report.delivered++;
          item.delivered++;
        } else gone.add(connectionId);
      }),
    );
  }
  for (const connectionId of gone) await deps.registry.remove(connectionId);
  report.gone += gone.size;
  const now = Date.now();
  for (const { message, trace, recipients, delivered } of outgoing) {
    const lagMs = trace ? Math.max(0, now - trace.publishedAt) : undefined;
    if (lagMs !== undefined) report.maxLagMs = Math.max(report.maxLagMs ?? 0, lagMs);
    deps.observe?.({ message, trace, recipients: recipients.length, delivered, lagMs });
  }
}
