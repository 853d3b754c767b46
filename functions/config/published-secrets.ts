/**
 * Secrets nobody may run production with: every sample value this repository itself publishes
 * (k8s/secret.yaml, .env.example, docker-compose, README, the seed's sample organiser) and obviously
 * weak ones. test/config/published-secrets.test.ts reads those files and proves each value is refused,
 * so a new sample cannot slip in unnoticed.
 */

/** Exact sample values shipped in this repository (compared case-insensitively, trimmed). */
export const PUBLISHED_SAMPLE_SECRETS: readonly string[] = [
  'CHANGE-ME',
  'CHANGE-ME-to-at-least-32-random-characters',
  'change-me-to-a-random-64-character-hex-string-0123456789abcdef',
  'change-me-admin',
  'a strong one',
  'a long password',
  'tickets',
  'bench-password',
];

// Words that mark a value as a template or an example rather than a chosen secret.
const PLACEHOLDER_WORDS =
  /change[\s_-]?me|changeit|placeholder|replace[\s_-]?(me|this)|example|sample|dummy|your[\s_-]?(secret|key|password)|\bsecret\b|^(password|passw0rd|admin|letmein|qwerty|123456)/i;

/**
 * Why `value` is unfit to be a production secret, or undefined when it will do.
 * @param value the secret as configured
 * @param kind 'signing-key': an HS256 key, which must be at least 32 characters (RFC 7518 §3.2 asks for a
 *   key as long as the hash, 256 bits) and look random; 'password': an administrator's password
 * @returns a short reason, for a one-line start-up error that never repeats the value
 */
export function weakSecretReason(value: string, kind: 'signing-key' | 'password'): string | undefined {
  const trimmed = value.trim();
  const lower = trimmed.toLowerCase();
  if (PUBLISHED_SAMPLE_SECRETS.some((sample) => sample.toLowerCase() === lower)) {
    return 'is a sample value published in this repository';
  }
  if (PLACEHOLDER_WORDS.test(trimmed)) return 'looks like a placeholder, not a chosen secret';
  // A Secret manifest's `data:` holds base64: a sample pasted from there is still the sample.
  const decoded = printableBase64(trimmed);
  if (decoded !== undefined) {
    const reason = weakSecretReason(decoded, kind);
    if (reason) return `is base64 of a value that ${reason}`;
  }
  const distinct = new Set(trimmed).size;
  if (kind === 'signing-key') {
    if (trimmed.length < 32) return 'must be at least 32 characters';
    if (distinct < 10) return 'repeats too few characters to be random (use openssl rand -hex 32)';
    if (isPeriodic(trimmed, 16) || isRun(trimmed))
      return 'is a pattern, not random (use openssl rand -hex 32)';
    return undefined;
  }
  if (trimmed.length < 8) return 'must be at least 8 characters';
  if (distinct < 5 || isPeriodic(trimmed, 4) || isRun(trimmed)) return 'is too easy to guess';
  return undefined;
}

// "abcabcabc…": the value is one short piece repeated.
function isPeriodic(value: string, maxPeriod: number): boolean {
  for (let period = 1; period <= maxPeriod && period < value.length; period++) {
    let repeats = true;
    for (let i = period; i < value.length && repeats; i++) repeats = value[i] === value[i - period];
    if (repeats) return true;
  }
  return false;
}

// "0123456789abcdef…" or "zyxw…": mostly consecutive code points.
function isRun(value: string): boolean {
  let steps = 0;
  for (let i = 1; i < value.length; i++) {
    if (Math.abs(value.charCodeAt(i) - value.charCodeAt(i - 1)) === 1) steps++;
  }
  return steps >= (value.length - 1) * 0.6;
}

// The text a base64 value stands for, when it is printable ASCII (a random key decodes to binary: undefined).
function printableBase64(value: string): string | undefined {
  if (value.length < 8 || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  const text = Buffer.from(value, 'base64').toString('latin1');
  return /^[\x20-\x7e]+$/.test(text) ? text : undefined;
}
