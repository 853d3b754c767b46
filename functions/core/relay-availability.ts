import type { ConnectionPusher } from '../ports/connection-pusher.port';
import type { ConnectionRegistry } from '../ports/connection-registry.port';
import type { RelayStream, StreamEntry } from '../ports/relay-stream.port';
import type { ConcertUpdateMessage, RealtimeMessage } from './realtime';

export interface RelayDeps {
  stream: RelayStream;
  registry: ConnectionRegistry;
  pusher: ConnectionPusher;
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
}

/**
 * One bounded run of the relay (DESIGN.md, "Real-time protocol"): the single leader reads the stream from
 * the stored position, posts each concert's latest update to its watchers and each admin notice to the
 * admins, drops connections that are gone, and stores the new position. A new leader resumes from there.
 */
export async function relayAvailability(deps: RelayDeps, options: RelayOptions): Promise<RelayReport> {
  const report: RelayReport = { leader: false, events: 0, delivered: 0, gone: 0, position: null };
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
      const messages = entries.flatMap((entry) => (entry.message ? [entry.message] : []));
      await deliver(deps, messages, options.concurrency ?? 50, report);
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

async function deliver(
  deps: RelayDeps,
  messages: RealtimeMessage[],
  concurrency: number,
  report: RelayReport,
) {
  // Within a batch only each concert's newest snapshot matters; admin notices all go, in order.
  const latest = new Map<string, ConcertUpdateMessage>();
  const notices: RealtimeMessage[] = [];
  for (const message of messages) {
    if (message.type === 'concert-update') {
      const held = latest.get(message.concertId);
      if (!held || held.version < message.version) latest.set(message.concertId, message);
    } else notices.push(message);
  }
  const posts: Array<[string, string]> = [];
  for (const update of latest.values()) {
    const frame = JSON.stringify(update);
    for (const connectionId of await deps.registry.watchers(update.concertId))
      posts.push([connectionId, frame]);
  }
  if (notices.length > 0) {
    const admins = await deps.registry.admins();
    for (const notice of notices) {
      const frame = JSON.stringify(notice);
      for (const connectionId of admins) posts.push([connectionId, frame]);
    }
  }
  const gone = new Set<string>();
  for (let i = 0; i < posts.length; i += concurrency) {
    await Promise.all(
      posts.slice(i, i + concurrency).map(async ([connectionId, frame]) => {
        if (gone.has(connectionId)) return;
        if ((await deps.pusher.post(connectionId, frame)) === 'sent') report.delivered++;
        else gone.add(connectionId);
      }),
    );
  }
  for (const connectionId of gone) await deps.registry.remove(connectionId);
  report.gone += gone.size;
}
