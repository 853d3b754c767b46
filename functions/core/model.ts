export type Role = 'customer' | 'admin';

/** The caller as proven by a verified token. */
export interface Principal {
  userId: string;
  role: Role;
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export type ConcertStatus = 'on-sale' | 'paused' | 'cancelled';

export interface TicketTier {
  id: string;
  name: string;
  priceCents: number;
  currency: string;
  capacity: number;
  /** Free right now: overdue holds already count as free, swept or not. */
  available: number;
  maxPerOrder: number;
  version: number;
}

export interface Concert {
  id: string;
  title: string;
  artist: string;
  venue: string;
  startsAt: string;
  status: ConcertStatus;
  availableTickets: number;
  totalBooked: number;
  tiers: TicketTier[];
  /** Grows with every change to any of its tiers (sum of tier versions). */
  version: number;
  /** When the sale opens (ISO time); absent when the organiser set none. */
  onSaleAt?: string;
  /** The waiting room's settings; absent until the organiser first sets them. */
  waitingRoom?: WaitingRoomSettings;
}

/**
 * A concert's waiting room (../shared/API.md, "Waiting room"). With `enabled`, reservations need an
 * admission. `admissionPerMinute`: fans admitted per minute, or `auto` (derived from what is left to
 * sell, see functions/core/waiting-room.ts); `admissionWindowSeconds`: how long an admitted fan may
 * reserve (s, default 600); `paused`: nobody is admitted until it is false again.
 */
export interface WaitingRoomSettings {
  enabled: boolean;
  admissionPerMinute: number | 'auto';
  admissionWindowSeconds: number;
  paused: boolean;
}

export type ReservationStatus = 'held' | 'confirmed' | 'expired' | 'cancelled';

export interface Reservation {
  id: string;
  userId: string;
  status: ReservationStatus;
  concertId: string;
  tierId: string;
  quantity: number;
  totalCents: number;
  currency: string;
  expiresAt: string;
  createdAt: string;
}

export interface Ticket {
  id: string;
  code: string;
  tierId: string;
  concertId: string;
  reservationId: string;
  createdAt: string;
}
