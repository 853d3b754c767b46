import { type FormEvent, useState } from 'react';
import { ApiError } from '../../api/api-client';
import type { Concert, ConcertStatus, CreateConcertRequest, UpdateConcertRequest } from '../../api/contract';
import { Notice } from '../../components/status';
import { useAction } from '../../components/use-action';
import {
  createRequestOf,
  type Draft,
  draftOf,
  emptyTier,
  TIER_FIELDS,
  type TierDraft,
  updateRequestOf,
} from './concert-draft';

const fieldOf = (details: unknown, key: string): unknown =>
  details && typeof details === 'object' ? (details as Record<string, unknown>)[key] : undefined;

/**
 * A refusal of the concert's tiers in words that name the tier and the bound (the service's `details`:
 * CAPACITY_BELOW_BOOKED `{tierId, booked}`; VALIDATION_FAILED `{name}` for a duplicate name, `{max, total}`
 * for too many tiers, `{tierId}` for a tier of another concert). Undefined for anything else.
 */
function describeTierRefusal(cause: unknown, draft: Draft): string | undefined {
  if (!(cause instanceof ApiError)) return undefined;
  const tierId = fieldOf(cause.details, 'tierId');
  const tier = draft.tiers.find((candidate) => candidate.id !== undefined && candidate.id === tierId);
  if (cause.code === 'CAPACITY_BELOW_BOOKED') {
    const booked = fieldOf(cause.details, 'booked');
    if (typeof booked !== 'number') return undefined;
    const which = tier ? `Tier “${tier.name}”` : 'A tier';
    const tickets = booked === 1 ? '1 ticket is' : `${booked} tickets are`;
    return `${which} cannot have fewer than ${booked} places: ${tickets} already sold or held.`;
  }
  if (cause.code !== 'VALIDATION_FAILED') return undefined;
  const name = fieldOf(cause.details, 'name');
  if (typeof name === 'string') return `Two tiers are named “${name}”: give each tier its own name.`;
  const max = fieldOf(cause.details, 'max');
  const total = fieldOf(cause.details, 'total');
  if (typeof max === 'number' && typeof total === 'number') {
    return `A concert has at most ${max} tiers; this would make ${total}. Remove ${total - max}.`;
  }
  if (typeof tierId === 'string')
    return 'One of the tiers no longer belongs to this concert. Reload the page.';
  return undefined;
}

type Props =
  | {
      concert?: undefined;
      submitLabel: string;
      onCreate(request: CreateConcertRequest): Promise<Concert>;
    }
  | {
      concert: Concert;
      submitLabel: string;
      onUpdate(request: UpdateConcertRequest): Promise<Concert>;
    };

