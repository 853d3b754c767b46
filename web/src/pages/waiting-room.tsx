import { type ReactNode, useEffect, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router';
import type { Concert, Queue } from '../api/contract';
import { formatClock, formatDateTime, formatLongClock, formatWait } from '../components/format';
import { Notice } from '../components/status';
import { useCountdown } from '../components/use-countdown';
import type { LinkState, LiveSocket } from '../realtime/live-socket';
import { useQueue } from '../realtime/use-queue';
import { useSession } from '../session/session';

/** At most one position announcement this often (ms): a moving line must not flood a screen reader. */
export const ANNOUNCE_EVERY_MS = 30_000;

interface Props {
  concert: Concert;
  /** The page's live socket (opened with the fan's token) and its state. */
  live: LiveSocket | null;
  link: LinkState;
  /** The reservation form, given the admission to send with it. */
  reserveForm(admissionToken: string): ReactNode;
}

/**
 * The waiting room of a concert sold through one: a countdown before the sale, then the fan's place in
 * line, people ahead, an estimated wait and a progress bar, live; "it's your turn" with the reservation
 * form and the admission window's countdown; "sold out" and "window expired" as soon as they happen.
 */
export function WaitingRoom({ concert, live, link, reserveForm }: Props) {
  const { api, user } = useSession();
  const { queue, error, requeued, refresh } = useQueue(api, concert.id, live, link, Boolean(user));
  const status = useShownStatus(queue);
  const opensAt = queue?.opensAt ?? concert.onSaleAt;
  const start = useStartingPlace(concert.id, user?.id, queue);

  return (
    <section
      className="panel waiting-room"
      aria-labelledby="waiting-room-heading"
      data-testid="waiting-room"
      data-status={status ?? (user ? 'joining' : 'signed-out')}
    >
      <h2 id="waiting-room-heading">
        {status === 'admitted' && queue?.waitingRoom !== 'off' ? 'It’s your turn' : 'Waiting room'}
      </h2>
      <QueueAnnouncer queue={queue} status={status} />
      {!user && <SignedOut opensAt={opensAt} />}
      {user && !queue && !error && <p className="muted">Taking your place in line…</p>}
      {status === 'before-sale' && opensAt && <BeforeSale opensAt={opensAt} onOpen={refresh} />}
      {requeued && (status === 'waiting' || status === 'before-sale') && (
        <p className="notice notice-info" data-testid="queue-requeued">
          The line was restored after a fault on our side. Your place was given again, in the order of the
          places fans last saw.
        </p>
      )}
      {status === 'waiting' && queue && <InLine queue={queue} start={start} />}
      {status === 'admitted' && queue?.admission && (
        <Admitted expiresAt={queue.admission.expiresAt}>{reserveForm(queue.admission.token)}</Admitted>
      )}
      {status === 'sold-out' && (
        <p className="queue-outcome sold-out">
          <strong>Sold out.</strong> Every ticket is sold or on hold. If held tickets come back, the line
          moves again: keep this page open.
        </p>
      )}
      {status === 'window-expired' && <WindowClosed queue={queue} />}
      {status === 'admitted' && queue?.waitingRoom === 'off' && (
        <p className="queue-outcome" data-testid="queue-off">
          <strong>The waiting room is closed.</strong> No turn is needed any more: reserve directly.
        </p>
      )}
      <Notice kind="error">{error}</Notice>
    </section>
  );
}

/**
 * The end of an admission window: "you got your tickets" when the fan bought during it, "your
 * reservation is held" when a hold is still to be paid, else the turn passed (attack F4: a buyer must not
 * read that the place was wasted).
 */
function WindowClosed({ queue }: { queue: Queue | null }) {
  const bought = queue?.status === 'window-expired' ? (queue.ticketsBought ?? 0) : 0;
  if (bought > 0) {
    return (
      <p className="queue-outcome bought" data-testid="queue-bought">
        <strong>You got your tickets.</strong> {bought === 1 ? '1 ticket is' : `${bought} tickets are`} yours:
        find {bought === 1 ? 'it' : 'them'} under My tickets.
      </p>
    );
  }
  if (queue?.status === 'window-expired' && queue.reserved) {
    return (
      <p className="queue-outcome held" data-testid="queue-held">
        <strong>Your reservation is held.</strong> Your time in line is over, but your hold is not: pay before
        it runs out.
      </p>
    );
  }
  if (queue?.status === 'admitted') {
    // Closed on this page's clock, the service's word (bought or not) not here yet: claim nothing.
    return (
      <p className="queue-outcome" data-testid="queue-window-closing">
        <strong>Your time to buy ran out.</strong>
      </p>
    );
  }
  return (
    <p className="queue-outcome">
      <strong>Your time to buy ran out.</strong> Your turn passed to the next fan in line.
    </p>
  );
}

/**
 * The status to show: the service's, except an admission whose window has run out on this clock, which
 * reads as `window-expired` at once (the service's own message follows).
 */
function useShownStatus(queue: Queue | null): Queue['status'] | undefined {
  const [, setTick] = useState(0);
  const expiresAt = queue?.status === 'admitted' ? queue.admission?.expiresAt : undefined;
  useEffect(() => {
    if (!expiresAt) return;
    const timer = setTimeout(
      () => setTick((tick) => tick + 1),
      Math.max(0, Date.parse(expiresAt) - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [expiresAt]);
  if (expiresAt && Date.parse(expiresAt) <= Date.now()) return 'window-expired';
  return queue?.status;
}

/**
 * How many were ahead when this fan was first seen waiting (kept for the tab in sessionStorage, so a reload
 * keeps the bar's scale); undefined before that.
 */
function useStartingPlace(
  concertId: string,
  userId: string | undefined,
  queue: Queue | null,
): number | undefined {
  const key = `concert-tickets.queue-start.${concertId}.${userId ?? ''}`;
  const [start, setStart] = useState<number | undefined>(() => {
    const stored = Number(sessionStorage.getItem(key) ?? Number.NaN);
    return Number.isInteger(stored) && stored >= 0 ? stored : undefined;
  });
  const ahead = queue?.status === 'waiting' ? queue.ahead : undefined;
  useEffect(() => {
    if (ahead === undefined) return;
    setStart((current) => {
      // The draw at on-sale (or a re-queue) may put the fan further back than first seen: the bar grows with it.
      const next = current === undefined || ahead > current ? ahead : current;
      sessionStorage.setItem(key, String(next));
      return next;
    });
  }, [ahead, key]);
  return start;
}

function SignedOut({ opensAt }: { opensAt: string | undefined }) {
  const location = useLocation();
  const next = encodeURIComponent(location.pathname);
  return (
    <>
      <p>
        Tickets for this concert are sold through a waiting room
        {opensAt ? `, opening ${formatDateTime(opensAt)}` : ''}. Everyone in the room when the sale opens gets
        a place in a random order; later arrivals join the line behind them.
      </p>
      <p>
        <Link to={`/login?next=${next}`}>Log in</Link> or <Link to={`/signup?next=${next}`}>sign up</Link> to
        take your place.
      </p>
    </>
  );
}

function BeforeSale({ opensAt, onOpen }: { opensAt: string; onOpen(): void }) {
  const seconds = useCountdown(opensAt);
  // At zero the service draws the order: read the place at once (its message may follow).
  useEffect(() => {
    if (seconds === 0) onOpen();
  }, [seconds, onOpen]);
  return (
    <>
      <p className="countdown">
        The sale opens in{' '}
        <span role="timer" aria-live="off" data-testid="sale-countdown">
          {formatLongClock(seconds)}
        </span>{' '}
        <span className="muted">({formatDateTime(opensAt)})</span>
      </p>
      <p>
        You are in the waiting room. When the sale opens, everyone here is put in line in a random order, so
        there is no need to arrive early or to refresh. Keep this page open.
      </p>
    </>
  );
}

function InLine({ queue, start }: { queue: Queue; start: number | undefined }) {
  const ahead = queue.ahead ?? Math.max(0, (queue.position ?? 1) - 1);
  const scale = Math.max(start ?? ahead, ahead);
  const gone = scale - ahead;
  return (
    <>
      <p className="queue-place">
        You are number{' '}
        <strong className="queue-number" data-testid="queue-position">
          {queue.position ?? ahead + 1}
        </strong>{' '}
        in line.
      </p>
      <dl className="queue-figures">
        <div>
          <dt>People ahead of you</dt>
          <dd data-testid="queue-ahead">{ahead}</dd>
        </div>
        <div>
          <dt>Estimated wait</dt>
          <dd data-testid="queue-wait">
            {queue.estimatedWaitSeconds === undefined
              ? 'not known yet'
              : formatWait(queue.estimatedWaitSeconds)}
          </dd>
        </div>
      </dl>
      <label htmlFor="queue-progress">Your progress in line</label>
      <progress
        id="queue-progress"
        data-testid="queue-progress"
        max={Math.max(1, scale)}
        value={scale === 0 ? 1 : gone}
      />
      <p className="muted">Keep this page open: it lets you in as soon as it is your turn.</p>
    </>
  );
}

function Admitted({ expiresAt, children }: { expiresAt: string; children: ReactNode }) {
  const seconds = useCountdown(expiresAt);
  return (
    <>
      <p className="countdown">
        Reserve your tickets within{' '}
        <span role="timer" aria-live="off" data-testid="admission-countdown">
          {formatClock(seconds)}
        </span>
        . After that your turn passes to the next fan in line.
      </p>
      {children}
    </>
  );
}

/** The sentence a screen reader hears for a place in line (or a change of state). */
function announcementOf(queue: Queue | null, status: Queue['status'] | undefined): string {
  switch (status) {
    case 'before-sale':
      return 'You are in the waiting room. The sale has not opened yet.';
    case 'waiting': {
      const position = queue?.position;
      const wait = queue?.estimatedWaitSeconds;
      const place = position === undefined ? 'You are in line.' : `You are number ${position} in line.`;
      return wait === undefined ? place : `${place} Estimated wait ${formatWait(wait)}.`;
    }
    case 'admitted':
      return 'It’s your turn: reserve your tickets now.';
    case 'sold-out':
      return 'Sold out.';
    case 'window-expired':
      if ((queue?.ticketsBought ?? 0) > 0) return 'You got your tickets.';
      return queue?.reserved
        ? 'Your reservation is held: pay before it runs out.'
        : 'Your time to buy ran out.';
    default:
      return '';
  }
}

/**
 * One polite live region for the place in line: a change of state is said at once, the number while
 * waiting at most every `ANNOUNCE_EVERY_MS` (the screen shows it live; the region stays mounted).
 */
function QueueAnnouncer({ queue, status }: { queue: Queue | null; status: Queue['status'] | undefined }) {
  const [said, setSaid] = useState('');
  const last = useRef({ status: undefined as Queue['status'] | undefined, at: 0, sentence: '' });
  const sentence = announcementOf(queue, status);
  useEffect(() => {
    const previous = last.current;
    const now = Date.now();
    // Only the place in line is rate-limited: a new outcome of a closed window (bought, held) is said at once.
    const outcomeChanged = status === 'window-expired' && sentence !== previous.sentence;
    if (status !== previous.status || outcomeChanged || now - previous.at >= ANNOUNCE_EVERY_MS) {
      last.current = { status, at: now, sentence };
      setSaid(sentence);
      return;
    }
    // Said soon enough: the latest number is said when the interval is up.
    const timer = setTimeout(
      () => {
        last.current = { status, at: Date.now(), sentence };
        setSaid(sentence);
      },
      ANNOUNCE_EVERY_MS - (now - previous.at),
    );
    return () => clearTimeout(timer);
  }, [sentence, status]);
  return (
    <p className="visually-hidden" role="status" aria-live="polite" data-testid="queue-announcement">
      {said}
    </p>
  );
}
