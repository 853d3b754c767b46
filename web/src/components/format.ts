export const formatMoney = (cents: number, currency: string): string =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);

export const formatDateTime = (iso: string): string =>
  new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));

/** "2:05" for 125 seconds. */
export const formatClock = (seconds: number): string =>
  `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;

/** A key that makes a retried submit the same request (Idempotency-Key). */
export const newRequestKey = (): string => crypto.randomUUID();

/** "2:05" under an hour, "1:02:05" from an hour, "3 d 1:02:05" from a day (for a countdown of `seconds`). */
export const formatLongClock = (seconds: number): string => {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const rest = seconds % 3600;
  const clock = `${Math.floor(rest / 60)}:${String(rest % 60).padStart(2, '0')}`;
  if (days === 0 && hours === 0) return clock;
  const long = `${hours}:${clock.padStart(5, '0')}`;
  return days === 0 ? long : `${days} d ${long}`;
};

/** An estimated wait of `seconds` in words: "less than a minute", "about 4 minutes", "about 1 h 20 min". */
export const formatWait = (seconds: number): string => {
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.floor(minutes / 60);
  const left = minutes % 60;
  return `about ${hours} h${left === 0 ? '' : ` ${left} min`}`;
};
/** A whole number of tickets from 1 to `most`, from what the fan typed; undefined for anything else. */
export function quantityOf(typed: string, most: number): number | undefined {
  const text = typed.trim();
  if (!/^\d+$/.test(text)) return undefined;
  const quantity = Number(text);
  return quantity >= 1 && quantity <= most ? quantity : undefined;
}
