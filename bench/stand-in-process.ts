/**
 * The management endpoint stand-in in a process of its own, for the relay benchmark: API Gateway is
 * another machine, so its work must not share the relay's event loop. Started with `fork` (IPC): it
 * answers `{ url }` once listening; on `'collect'` it answers every post received as
 * `[connectionId, version, receivedAt, status]` rows, then exits; on `'cpu'` it answers
 * `{ cpuMicros, posts }` (its own CPU time so far, user + system, and the posts received).
 *
 *   STAND_IN_DELAY_MS=20 (ms every answer waits)
 */
import { startManagementEndpointStandIn } from '../test/support/management-endpoint-stand-in';

const standIn = await startManagementEndpointStandIn({
  delayMs: Number(process.env.STAND_IN_DELAY_MS ?? 20),
});
process.on('message', (message) => {
  if (message === 'cpu') {
    // CPU this process used so far (µs, user + system) and the posts it answered: its share of the cores.
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system, posts: standIn.posts.length });
    return;
  }
  if (message !== 'collect') return;
  const rows = standIn.posts.map((post) => [
    post.connectionId,
    Number((JSON.parse(post.data) as { version?: number }).version ?? 0),
    post.receivedAt,
    post.status,
  ]);
  process.send?.({ rows }, () => {
    void standIn.close().then(() => process.exit(0));
  });
});
process.send?.({ url: standIn.url });
