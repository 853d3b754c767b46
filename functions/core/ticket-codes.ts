import { randomBytes } from 'node:crypto';

// Crockford's base32 without I, L, O, U: easy to read aloud at the door, 80 bits of entropy per code.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newTicketCode(): string {
  const bytes = randomBytes(16);
  let code = '';
  for (let i = 0; i < 16; i++) code += ALPHABET[(bytes[i] ?? 0) & 31];
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8, 12)}-${code.slice(12, 16)}`;
}
