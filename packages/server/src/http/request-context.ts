// The per-request context: request id, client IP, HTTPS, allowed origin; and the request's path.
import type { ResolvedConfig } from '../config.js';
import { randomToken } from '../crypto.js';
import { clientIp, requestIsHttps } from '../proxy.js';
import type { AuthRequest, HeaderReader, RequestContext } from './request.js';

/**
 * Per-request facts a fetch `Request` cannot carry; adapters pass the peer address here.
 *
 * @example
 * ```ts
 * auth.handler(request, { ip: req.socket.remoteAddress });
 * ```
 */
export interface HandlerContext {
  /**
   * The TCP peer's address (the client, or the nearest proxy). Rate limits are keyed by the
   * client IP: without it (and without `trustedProxies` naming a header), production refuses
   * rate-limited routes.
   */
  ip?: string | null;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The client's `x-request-id` when well-formed, else `null`.
 *
 * @example
 * ```ts
 * const requestId = incomingRequestId(request.headers) ?? newRequestId(config);
 * ```
 */
export function incomingRequestId(headers: HeaderReader): string | null {
  const incoming = headers.get('x-request-id');
  return incoming !== null && REQUEST_ID.test(incoming) ? incoming : null;
}

/** A fresh request id (when the client sent none, or an unusable one). */
export function newRequestId(config: ResolvedConfig): string {
  return randomToken(config.randomBytes, 12);
}

/**
 * The context of `request`: the client's `x-request-id` when well-formed (else a fresh one), the
 * client IP (through `trustedProxies`), whether HSTS applies, the origin when it is allowed.
 */
export function makeContext(
  config: ResolvedConfig,
  request: AuthRequest,
  handlerContext: HandlerContext = {},
): RequestContext {
  const requestId = incomingRequestId(request.headers) ?? newRequestId(config);
  const origin = request.headers.get('origin');
  const ua = request.headers.get('user-agent');
  const { hsts, trustedProxies } = config;
  const tls = requestIsHttps(request, handlerContext.ip, trustedProxies);
  return {
    request,
    requestId,
    ip: clientIp(request, handlerContext.ip, trustedProxies),
    userAgent: ua === null ? null : ua.slice(0, 512),
    https: hsts === 'always' || (hsts === 'auto' && tls),
    tls,
    origin: origin !== null && config.allowedOrigins.includes(origin) ? origin : null,
  };
}

/** The path of an absolute URL (`new URL(url).pathname`, without building a URL for the usual
 *  `scheme://host/path?query` form). */
export function pathOf(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(\/[^?#]*)?/i.exec(url);
  if (m && (m[1] === undefined || !/[%\\]|\/\.{1,2}(?:\/|$)/.test(m[1]))) return m[1] ?? '/';
  try {
    return new URL(url).pathname;
  } catch {
    return '/';
  }
}
