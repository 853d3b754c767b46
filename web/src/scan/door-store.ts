/**
 * What a scanner keeps in the browser (localStorage) so the door goes on when the network does not: its
 * device id, the downloaded list of the concert's hashed ticket codes, the scans made offline waiting to be
 * synced, and the conflicts a sync found. Nothing here holds a raw code the device did not scan itself.
 */

const PREFIX = 'concert-tickets.scan.';

function read<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    return raw === null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

function write(key: string, value: unknown): void {
  localStorage.setItem(PREFIX + key, JSON.stringify(value));
}

/** This browser's device id, made once and kept: a repeat scan from it is answered the same. */
export function deviceId(): string {
  const kept = read<string | null>('device', null);
  if (kept) return kept;
  const made =
    typeof crypto.randomUUID === 'function'
      ? crypto.randomUUID()
      : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(
          '',
        );
  write('device', made);
  return made;
}

/** The concert this scanner checks tickets for (kept across reloads). */
export const chosenConcert = () => read<string | null>('concert', null);
export const chooseConcert = (concertId: string) => write('concert', concertId);

// Crockford's base32, as functions/core/check-ins.service canonicalTicketCode: the same code the server hashes.
const LOOKALIKES: Record<string, string> = { O: '0', I: '1', L: '1' };

/** A code as scanned or typed, in the printed form XXXX-XXXX-XXXX-XXXX (case, spaces, O/I/L forgiven). */
export function canonicalCode(input: string): string {
  const compact = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[OIL]/g, (c) => LOOKALIKES[c] ?? c);
  if (!/^[0-9A-HJKMNP-TV-Z]{16}$/.test(compact)) return input.trim().toUpperCase();
  return `${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8, 12)}-${compact.slice(12, 16)}`;
}

/**
 * SHA-256 of the canonical code, lower-case hex, as the server's list carries it; null where the browser
 * offers no Web Crypto (a page served over plain HTTP from another host than localhost).
 */
export async function codeHash(code: string): Promise<string | null> {
  if (!globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalCode(code)));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** One entry of the offline list. */
export interface ListedTicket {
  tierId: string;
  holderInitials: string;
  checkedIn: boolean;
}

/** The concert's hashed codes as last downloaded. */
export interface OfflineList {
  concertId: string;
  generatedAt: string;
  byHash: Record<string, ListedTicket>;
}

export const offlineList = (concertId: string) => read<OfflineList | null>(`list.${concertId}`, null);
export const keepOfflineList = (list: OfflineList) => write(`list.${list.concertId}`, list);

/** A scan admitted offline, waiting to be sent with its own time. */
export interface QueuedScan {
  code: string;
  hash: string;
  concertId: string;
  scannedAt: string;
}

export const queuedScans = () => read<QueuedScan[]>('queue', []);
export const keepQueuedScans = (scans: QueuedScan[]) => write('queue', scans);

/** A queued scan the service refused when it was synced: most often a ticket another device let in first. */
export interface SyncConflict {
  code: string;
  scannedAt: string;
  /** The service's error code (ALREADY_CHECKED_IN, TICKET_NOT_VALID, …). */
  reason: string;
  /** For ALREADY_CHECKED_IN: when and by which device the ticket was let in. */
  at?: string;
  byDevice?: string;
}

export const syncConflicts = () => read<SyncConflict[]>('conflicts', []);
export const keepSyncConflicts = (conflicts: SyncConflict[]) => write('conflicts', conflicts);
