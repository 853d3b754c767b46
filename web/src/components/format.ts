export const formatMoney = (cents: number, currency: string): string =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);

export const formatDateTime = (iso: string): string =>
  new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));

/** "2:05" for 125 seconds. */
export const formatClock = (seconds: number): string =>
  `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;

/** A key that makes a retried submit the same request (Idempotency-Key). */
export const newRequestKey = (): string => crypto.randomUUID();

/** A whole number of tickets from 1 to `most`, from what the fan typed; undefined for anything else. */
export function quantityOf(typed: string, most: number): number | undefined {
  const text = typed.trim();
  if (!/^\d+$/.test(text)) return undefined;
  const quantity = Number(text);
  return quantity >= 1 && quantity <= most ? quantity : undefined;
}
