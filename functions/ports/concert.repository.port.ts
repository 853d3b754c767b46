import type { Concert, ConcertStatus } from '../core/model';

export interface NewTier {
  name: string;
  priceCents: number;
  currency: string;
  capacity: number;
  maxPerOrder: number;
}

export interface NewConcert {
  title: string;
  artist: string;
  venue: string;
  startsAt: string;
  status: ConcertStatus;
  tiers: NewTier[];
}

export interface TierChange {
  id: string;
  name?: string | undefined;
  priceCents?: number | undefined;
  capacity?: number | undefined;
  maxPerOrder?: number | undefined;
}

export interface ConcertChange {
  title?: string | undefined;
  artist?: string | undefined;
  venue?: string | undefined;
  startsAt?: string | undefined;
  status?: ConcertStatus | undefined;
  tierChanges: TierChange[];
  newTiers: NewTier[];
}

export type ConcertUpdateOutcome =
  | { kind: 'updated'; concert: Concert }
  | { kind: 'not-found' }
  | { kind: 'unknown-tier'; tierId: string }
  | { kind: 'duplicate-tier-name'; name: string }
  | { kind: 'capacity-below-booked'; tierId: string; booked: number };

export interface ConcertRepository {
  list(): Promise<Concert[]>;
  get(id: string): Promise<Concert | null>;
  /** Returns null when two tiers share a name. */
  insert(concert: NewConcert): Promise<Concert | null>;
  update(id: string, change: ConcertChange): Promise<ConcertUpdateOutcome>;
}
