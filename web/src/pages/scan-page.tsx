import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/api-client';
import type { Concert } from '../api/contract';
import { describeError } from '../api/error-messages';
import { formatDateTime } from '../components/format';
import { Loading, Notice } from '../components/status';
import { useLoad } from '../components/use-load';
import { beep } from '../scan/beep';
import { CameraScanner } from '../scan/camera-scanner';
import {
  canonicalCode,
  chooseConcert,
  chosenConcert,
  codeHash,
  deviceId,
  keepOfflineList,
  keepQueuedScans,
  keepSyncConflicts,
  type OfflineList,
  offlineList,
  type QueuedScan,
  queuedScans,
  type SyncConflict,
  syncConflicts,
} from '../scan/door-store';
import { useSession } from '../session/session';

/** The door scanner (`/scan`): door staff and organisers only. */
export function ScanPage() {
  const { user } = useSession();
  if (!user) {
    const waiting = queuedScans().length;
    return (
      <>
        <p>
          <Link to="/login?next=%2Fscan">Log in</Link> as door staff to scan tickets.
        </p>
        {waiting > 0 && (
          <p role="alert" data-testid="scan-signed-out-queue">
            {waiting} offline scan{waiting === 1 ? ' is' : 's are'} kept on this device: log in again to sync{' '}
            {waiting === 1 ? 'it' : 'them'}.
          </p>
        )}
      </>
    );
  }
  if (user.role !== 'staff' && user.role !== 'admin')
    return <p role="alert">Only door staff and organisers can scan tickets.</p>;
  return <Scanner />;
}

interface Answer {
  result: 'admitted' | 'refused';
  headline: string;
  detail: string;
  /** Decided on this device against the downloaded list (the service will hear of it on sync). */
  offline: boolean;
}

/** Whether the browser says it is online, kept current. */
function useOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    return () => {
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, []);
  return online;
}

const isNetworkFailure = (error: unknown) => error instanceof ApiError && error.code === 'NETWORK';

/**
 * The service's definite "no" about the ticket itself: 409 ALREADY_CHECKED_IN / TICKET_NOT_VALID, 404
 * TICKET_NOT_FOUND, 400 VALIDATION_FAILED. Only these let a queued scan leave the queue as a conflict;
 * anything else (a network failure, 5xx from the service or a proxy's HTML page, 429, 401 after the session
 * ended, 403) says nothing about the ticket, so the scan stays queued.
 */
function isDefiniteRefusal(error: unknown): error is ApiError {
  if (!(error instanceof ApiError)) return false;
  switch (error.status) {
    case 409:
      return error.code === 'ALREADY_CHECKED_IN' || error.code === 'TICKET_NOT_VALID';
    case 404:
      return error.code === 'TICKET_NOT_FOUND';
    case 400:
      return error.code === 'VALIDATION_FAILED';
    default:
      return false;
  }
}

/**
 * No answer about the ticket from the service (network failure, 5xx, 408, 429): an online scan falls back
 * to the downloaded list, as if offline.
 */
const isUndecided = (error: unknown) =>
  error instanceof ApiError &&
  (error.code === 'NETWORK' || error.status >= 500 || error.status === 408 || error.status === 429);

/** Pause before the first automatic retry of a sync that met no definite answer (ms); doubles each time. */
const FIRST_RETRY_MS = 1_000;
/** Longest pause between automatic sync retries (ms). */
const LONGEST_RETRY_MS = 30_000;

