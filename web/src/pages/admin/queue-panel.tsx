import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../../api/api-client';
import type { AdminQueue, AdminQueueChange, Concert } from '../../api/contract';
import { formatWait } from '../../components/format';
import { Notice } from '../../components/status';
import { useAction } from '../../components/use-action';
import { useSession } from '../../session/session';

/** How often (ms) the console reads a waiting room's figures while it is open. */
export const QUEUE_PANEL_READ_MS = 2_000;

/**
 * A waiting room's figures (`GET /api/admin/concerts/{id}/queue`), read every `QUEUE_PANEL_READ_MS`, one
 * request at a time. `set` replaces them with a `PATCH` answer (which is newer than any read in flight: a
 * read sent before it is dropped).
 */
function useAdminQueue(api: ApiClient, concertId: string) {
  const [figures, setFigures] = useState<AdminQueue | null>(null);
  const [error, setError] = useState<string>();
  const state = useRef({ busy: false, changedAt: 0 });
  useEffect(() => {
    let mounted = true;
    const current = state.current;
    const read = () => {
      if (current.busy) return;
      current.busy = true;
      const sentAt = Date.now();
      api
        .adminQueue(concertId)
        .then(
          (answer) => {
            if (!mounted || current.changedAt > sentAt) return;
            setFigures(answer);
            setError(undefined);
          },
          () => mounted && setError('The waiting room’s figures could not be read; trying again.'),
        )
        .finally(() => {
          current.busy = false;
        });
    };
    read();
    const timer = setInterval(read, QUEUE_PANEL_READ_MS);
    return () => {
      mounted = false;
      clearInterval(timer);
    };
  }, [api, concertId]);
  const set = useCallback((answer: AdminQueue) => {
    state.current.changedAt = Date.now();
    setFigures(answer);
  }, []);
  return { figures, error, set };
}

/** "120 a minute", "automatic", or "automatic (now 90 a minute)". */
function rateText({ admissionPerMinute, currentRatePerMinute }: AdminQueue): string {
  if (admissionPerMinute !== 'auto') return `${admissionPerMinute} a minute`;
  return currentRatePerMinute ? `automatic (now ${Math.round(currentRatePerMinute)} a minute)` : 'automatic';
}

/** The expected time to sell out in words. */
function sellOutText(seconds: AdminQueue['estimatedSellOutSeconds']): string {
  if (typeof seconds !== 'number') return 'not known yet';
  return seconds === 0 ? 'sold out' : formatWait(seconds);
}

/**
 * The live panel of one concert's waiting room in the organiser console: waiting, admitted, admission rate,
 * sold and the expected time to sell out, with pause / resume and a new rate
 * (`PATCH /api/admin/concerts/{id}/queue`).
 */
