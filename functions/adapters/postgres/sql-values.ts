// Drivers disagree on types: node-postgres returns int8 as a string and timestamptz as a Date, PGlite
// returns Dates, the Data API returns strings. Repositories read every column through these.

export function asNumber(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`Expected a number from the database, got ${String(value)}`);
  return n;
}

export function asIsoTime(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') {
    // The Data API sends "2026-01-31 20:00:00.123" (UTC, no zone).
    const text = /[zZ]|[+-]\d\d(:?\d\d)?$/.test(value) ? value : `${value.replace(' ', 'T')}Z`;
    return new Date(text).toISOString();
  }
  throw new TypeError(`Expected a timestamp from the database, got ${String(value)}`);
}

export function asString(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`Expected text from the database, got ${String(value)}`);
  return value;
}

export function asBoolean(value: unknown): boolean {
  return value === true || value === 't' || value === 'true';
}