function Scanner() {
  const { api } = useSession();
  const online = useOnline();
  const device = useRef(deviceId()).current;
  const { data: concerts, error: concertsError } = useLoad(
    async () => (await api.listConcerts()).concerts,
    [api],
  );
  const [concertId, setConcertId] = useState<string | null>(chosenConcert);
  const concert = concerts?.find((candidate) => candidate.id === concertId);
  const [list, setList] = useState<OfflineList | null>(() => (concertId ? offlineList(concertId) : null));
  const [listError, setListError] = useState<string>();
  const [answer, setAnswer] = useState<Answer>();
  const [queue, setQueue] = useState<QueuedScan[]>(queuedScans);
  const [conflicts, setConflicts] = useState<SyncConflict[]>(syncConflicts);
  const [syncNote, setSyncNote] = useState<string>();
  const [typed, setTyped] = useState('');
  const syncing = useRef(false);
  /** The next automatic sync (after a failed one, or a scan queued while online), and its backoff (ms). */
  const retry = useRef<{ timer?: ReturnType<typeof setTimeout>; delayMs: number }>({
    delayMs: FIRST_RETRY_MS,
  });
  const syncLatest = useRef<() => Promise<void>>(async () => {});
  const scheduleSync = useCallback(() => {
    if (retry.current.timer !== undefined) return;
    const delayMs = retry.current.delayMs;
    retry.current.delayMs = Math.min(delayMs * 2, LONGEST_RETRY_MS);
    retry.current.timer = setTimeout(() => {
      retry.current.timer = undefined;
      void syncLatest.current();
    }, delayMs);
  }, []);
  useEffect(
    () => () => {
      clearTimeout(retry.current.timer);
      retry.current.timer = undefined;
    },
    [],
  );

  const tierName = useCallback(
    (tierId: string) => concert?.tiers.find((tier) => tier.id === tierId)?.name ?? 'Unknown tier',
    [concert],
  );

  const downloadList = useCallback(
    async (id: string) => {
      try {
        const fresh = await api.ticketCodes(id);
        const byHash: OfflineList['byHash'] = {};
        for (const { hash, tierId, holderInitials, checkedIn } of fresh.codes)
          byHash[hash] = { tierId, holderInitials, checkedIn };
        const kept = { concertId: id, generatedAt: fresh.generatedAt, byHash };
        keepOfflineList(kept);
        setList(kept);
        setListError(undefined);
      } catch (cause) {
        if (!isNetworkFailure(cause)) setListError(describeError(cause));
      }
    },
    [api],
  );

  useEffect(() => {
    if (!concertId) return;
    setList(offlineList(concertId));
    if (online) void downloadList(concertId);
  }, [concertId, online, downloadList]);

  const show = useCallback((next: Answer) => {
    setAnswer(next);
    beep(next.result);
  }, []);

  /** Decides at the door with the downloaded list; an admission is queued for the next sync. */
  const checkOffline = useCallback(
    async (code: string) => {
      const hash = await codeHash(code);
      const current = concertId ? offlineList(concertId) : null;
      if (!hash || !current || !concertId) {
        show({
          result: 'refused',
          headline: 'Cannot check offline',
          detail: hash
            ? 'No ticket list was downloaded for this concert: connect once to download it.'
            : 'This browser cannot check codes offline (no Web Crypto): connect to the network.',
          offline: true,
        });
        return;
      }
      const listed = current.byHash[hash];
      const pending = queuedScans();
      if (!listed) {
        show({
          result: 'refused',
          headline: 'Unknown ticket',
          detail: `${code} is not on the list`,
          offline: true,
        });
        return;
      }
      if (listed.checkedIn || pending.some((scan) => scan.hash === hash)) {
        show({
          result: 'refused',
          headline: 'Already checked in',
          detail: `${code} was let in before (${listed.holderInitials})`,
          offline: true,
        });
        return;
      }
      const next = [...pending, { code, hash, concertId, scannedAt: new Date().toISOString() }];
      keepQueuedScans(next);
      setQueue(next);
      // Queued while the browser is online (the service gave no answer): try to send it soon.
      if (navigator.onLine) scheduleSync();
      show({
        result: 'admitted',
        headline: 'Admitted',
        detail: `${tierName(listed.tierId)} · ${listed.holderInitials} · offline: will sync`,
        offline: true,
      });
    },
    [concertId, show, tierName, scheduleSync],
  );

  const handleCode = useCallback(
    async (raw: string) => {
      const code = canonicalCode(raw);
      if (!code) return;
      if (!navigator.onLine) return checkOffline(code);
      try {
        const admitted = await api.checkIn({
          code,
          deviceId: device,
          ...(concertId ? { concertId } : {}),
          scannedAt: new Date().toISOString(),
        });
        show({
          result: 'admitted',
          headline: 'Admitted',
          detail: `${tierName(admitted.ticket.tierId)} · ${admitted.ticket.holderName}`,
          offline: false,
        });
      } catch (cause) {
        // No answer about the ticket (network, 5xx, a proxy's error page, 429): decide with the list.
        if (isUndecided(cause)) return checkOffline(code);
        const details =
          cause instanceof ApiError ? (cause.details as { at?: string } | undefined) : undefined;
        show({
          result: 'refused',
          headline:
            cause instanceof ApiError && cause.code === 'ALREADY_CHECKED_IN'
              ? 'Already checked in'
              : 'Not admitted',
          detail:
            cause instanceof ApiError && cause.code === 'ALREADY_CHECKED_IN' && details?.at
              ? `${code} was let in at ${formatDateTime(details.at)}`
              : `${code}: ${describeError(cause)}`,
          offline: false,
        });
      }
    },
    [api, device, concertId, show, tierName, checkOffline],
  );

  /**
   * Sends the queued offline scans, oldest first, each with its own time. A definite refusal
   * (isDefiniteRefusal) leaves the queue as a conflict; any other failure stops the sync with the scan and
   * the rest still queued, and a retry follows after FIRST_RETRY_MS, doubling up to LONGEST_RETRY_MS (a 401
   * ends the session instead: the queue waits for the staff member to log in again).
   */
  const sync = useCallback(async () => {
    if (syncing.current) return;
    syncing.current = true;
    clearTimeout(retry.current.timer);
    retry.current.timer = undefined;
    let sent = 0;
    const found: SyncConflict[] = [];
    let stoppedBy: unknown;
    try {
      for (const scan of queuedScans()) {
        try {
          await api.checkIn({
            code: scan.code,
            deviceId: device,
            concertId: scan.concertId,
            scannedAt: scan.scannedAt,
          });
          sent++;
        } catch (cause) {
          if (!isDefiniteRefusal(cause)) {
            stoppedBy = cause;
            break;
          }
          const details = cause.details as Record<string, unknown> | undefined;
          found.push({
            code: scan.code,
            scannedAt: scan.scannedAt,
            reason: cause.code,
            ...(typeof details?.at === 'string' ? { at: details.at } : {}),
            ...(typeof details?.deviceId === 'string' ? { byDevice: details.deviceId } : {}),
          });
        }
        const rest = queuedScans().filter((queued) => queued.hash !== scan.hash);
        keepQueuedScans(rest);
        setQueue(rest);
      }
    } finally {
      syncing.current = false;
    }
    if (found.length > 0) {
      const all = [...found, ...syncConflicts()];
      keepSyncConflicts(all);
      setConflicts(all);
    }
    const done =
      sent + found.length > 0
        ? `Synced ${sent} offline scan${sent === 1 ? '' : 's'}${found.length ? `; ${found.length} conflict${found.length === 1 ? '' : 's'}` : ''}. `
        : '';
    if (stoppedBy !== undefined) {
      const left = queuedScans().length;
      const kept = `${left} scan${left === 1 ? '' : 's'} kept on this device`;
      if (stoppedBy instanceof ApiError && stoppedBy.status === 401) {
        // The client has ended the session; the signed-out page says the queue is kept.
        setSyncNote(`${done}Log in again to sync: ${kept}.`);
      } else if (queuedScans().length > 0) {
        const waitMs = retry.current.delayMs;
        scheduleSync();
        setSyncNote(
          `${done}Not synced yet (${describeError(stoppedBy)}): ${kept}, trying again in ${Math.round(waitMs / 1000)} s.`,
        );
      }
      return;
    }
    retry.current.delayMs = FIRST_RETRY_MS;
    if (done) setSyncNote(done.trim());
    if (concertId) void downloadList(concertId);
  }, [api, device, concertId, downloadList, scheduleSync]);
  syncLatest.current = sync;

  useEffect(() => {
    if (online && queuedScans().length > 0) void sync();
  }, [online, sync]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const code = typed;
    setTyped('');
    void handleCode(code);
  };

  const listed = list ? Object.keys(list.byHash).length : 0;
  return (
    <div className="scan">
      <h1>Door scanner</h1>
      <p className="muted">
        <span data-testid="scan-network">
          {online ? 'Online' : 'Offline: checking against the downloaded list'}
        </span>
        {' · '}This device: <code data-testid="scan-device">{device.slice(0, 8)}</code>
      </p>
      <Notice kind="error">{concertsError}</Notice>
      {!concerts && !concertsError && <Loading what="concerts" />}
      {concerts && (
        <label className="field">
          Concert
          <select
            value={concertId ?? ''}
            onChange={(event) => {
              const id = event.target.value;
              chooseConcert(id);
              setConcertId(id);
            }}
          >
            <option value="" disabled>
              Choose the concert at this door
            </option>
            {/* A cancelled concert has nobody to let in (every ticket of it is TICKET_NOT_VALID). */}
            {concerts
              .filter((candidate) => candidate.status !== 'cancelled' || candidate.id === concertId)
              .map((candidate: Concert) => (
                <option key={candidate.id} value={candidate.id}>
                  {candidate.title} — {formatDateTime(candidate.startsAt)}
                </option>
              ))}
          </select>
        </label>
      )}
      {concertId && (
        <p className="muted" data-testid="scan-list">
          {list
            ? `Offline list: ${listed} ticket${listed === 1 ? '' : 's'}, from ${formatDateTime(list.generatedAt)}`
            : 'No offline list yet'}
        </p>
      )}
      <Notice kind="error">{listError}</Notice>
      <div
        className={`scan-answer scan-${answer?.result ?? 'waiting'}`}
        role="status"
        aria-live="assertive"
        data-testid="scan-answer"
        data-result={answer?.result ?? 'waiting'}
      >
        <p className="scan-headline">{answer ? answer.headline : 'Ready to scan'}</p>
        {answer && <p className="scan-detail">{answer.detail}</p>}
        {answer?.offline && <p className="scan-detail">Checked on this device against the downloaded list</p>}
      </div>
      <CameraScanner onCode={(code) => void handleCode(code)} />
      <form className="scan-manual" onSubmit={submit}>
        <label className="field">
          Ticket code
          <input
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            placeholder="XXXX-XXXX-XXXX-XXXX"
          />
        </label>
        <button type="submit" disabled={!typed.trim()}>
          Check in
        </button>
      </form>
      <section className="panel" aria-labelledby="scan-sync-heading">
        <h2 id="scan-sync-heading">Offline scans</h2>
        <p data-testid="scan-queue">
          {queue.length === 0 ? 'None waiting to sync.' : `${queue.length} waiting to sync.`}
        </p>
        <button type="button" onClick={() => void sync()} disabled={!online || queue.length === 0}>
          Sync now
        </button>
        <Notice kind="info">{syncNote}</Notice>
        {conflicts.length > 0 && (
          <>
            <h3>Conflicts</h3>
            <ul className="scan-conflicts">
              {conflicts.map((conflict) => (
                <li key={`${conflict.code}-${conflict.scannedAt}`} data-testid="scan-conflict">
                  <code>{conflict.code}</code>{' '}
                  {conflict.reason === 'ALREADY_CHECKED_IN'
                    ? `was let in here at ${formatDateTime(conflict.scannedAt)}, but device ${conflict.byDevice?.slice(0, 8) ?? '?'} had let it in at ${conflict.at ? formatDateTime(conflict.at) : '?'}`
                    : `scanned at ${formatDateTime(conflict.scannedAt)} was refused: ${conflict.reason}`}
                </li>
              ))}
            </ul>
            <button
              type="button"
              className="link-button"
              onClick={() => {
                keepSyncConflicts([]);
                setConflicts([]);
              }}
            >
              Clear conflicts
            </button>
          </>
        )}
      </section>
    </div>
  );
}
