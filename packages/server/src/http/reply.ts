// What a route answers: Reply, its fetch Response, security and CORS headers, JSON and
// problem+json replies.
import { toProblem, type EvrmoreAuthError } from '@evrmore-auth/core';
import type { RequestContext } from './request.js';

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
    headers['access-control-expose-headers'] = 'retry-after, x-request-id, dpop-nonce';
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
  return { status: error.status, headers, cookies, body: JSON.stringify(toProblem(error)) };
}

/**
 * A route's reply: JSON (or no body, for `null`) with the headers every auth response carries.
 *
 * @example
 * ```ts
 * return respond(ctx, 201, challenge);
 * ```
 */
export function respond(
  ctx: Pick<RequestContext, 'https' | 'requestId' | 'origin'>,
  status: number,
  body: unknown,
  cookies: string[] = [],
): Reply {
  const headers = baseHeaders(ctx);
  if (body === null) return { status, headers, cookies, body: null };
  return jsonReply(status, body, headers, cookies);
}