/** Create or edit a concert and its tiers. Tiers can be added, never removed (tickets may exist). */
export function ConcertForm(props: Props) {
  const { concert, submitLabel } = props;
  const [draft, setDraft] = useState<Draft>(() => draftOf(concert));
  const { busy, error, run } = useAction();
  const [done, setDone] = useState<string>();
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));
  const setTier = (index: number, key: keyof TierDraft, value: string) =>
    setDraft((current) => ({
      ...current,
      tiers: current.tiers.map((tier, at) => (at === index ? { ...tier, [key]: value } : tier)),
    }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(undefined);
    if (props.concert) {
      const saved = await run(
        () => props.onUpdate(updateRequestOf(draft, props.concert)),
        (cause) => describeTierRefusal(cause, draft),
      );
      if (!saved) return;
      // New tiers have ids now: the next save must change them, not add them again.
      setDraft(draftOf(saved));
      setDone(`Saved “${saved.title}”.`);
    } else {
      const created = await run(
        () => props.onCreate(createRequestOf(draft)),
        (cause) => describeTierRefusal(cause, draft),
      );
      if (!created) return;
      setDraft(draftOf());
      setDone(`Created “${created.title}”. It is on the concert list now.`);
    }
  }

  const prefix = concert ? `edit-${concert.id}` : 'new';
  return (
    <form className="panel concert-form" onSubmit={submit} aria-label={submitLabel}>
      <div className="grid">
        {(['title', 'artist', 'venue'] as const).map((field) => (
          <div key={field}>
            <label htmlFor={`${prefix}-${field}`}>{field[0]?.toUpperCase() + field.slice(1)}</label>
            <input
              id={`${prefix}-${field}`}
              required
              maxLength={200}
              value={draft[field]}
              onChange={(e) => set(field, e.target.value)}
            />
          </div>
        ))}
        <div>
          <label htmlFor={`${prefix}-starts`}>Starts at</label>
          <input
            id={`${prefix}-starts`}
            type="datetime-local"
            required
            value={draft.startsAt}
            onChange={(e) => set('startsAt', e.target.value)}
          />
        </div>
        <div>
          <label htmlFor={`${prefix}-status`}>Sale status</label>
          <select
            id={`${prefix}-status`}
            value={draft.status}
            onChange={(e) => set('status', e.target.value as ConcertStatus)}
          >
            <option value="on-sale">On sale</option>
            <option value="paused">Paused</option>
            <option value="cancelled">Cancelled</option>
          </select>
        </div>
      </div>
      <fieldset className="grid queue-fields">
        <legend>On-sale time and waiting room</legend>
        <div>
          <label htmlFor={`${prefix}-on-sale`}>
            Sale opens at <span className="muted">(optional)</span>
          </label>
          <input
            id={`${prefix}-on-sale`}
            type="datetime-local"
            aria-describedby={`${prefix}-on-sale-hint`}
            value={draft.onSaleAt}
            onChange={(e) => set('onSaleAt', e.target.value)}
          />
          <p id={`${prefix}-on-sale-hint`} className="muted hint">
            Fans who open the concert before this time wait in the room; at this time they are put in line in
            a random order. Without it, a waiting room lines fans up as they arrive.
          </p>
        </div>
        <div>
          <label className="choice" htmlFor={`${prefix}-waiting-room`}>
            <input
              id={`${prefix}-waiting-room`}
              type="checkbox"
              checked={draft.waitingRoom}
              onChange={(e) => set('waitingRoom', e.target.checked)}
            />{' '}
            Sell through a waiting room
          </label>
          {draft.waitingRoom && (
            <>
              <fieldset>
                <legend>Admission rate</legend>
                <label className="choice">
                  <input
                    type="radio"
                    name={`${prefix}-rate-mode`}
                    checked={draft.rateMode === 'auto'}
                    onChange={() => set('rateMode', 'auto')}
                  />{' '}
                  Automatic (from what is left to sell)
                </label>
                <label className="choice">
                  <input
                    type="radio"
                    name={`${prefix}-rate-mode`}
                    checked={draft.rateMode === 'fixed'}
                    onChange={() => set('rateMode', 'fixed')}
                  />{' '}
                  Fixed
                </label>
                {draft.rateMode === 'fixed' && (
                  <>
                    <label htmlFor={`${prefix}-rate`}>Fans let in a minute</label>
                    <input
                      id={`${prefix}-rate`}
                      type="number"
                      required
                      min={1}
                      step={1}
                      value={draft.rate}
                      onChange={(e) => set('rate', e.target.value)}
                    />
                  </>
                )}
              </fieldset>
              <label htmlFor={`${prefix}-window`}>
                Time to buy once let in, in seconds <span className="muted">(optional)</span>
              </label>
              <input
                id={`${prefix}-window`}
                type="number"
                min={30}
                step={1}
                value={draft.windowSeconds}
                onChange={(e) => set('windowSeconds', e.target.value)}
              />
            </>
          )}
        </div>
      </fieldset>
      {draft.tiers.map((tier, index) => (
        <fieldset key={tier.id ?? `new-${index}`} className="grid tier-fields">
          <legend>Tier {index + 1}</legend>
          {TIER_FIELDS.map(({ key, label, ...attributes }) => (
            <div key={key}>
              <label htmlFor={`${prefix}-tier-${index}-${key}`}>{label}</label>
              <input
                id={`${prefix}-tier-${index}-${key}`}
                required
                {...attributes}
                // A tier's currency is fixed once it exists (its sales are in it).
                disabled={key === 'currency' && Boolean(tier.id)}
                value={tier[key]}
                onChange={(e) => setTier(index, key, e.target.value)}
              />
            </div>
          ))}
          {!tier.id && draft.tiers.length > 1 && (
            <button
              type="button"
              className="secondary"
              onClick={() =>
                set(
                  'tiers',
                  draft.tiers.filter((_, at) => at !== index),
                )
              }
            >
              Remove tier {index + 1}
            </button>
          )}
        </fieldset>
      ))}
      <div className="actions">
        <button
          type="button"
          className="secondary"
          onClick={() => set('tiers', [...draft.tiers, emptyTier()])}
        >
          Add a tier
        </button>
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
      </div>
      <Notice kind="error">{error}</Notice>
      <Notice kind="success">{done}</Notice>
    </form>
  );
}
