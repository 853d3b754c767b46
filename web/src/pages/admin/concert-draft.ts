import type { Concert, ConcertStatus, CreateConcertRequest, UpdateConcertRequest } from '../../api/contract';

/** The organiser's concert form as typed (strings, as the inputs hold them) and the API bodies made from it. */

/** One tier's inputs as typed (price in currency units, e.g. "12.50"; capacity and per-order limit as digits). */
export interface TierDraft {
  id?: string;
  name: string;
  price: string;
  currency: string;
  capacity: string;
  maxPerOrder: string;
}

/** The whole form as typed; `startsAt`/`onSaleAt` are datetime-local values (local time, minutes). */
export interface Draft {
  title: string;
  artist: string;
  venue: string;
  startsAt: string;
  status: ConcertStatus;
  tiers: TierDraft[];
  /** When the sale opens (datetime-local; empty for none). */
  onSaleAt: string;
  /** The waiting room: on or off, `auto` or a fixed rate (fans a minute), the admission window (s; empty for the default). */
  waitingRoom: boolean;
  rateMode: 'auto' | 'fixed';
  rate: string;
  windowSeconds: string;
}

const pad = (value: number) => String(value).padStart(2, '0');
/** An ISO instant as the local `YYYY-MM-DDTHH:mm` a datetime-local input shows. */
export const toLocalInput = (iso: string) => {
  const date = new Date(iso);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
};

/**
 * The instant a datetime-local input stands for: the concert's own instant when the organiser left the
 * field as it was shown (`shownFrom`), else the local time typed. A datetime-local value has no seconds
 * and no UTC offset, so turning an untouched field back into an instant would drop the seconds and, in
 * the hour a DST change repeats (e.g. 02:30 on the last Sunday of October in Europe/Berlin), pick the
 * wrong one of the two: an unrelated edit would move the time (found by an outside tester).
 */
export const instantOf = (input: string, shownFrom?: string | null) =>
  shownFrom && input === toLocalInput(shownFrom) ? shownFrom : new Date(input).toISOString();

/** The inputs of one tier, in order; the browser checks these bounds before the API does. */
export const TIER_FIELDS: Array<{ key: Exclude<keyof TierDraft, 'id'> } & Record<string, string>> = [
  { key: 'name', label: 'Name', maxLength: '100' },
  { key: 'price', label: 'Price', type: 'number', min: '0', step: '0.01' },
  { key: 'currency', label: 'Currency', pattern: '[A-Za-z]{3}', maxLength: '3' },
  { key: 'capacity', label: 'Capacity', type: 'number', min: '0', step: '1' },
  { key: 'maxPerOrder', label: 'Most per order', type: 'number', min: '1', max: '100', step: '1' },
];

export const emptyTier = (): TierDraft => ({
  name: '',
  price: '',
  currency: 'USD',
  capacity: '',
  maxPerOrder: '10',
});

/** The waiting-room part of a draft, from what the concert says (off, automatic, when it says nothing). */
function queueDraftOf(concert?: Concert) {
  const onSaleAt = concert?.onSaleAt;
  const waitingRoom = concert?.waitingRoom;
  const rate = waitingRoom?.admissionPerMinute;
  return {
    onSaleAt: onSaleAt ? toLocalInput(onSaleAt) : '',
    waitingRoom: Boolean(waitingRoom?.enabled),
    rateMode: typeof rate === 'number' ? ('fixed' as const) : ('auto' as const),
    rate: typeof rate === 'number' ? String(rate) : '',
    windowSeconds:
      waitingRoom?.admissionWindowSeconds === undefined ? '' : String(waitingRoom.admissionWindowSeconds),
  };
}

export function draftOf(concert?: Concert): Draft {
  if (!concert) {
    return {
      title: '',
      artist: '',
      venue: '',
      startsAt: '',
      status: 'on-sale',
      tiers: [emptyTier()],
      ...queueDraftOf(),
    };
  }
  return {
    ...queueDraftOf(concert),
    title: concert.title,
    artist: concert.artist,
    venue: concert.venue,
    startsAt: toLocalInput(concert.startsAt),
    status: concert.status,
    tiers: concert.tiers.map((tier) => ({
      id: tier.id,
      name: tier.name,
      price: (tier.priceCents / 100).toFixed(2),
      currency: tier.currency,
      capacity: String(tier.capacity),
      maxPerOrder: String(tier.maxPerOrder),
    })),
  };
}

const tierNumbers = (tier: TierDraft) => ({
  name: tier.name,
  priceCents: Math.round(Number(tier.price) * 100),
  capacity: Number(tier.capacity),
  maxPerOrder: Number(tier.maxPerOrder),
});

/** The body the API takes, from what the organiser typed (prices in currency units become cents). */
function fieldsOf(draft: Draft, concert?: Concert) {
  return {
    title: draft.title,
    artist: draft.artist,
    venue: draft.venue,
    startsAt: instantOf(draft.startsAt, concert?.startsAt),
    status: draft.status,
  };
}

/** The waiting room as the draft sets it (the window left to the service's default when empty); none when off. */
function settingsOf(draft: Draft): CreateConcertRequest['waitingRoom'] {
  if (!draft.waitingRoom) return undefined;
  const window = draft.windowSeconds.trim();
  return {
    enabled: true,
    admissionPerMinute: draft.rateMode === 'auto' ? 'auto' : Number(draft.rate),
    ...(window ? { admissionWindowSeconds: Number(window) } : {}),
  };
}

export const createRequestOf = (draft: Draft): CreateConcertRequest => {
  const waitingRoom = settingsOf(draft);
  return {
    ...fieldsOf(draft),
    ...(draft.onSaleAt ? { onSaleAt: new Date(draft.onSaleAt).toISOString() } : {}),
    ...(waitingRoom ? { waitingRoom } : {}),
    tiers: draft.tiers.map((tier) => ({ ...tierNumbers(tier), currency: tier.currency.toUpperCase() })),
  };
};

/**
 * The waiting-room fields of a change: the on-sale time (null clears the one the concert had) and the
 * settings, or only `enabled: false` when the organiser turned the room off.
 */
function queueChangeOf(
  draft: Draft,
  concert: Concert,
): Pick<UpdateConcertRequest, 'onSaleAt' | 'waitingRoom'> {
  const change: Pick<UpdateConcertRequest, 'onSaleAt' | 'waitingRoom'> = {};
  // An untouched on-sale time is not sent: once the sale opened with fans in line the service refuses
  // any move of it (QUEUE_ALREADY_OPEN), and a title fix must not be refused for it.
  if (draft.onSaleAt) {
    const onSaleAt = instantOf(draft.onSaleAt, concert.onSaleAt);
    if (onSaleAt !== concert.onSaleAt) change.onSaleAt = onSaleAt;
  } else if (concert.onSaleAt) change.onSaleAt = null;
  const waitingRoom = settingsOf(draft);
  if (waitingRoom) change.waitingRoom = waitingRoom;
  else if (concert.waitingRoom?.enabled) change.waitingRoom = { enabled: false };
  return change;
}

/** Existing tiers go by id (their currency is fixed); new ones in full. */
export const updateRequestOf = (draft: Draft, concert: Concert): UpdateConcertRequest => ({
  ...fieldsOf(draft, concert),
  ...queueChangeOf(draft, concert),
  tiers: draft.tiers.map((tier) =>
    tier.id
      ? { id: tier.id, ...tierNumbers(tier) }
      : { ...tierNumbers(tier), currency: tier.currency.toUpperCase() },
  ),
});
