// HTTP plumbing: problem+json, security headers, CORS, bounded JSON bodies, cookies, client IP.
import { EvrmoreAuthError } from '@evrmore-auth/core';

/**
 * Largest request body accepted (PROTOCOL.md §3); larger bodies are 413 `payload_too_large`.
 *
 * @example
 * ```ts
 * MAX_BODY_BYTES; // 16384
 * ```
 */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Header lookup: a fetch `Headers`, or anything with the same case-insensitive `get` (repeated
 * headers joined with `", "`).
 *
 * @example
 * ```ts
 * const headers: HeaderReader = new Headers({ authorization: 'Bearer …' });
 * ```
 */
export interface HeaderReader {
  get(name: string): string | null;
}

/**
 * What the routes read of a request. `fromWebRequest` makes one of a fetch `Request`; the Node
 * adapters make one of an `IncomingMessage` directly, without building a `Request` and its body
 * stream (the larger part of an auth request's cost on Node 20, measured in `pnpm bench`).
 *
 * @example
 * ```ts
 * const request: AuthRequest = fromWebRequest(new Request('https://example.com/auth/session'));
 * ```
 */
export interface AuthRequest {
  readonly method: string;
  /** Absolute URL (scheme, host, path and query). */
  readonly url: string;
  readonly headers: HeaderReader;
  /** The body, read once: an empty array when there is none; more than {@link MAX_BODY_BYTES}
   *  rejects with `payload_too_large` (counted while reading); a body that cannot be read
   *  (aborted, reset, stream error, premature close) rejects with `invalid_request`. */
  readBody(): Promise<Uint8Array>;
}

/**
 * The {@link AuthRequest} view of a fetch `Request`.
 *
 * @example
 * ```ts
 * const request = fromWebRequest(incomingFetchRequest);
 * ```
 */
export function fromWebRequest(request: Request): AuthRequest {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    readBody: () => readBytes(request),
  };
}

/**
 * What a route answers, before it becomes a fetch `Response` ({@link toResponse}) or is written to
 * a Node `ServerResponse` by an adapter.
 *
 * @example
 * ```ts
 * const reply: Reply = { status: 204, headers: { 'cache-control': 'no-store' }, cookies: [], body: null };
 * ```
 */
export interface Reply {
  status: number;
  /** Lower-case header names, one value each (`set-cookie` goes in `cookies`). */
  headers: Record<string, string>;
  /** `set-cookie` values, in order. */
  cookies: string[];
  body: string | null;
}

/**
 * The fetch `Response` of a {@link Reply}.
 *
 * @example
 * ```ts
 * return toResponse(reply);
 * ```
 */
export function toResponse(reply: Reply): Response {
  let headers: HeadersInit = reply.headers;
  if (reply.cookies.length > 0) {
    const h = new Headers(reply.headers);
    for (const c of reply.cookies) h.append('set-cookie', c);
    headers = h;
  }
  return new Response(reply.body, { status: reply.status, headers });
}

/**
 * Per-request facts the routes share.
 *
 * @example
 * ```ts
 * const ctx: RequestContext = { request, requestId: 'r1', ip: '203.0.113.7', userAgent: null, https: true, origin: null };
 * ```
 */
export interface RequestContext {
  request: AuthRequest;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  /** Whether the request URL is https (HSTS is sent then). */
  https: boolean;
  /** The `Origin` header when it is an allowed origin (CORS headers are added then). */
  origin: string | null;
}

function securityHeaders(https: boolean): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  };
  if (https) headers['strict-transport-security'] = 'max-age=63072000; includeSubDomains';
  return Object.freeze(headers);
}
const SECURITY_HEADERS = { http: securityHeaders(false), https: securityHeaders(true) };

/**
 * The security headers of PROTOCOL.md §7 (plus `cache-control: no-store`).
 *
 * @example
 * ```ts
 * const headers = new Headers();
 * applySecurityHeaders(headers, true);
 * ```
 */
export function applySecurityHeaders(headers: Headers, https: boolean): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS[https ? 'https' : 'http']))
    headers.set(name, value);
}

/**
 * The headers every auth response carries: security headers, request id, CORS for an allowed
 * origin.
 *
 * @example
 * ```ts
 * const headers = baseHeaders(ctx);
 * ```
 */
export function baseHeaders(
  ctx: Pick<RequestContext, 'https' | 'requestId' | 'origin'>,
): Record<string, string> {
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS[ctx.https ? 'https' : 'http'],
    'x-request-id': ctx.requestId,
    vary: 'Origin',
  };
  if (ctx.origin !== null) {
    headers['access-control-allow-origin'] = ctx.origin;
    headers['access-control-allow-credentials'] = 'true';
    headers['access-control-expose-headers'] = 'retry-after, x-request-id';
  }
  return headers;
}

/**
 * A JSON reply.
 *
 * @example
 * ```ts
 * return jsonReply(201, { message, nonce, issuedAt, expiresAt }, baseHeaders(ctx));
 * ```
 */
export function jsonReply(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  cookies: string[] = [],
): Reply {
  headers['content-type'] = 'application/json; charset=utf-8';
  return { status, headers, cookies, body: JSON.stringify(body) };
}

/**
 * The problem+json reply of an `EvrmoreAuthError` (with `retry-after` for 429).
 *
 * @example
 * ```ts
 * problemReply(new EvrmoreAuthError('not_found'));
 * ```
 */
