/**
 * The one spelling of an e-mail address that identifies an account: surrounding space trimmed,
 * Unicode NFKC-normalised (so full-width or composed look-alikes collapse), then lower-cased with
 * JavaScript's locale-independent Unicode case mapping, and normalised again.
 *
 * Sign-up, login, the login throttle, the configured administrator and every look-up use this and
 * only this; the database compares the stored canonical form exactly (never PostgreSQL's `lower()`,
 * whose result depends on the database's collation: `lower('İ')` is `i` under en_US.UTF-8 while
 * JavaScript gives `i̇`). RFC 5321 lets a local part be case-sensitive; like every large provider we
 * treat it as case-insensitive.
 *
 * @param raw an address as typed (any case, any Unicode form)
 * @returns the canonical address; idempotent: canonicalEmail(canonicalEmail(x)) === canonicalEmail(x)
 */
export function canonicalEmail(raw: string): string {
  return raw.trim().normalize('NFKC').toLowerCase().normalize('NFKC');
}