export function QueuePanel({ concert }: { concert: Concert }) {
  const { api } = useSession();
  const { figures, error, set } = useAdminQueue(api, concert.id);
  const { busy, error: refused, run } = useAction();
  const [done, setDone] = useState<string>();
  const [mode, setMode] = useState<'auto' | 'fixed'>();
  // What the organiser typed, as typed (undefined until they type: the configured rate shows).
  const [typed, setTyped] = useState<string>();
  const [invalid, setInvalid] = useState<string>();
  const headingId = `queue-heading-${concert.id}`;
  const prefix = `queue-${concert.id}`;
  // The rate form starts from the configured rate, once known.
  const shownMode = mode ?? (figures?.admissionPerMinute === 'auto' ? 'auto' : 'fixed');
  const shownTyped =
    typed ?? (typeof figures?.admissionPerMinute === 'number' ? String(figures.admissionPerMinute) : '');

  async function change(request: AdminQueueChange, said: string) {
    setDone(undefined);
    const answer = await run(() => api.changeAdminQueue(concert.id, request));
    if (!answer) return;
    set(answer);
    setDone(said);
  }

  async function setRate(event: FormEvent) {
    event.preventDefault();
    if (shownMode === 'auto')
      return change({ admissionPerMinute: 'auto' }, 'Admission rate set to automatic.');
    const rate = Number(shownTyped.trim());
    if (!/^\d+$/.test(shownTyped.trim()) || rate < 1) {
      setInvalid('Enter how many fans a minute to let in: a whole number from 1.');
      return;
    }
    setInvalid(undefined);
    return change({ admissionPerMinute: rate }, `Admission rate set to ${rate} a minute.`);
  }

  return (
    <section
      className="panel queue-panel"
      aria-labelledby={headingId}
      data-testid="queue-panel"
      data-concert-id={concert.id}
    >
      <div className="heading-row">
        <h3 id={headingId}>Waiting room: {concert.title}</h3>
        {figures && (
          <span className={`badge ${figures.paused ? '' : 'badge-live'}`} data-testid="queue-state">
            {figures.paused ? 'Paused' : 'Admitting'}
          </span>
        )}
      </div>
      <Notice kind="error">{error}</Notice>
      {!figures && !error && <p className="muted">Loading the waiting room…</p>}
      {figures && (
        <dl className="queue-figures">
          <div>
            <dt>Waiting</dt>
            <dd data-testid="queue-waiting">{figures.waiting}</dd>
          </div>
          <div>
            <dt>Admitted</dt>
            <dd data-testid="queue-admitted">{figures.admitted}</dd>
          </div>
          <div>
            <dt>Admission rate</dt>
            <dd data-testid="queue-rate">{rateText(figures)}</dd>
          </div>
          <div>
            <dt>Sold</dt>
            <dd data-testid="queue-sold">{figures.sold}</dd>
          </div>
          <div>
            <dt>Expected to sell out in</dt>
            <dd data-testid="queue-sell-out">{sellOutText(figures.estimatedSellOutSeconds)}</dd>
          </div>
        </dl>
      )}
      <button
        type="button"
        className="secondary"
        disabled={busy || !figures}
        onClick={() =>
          figures &&
          change(
            { paused: !figures.paused },
            figures.paused ? 'Admission resumed.' : 'Admission paused: nobody is let in until you resume.',
          )
        }
      >
        {figures?.paused ? 'Resume admission' : 'Pause admission'}
        <span className="visually-hidden"> for {concert.title}</span>
      </button>
      <form
        className="inline-form"
        onSubmit={setRate}
        aria-label={`Admission rate for ${concert.title}`}
        noValidate
      >
        <fieldset>
          <legend>Admission rate</legend>
          <label className="choice">
            <input
              type="radio"
              name={`${prefix}-mode`}
              checked={shownMode === 'auto'}
              onChange={() => setMode('auto')}
            />{' '}
            Automatic (from what is left to sell)
          </label>
          <label className="choice">
            <input
              type="radio"
              name={`${prefix}-mode`}
              checked={shownMode === 'fixed'}
              onChange={() => setMode('fixed')}
            />{' '}
            Fixed
          </label>
          <label htmlFor={`${prefix}-rate`}>Fans a minute</label>
          <input
            id={`${prefix}-rate`}
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            disabled={shownMode === 'auto'}
            aria-invalid={invalid ? true : undefined}
            aria-describedby={invalid ? `${prefix}-rate-problem` : undefined}
            value={shownTyped}
            onChange={(event) => {
              setTyped(event.target.value);
              setInvalid(undefined);
            }}
          />
        </fieldset>
        <button type="submit" disabled={busy || !figures}>
          Set rate
        </button>
      </form>
      <div id={`${prefix}-rate-problem`}>
        <Notice kind="error">{invalid ?? refused}</Notice>
      </div>
      <Notice kind="success">{done}</Notice>
    </section>
  );
}

/** The console's section of live waiting rooms: one panel per concert sold through one (not cancelled). */
export function WaitingRooms({ concerts }: { concerts: Concert[] | null }) {
  const queued = (concerts ?? []).filter(
    (concert) => concert.status !== 'cancelled' && concert.waitingRoom?.enabled,
  );
  if (queued.length === 0) return null;
  return (
    <section aria-labelledby="waiting-rooms-heading">
      <h2 id="waiting-rooms-heading">Waiting rooms</h2>
      {queued.map((concert) => (
        <QueuePanel key={concert.id} concert={concert} />
      ))}
    </section>
  );
}