export function problemReply(
  error: EvrmoreAuthError,
  headers: Record<string, string> = {},
  cookies: string[] = [],
): Reply {
  headers['content-type'] = 'application/problem+json';
  if (error.code === 'rate_limited')
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfter ?? 1)));
  return { status: error.status, headers, cookies, body: JSON.stringify(error.toProblem()) };
}

const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAYBE_FORBIDDEN = /__proto__|constructor|prototype|\\u/;

/**
 * Read a JSON body: content type must be `application/json`, at most 16 KiB counted while
 * reading (not trusting `content-length`), strict UTF-8, no `__proto__`/`constructor`/`prototype`
 * keys. `allowEmpty`: an absent body reads as `{}`.
 *
 * @example
 * ```ts
 * const body = await readJsonBody(request, { allowEmpty: false });
 * ```
 */
export async function readJsonBody(
  request: Request | AuthRequest,
  options: { allowEmpty: boolean },
): Promise<unknown> {
  // Any failure of the read itself (also from an AuthRequest made elsewhere) is the client's
  // unreadable body, a 400: never an internal error with a stack trace in the server's log.
  const read = (): Promise<Uint8Array> =>
    ('readBody' in request ? request.readBody() : readBytes(request)).catch((err: unknown) => {
      throw err instanceof EvrmoreAuthError ? err : unreadableBody(err);
    });
  const type = request.headers.get('content-type');
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > MAX_BODY_BYTES)
    throw new EvrmoreAuthError('payload_too_large');
  if (type === null && options.allowEmpty) {
    const bytes = await read();
    if (bytes.length === 0) return {};
    throw new EvrmoreAuthError('unsupported_media_type');
  }
  if (type === null || !JSON_TYPE.test(type.trim()))
    throw new EvrmoreAuthError('unsupported_media_type');
  const bytes = await read();
  if (bytes.length === 0) {
    if (options.allowEmpty) return {};
    throw new EvrmoreAuthError('invalid_request', { detail: 'the request body is empty' });
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new EvrmoreAuthError('invalid_request', { detail: 'the body is not valid UTF-8' });
  }
  try {
    // The reviver (a call per value) runs only when a forbidden key could be spelled: literally,
    // or through a \u escape.
    if (!MAYBE_FORBIDDEN.test(text)) return JSON.parse(text) as unknown;
    return JSON.parse(text, (key, value: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ForbiddenKey();
      return value;
    }) as unknown;
  } catch (err) {
    if (err instanceof ForbiddenKey)
      throw new EvrmoreAuthError('invalid_request', { detail: 'forbidden key in JSON body' });
    throw new EvrmoreAuthError('invalid_request', { detail: 'the body is not valid JSON' });
  }
}

class ForbiddenKey extends Error {}

/** Strict UTF-8 (no `stream`, so each decode stands alone and the decoder can be shared). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The error of a request body that cannot be read (aborted, reset, stream error, premature close):
 * the client's fault or the client's departure, a 400 `invalid_request` that is never logged as an
 * internal error. The underlying error is kept as `cause` (not sent: `toProblem` leaves it out).
 */
export function unreadableBody(cause?: unknown): EvrmoreAuthError {
  return new EvrmoreAuthError('invalid_request', {
    detail: 'the request body could not be read',
    ...(cause === undefined ? {} : { cause }),
  });
}

async function readBytes(request: Request): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  // A runtime that aborts the request when the client goes away (@hono/node-server, Deno, Bun)
  // may leave the body stream pending: the abort cancels the read instead of waiting forever.
  const signal = request.signal as AbortSignal | undefined;
  let aborted = false;
  const onAbort = (): void => {
    aborted = true;
    reader.cancel(signal?.reason).catch(() => undefined);
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (err) {
        throw unreadableBody(err);
      }
      // A cancelled read ends as `done`: that is a cut-off body, not a complete one.
      if (aborted) throw unreadableBody(signal?.reason);
      const { done, value } = step;
      if (done) break;
      total += value.byteLength;
      if (total > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw new EvrmoreAuthError('payload_too_large');
      }
      chunks.push(value);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * The value of cookie `name` in the request (first occurrence), or `null`.
 *
 * @example
 * ```ts
 * readCookie(request, '__Host-evrmore-fgp');
 * ```
 */
export function readCookie(request: { headers: HeaderReader }, name: string): string | null {
  const header = request.headers.get('cookie');
  if (header === null || header.length > 8192) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1);
    return value;
  }
  return null;
}

/**
 * Options of {@link serializeCookie}.
 *
 * @example
 * ```ts
 * const options: CookieOptions = { path: '/auth', maxAgeSeconds: 3600, secure: true };
 * ```
 */
export interface CookieOptions {
  path: string;
  /** 0 clears the cookie. */
  maxAgeSeconds: number;
  secure: boolean;
}

/**
 * A `set-cookie` value: always HttpOnly and SameSite=Strict.
 *
 * @example
 * ```ts
 * headers.append('set-cookie', serializeCookie('evrmore-rt', token, { path: '/auth', maxAgeSeconds: 604800, secure: true }));
 * ```
 */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  const parts = [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (options.secure) parts.push('Secure');
  if (options.maxAgeSeconds <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  return parts.join('; ');
}
