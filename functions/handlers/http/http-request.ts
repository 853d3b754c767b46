import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod';
import { authenticate, requireAdmin } from '../../core/auth.service';
import { notFound, TicketingError } from '../../core/errors';
import type { Principal } from '../../core/model';
import type { TokenService } from '../../ports/token-service.port';
import { pathId } from './schemas';

/** It travels in logs and in every published event's trace: short, and nothing but id characters. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;
export const MAX_BODY_BYTES = 64 * 1024;
/**
 * A request body's text as JSON, within the bounds every route keeps.
 * @throws TicketingError PAYLOAD_TOO_LARGE (413) above MAX_BODY_BYTES; VALIDATION_FAILED (400) nested
 *   deeper than MAX_JSON_DEPTH or not JSON
 */
function parseBody(text: string): unknown {
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new TicketingError('PAYLOAD_TOO_LARGE', `The body may be at most ${MAX_BODY_BYTES} bytes`);
  }
  if (depthOf(text) > MAX_JSON_DEPTH) {
    throw new TicketingError('VALIDATION_FAILED', `The body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new TicketingError('VALIDATION_FAILED', 'The body is not valid JSON');
  }
}

/** No contract body nests deeper than 4; hostile ones nest thousands deep to make parsers work. */
export const MAX_JSON_DEPTH = 16;

function depthOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return deepest;
}

/** The dotted path of the first string (or key) in `value` holding U+0000; undefined when none does. */
function pathToNul(value: unknown, path: string[] = []): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return [...path, key.replaceAll('\u0000', '\\u0000')].join('.');
    const found = pathToNul(item, [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** One API Gateway (HTTP API, payload v2) request, with the checks every route needs. */
export class HttpRequest {
  principal: Principal | undefined;

  constructor(
    readonly event: APIGatewayProxyEventV2,
    /** Verifies the bearer token (signature, expiry, the account's standing). */
    private readonly tokens: TokenService,
  ) {}

  get clientAddress(): string {
    return this.event.requestContext?.http?.sourceIp ?? 'unknown';
  }

  /** The client's (or nginx's) X-Request-Id when it looks like one; else the gateway's own id. */
  get requestId(): string {
    const given = this.header('x-request-id');
    if (given && REQUEST_ID.test(given)) return given;
    return this.event.requestContext?.requestId ?? 'unknown';
  }

  header(name: string): string | undefined {
    const wanted = name.toLowerCase();
    for (const [key, value] of Object.entries(this.event.headers ?? {})) {
      if (key.toLowerCase() === wanted) return value;
    }
    return undefined;
  }

  /** The caller, or 401. Checked before the body is read. */
  async user(): Promise<Principal> {
    this.principal ??= await authenticate(this.tokens, this.header('authorization'));
    return this.principal;
  }

  async admin(): Promise<Principal> {
    const principal = await this.user();
    requireAdmin(principal);
    return principal;
  }

  /** A path parameter that must be an id; anything else is simply not found. */
  id(name: string, what: string): string {
    const parsed = pathId.safeParse(this.event.pathParameters?.[name]);
    if (!parsed.success) throw notFound(what);
    return parsed.data.toLowerCase();
  }

  /**
   * For a route that takes no body (its route-table entry has no `body` schema): none, an empty one or a
   * JSON object (whose fields are ignored) passes; anything else (not JSON, a truncated `{"x":`, an
   * array, a string, a number) is 400 VALIDATION_FAILED, as a broken body is on every other route.
   */
  noBody(): void {
    const raw = this.event.body;
    if (raw === undefined || raw === null || raw === '') return;
    const text = this.event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (text.trim() === '') return;
    const json = parseBody(text);
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new TicketingError('VALIDATION_FAILED', 'This route takes no body: send none, or a JSON object');
    }
  }

  body<S extends z.ZodType>(schema: S): z.output<S> {
    const raw = this.event.body;
    if (raw === undefined || raw === null || raw === '') {
      throw new TicketingError('VALIDATION_FAILED', 'A JSON body is required');
    }
    const text = this.event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    return this.validate(schema, parseBody(text), 'The body');
  }

  /**
   * `value` through `schema`, or 400 VALIDATION_FAILED with one detail per issue. Any string in `value`
   * (object keys too) holding U+0000 is refused first: PostgreSQL text cannot store it (SQLSTATE 22021),
   * so no route may reach the database with one.
   */
  validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
    const nulAt = pathToNul(value);
    if (nulAt !== undefined) {
      throw new TicketingError('VALIDATION_FAILED', `${what} is invalid`, [
        { path: nulAt, message: 'must not contain the NUL character (U+0000)' },
      ]);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      throw new TicketingError(
        'VALIDATION_FAILED',
        `${what} is invalid`,
        parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      );
    }
    return parsed.data;
  }
}
