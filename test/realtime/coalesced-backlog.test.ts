import { afterEach, describe, expect, it } from 'vitest';
import { CoalescedBacklog, type Readiness } from '../../local/shim/coalesced-backlog';

/** A socket stand-in: whether it is slow or gone, and what it was sent, in order. */
interface FakeSocket {
  state: Readiness;
  got: Array<{ key: string; version: number }>;
}

const fake = (): FakeSocket => ({ state: true, got: [] });

describe('CoalescedBacklog: a slow socket gets the newest update, never an older after a newer', () => {
  const backlogs: Array<CoalescedBacklog<FakeSocket, { key: string; version: number }>> = [];
  const backlog = () => {
    const made = new CoalescedBacklog<FakeSocket, { key: string; version: number }>(
      { ready: (s) => s.state, send: (s, frame) => s.got.push(frame) },
      1_000_000, // swept by hand below
    );
    backlogs.push(made);
    return made;
  };
  afterEach(() => {
    for (const made of backlogs.splice(0)) made.stop();
  });

  /** What a gateway's broadcast does: the newest frame, then the sockets that may take it now. */
  const broadcast = (
    b: CoalescedBacklog<FakeSocket, { key: string; version: number }>,
    key: string,
    version: number,
    sockets: FakeSocket[],
  ) => {
    b.setLatest(key, { key, version });
    for (const socket of sockets) if (b.admit(socket, key)) socket.got.push({ key, version });
  };

  it('skips a slow socket while it is slow and, once drained, sends it only the newest version of each key', () => {
    const b = backlog();
    const fast = fake();
    const slow = fake();
    broadcast(b, 'a', 1, [fast, slow]);
    slow.state = false;
    for (let v = 2; v <= 5; v++) broadcast(b, 'a', v, [fast, slow]);
    broadcast(b, 'b', 1, [slow]);
    expect(b.owing).toBe(1);
    expect(b.coalesced).toBe(5);
    b.sweep(); // still slow: nothing
    expect(slow.got).toEqual([{ key: 'a', version: 1 }]);
    slow.state = true;
    b.sweep();
    expect(slow.got).toEqual([
      { key: 'a', version: 1 },
      { key: 'a', version: 5 },
      { key: 'b', version: 1 },
    ]);
    expect(fast.got.map((f) => f.version)).toEqual([1, 2, 3, 4, 5]);
    expect(b.owing).toBe(0);
    b.sweep(); // nothing owed any more: no second copy
    expect(slow.got).toHaveLength(3);
  });

  it('a socket reached directly by a newer update is no longer owed (no stale resend after it)', () => {
    const b = backlog();
    const socket = fake();
    socket.state = false;
    broadcast(b, 'a', 1, [socket]);
    socket.state = true;
    broadcast(b, 'a', 2, [socket]);
    b.sweep();
    expect(socket.got).toEqual([{ key: 'a', version: 2 }]);
  });

  it('forgets a socket that is gone', () => {
    const b = backlog();
    const socket = fake();
    socket.state = false;
    broadcast(b, 'a', 1, [socket]);
    socket.state = 'gone';
    b.sweep();
    expect(b.owing).toBe(0);
    expect(socket.got).toEqual([]);
  });
});
