import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiClient, ApiError } from '../api/api-client';
import type { Queue, QueueResponse } from '../api/contract';
import { describeError } from '../api/error-messages';
import type { LinkState, LiveSocket } from './live-socket';

/**
 * Read the place over HTTP this often (ms) while no live place arrives: the socket is down, or it has not
 * pushed a `queue-position` yet (a transport that does not carry them).
 */
export const POLL_OFFLINE_MS = 3_000;
/** And this often (ms) once the socket pushes places: a safety net for a lost message, light on the service. */
export const POLL_LIVE_MS = 15_000;

export interface QueueState {
  /** The fan's place as last heard (socket or poll); null until the first answer. */
  queue: Queue | null;
  /** Why the fan has no place (a refused join), as a sentence. */
  error?: string;
  /**
   * The fan's place was given again after the service lost its queue store: the service said so
   * (`requeued`), or a read found the fan no longer in the line and the page joined again.
   */
  requeued: boolean;
  /** Read the place now (`GET …/queue`), e.g. when the sale's countdown reaches zero. */
  refresh(): void;
}

/**
 * The signed-in fan's place in a concert's waiting room, live. Joins with `POST /api/concerts/{id}/queue`
 * (joining again keeps the place), then follows `queue-position` messages on `live` (`join-queue`, sent
 * again by the socket after a reconnect) and reads `GET …/queue` every `POLL_OFFLINE_MS` until the socket,
 * up, has pushed a place, then every `POLL_LIVE_MS`. A poll answer older than the last pushed message is dropped (a
 * read sent before a push but answered after it never rolls the place back); a 404 (not in the line, e.g.
 * after the service lost its queue store) joins again. Does nothing while `enabled` is false.
 */
export function useQueue(
  api: ApiClient,
  concertId: string,
  live: LiveSocket | null,
  link: LinkState,
  enabled: boolean,
): QueueState {
  const [queue, setQueue] = useState<Queue | null>(null);
  const [error, setError] = useState<string>();
  const [requeued, setRequeued] = useState(false);
  // Whether this socket has pushed a place yet (until then the poll stands in for it).
  const [pushed, setPushed] = useState(false);
  // When the last pushed message arrived (ms); whether a request is in flight, and a join waits for it.
  const state = useRef({ pushedAt: 0, busy: false, joinNext: false, mounted: true });

  useEffect(() => {
    const current = state.current;
    current.mounted = true;
    return () => {
      current.mounted = false;
    };
  }, []);

  /**
   * `POST` (join) or `GET` (read), one at a time (a join asked meanwhile runs right after); an answer is kept
   * unless a push came after its request left.
   */
  const ask = useCallback(
    async (join: boolean): Promise<void> => {
      const current = state.current;
      if (!enabled) return;
      if (current.busy) {
        current.joinNext ||= join;
        return;
      }
      current.busy = true;
      let joining = join;
      try {
        let sentAt = Date.now();
        let answer: QueueResponse;
        try {
          answer = join ? await api.joinQueue(concertId) : await api.queue(concertId);
        } catch (cause) {
          // Not in the line (never joined, or the service lost its store): take a place again.
          if (join || !(cause instanceof ApiError && cause.code === 'NOT_FOUND')) throw cause;
          joining = true;
          sentAt = Date.now();
          answer = await api.joinQueue(concertId);
          if (current.mounted) setRequeued(true);
        }
        if (!current.mounted || current.pushedAt > sentAt) return;
        setQueue(answer.queue);
        setError(undefined);
      } catch (cause) {
        // A refused join is said; a failed read keeps what is shown and tries again at the next poll.
        if (current.mounted && joining) setError(describeError(cause));
      } finally {
        current.busy = false;
        if (current.joinNext && current.mounted) {
          current.joinNext = false;
          void ask(true);
        }
      }
    },
    [api, concertId, enabled],
  );

  // Take a place when the page opens (or the fan signs in).
  useEffect(() => {
    if (!enabled) {
      setQueue(null);
      return;
    }
    void ask(true);
  }, [ask, enabled]);

  // Follow the place on the live socket.
  useEffect(() => {
    setPushed(false);
    if (!enabled || !live) return;
    const stop = live.listen((message) => {
      if (message.type !== 'queue-position' || message.concertId !== concertId) return;
      state.current.pushedAt = Date.now();
      setPushed(true);
      const { type: _type, concertId: _concertId, ...place } = message;
      setQueue(place);
      if (place.requeued) setRequeued(true);
      setError(undefined);
    });
    live.joinQueue(concertId);
    return stop;
  }, [live, concertId, enabled]);

  // Poll: often while no place comes live, seldom once the socket pushes them.
  const pushing = link === 'live' && pushed;
  useEffect(() => {
    if (!enabled) return;
    const timer = setInterval(() => void ask(false), pushing ? POLL_LIVE_MS : POLL_OFFLINE_MS);
    return () => clearInterval(timer);
  }, [ask, pushing, enabled]);

  const refresh = useCallback(() => void ask(false), [ask]);
  return { queue, error, requeued, refresh };
}
