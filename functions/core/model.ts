/** `staff` checks tickets in at the door (issue 21) and nothing else an admin may do. */
export type Role = 'customer' | 'staff' | 'admin';

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
