// The CSRF rule of cookie-authenticated requests (PROTOCOL.md §10): an unsafe method needs an
// allowed Origin, or, without a usable Origin, `Sec-Fetch-Site: same-origin`.
import type { ResolvedConfig } from '../config.js';
import { authError } from '../errors.js';
import type { HeaderReader } from './request.js';

/** Methods that change nothing (RFC 9110 §9.2.1): no CSRF check. Every other method is unsafe. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * Refuse a cross-site unsafe request that would be authenticated by cookies: for a method other
 * than GET, HEAD, OPTIONS or TRACE, the `Origin` header must be one of `allowedOrigins`; a
 * missing or `null` Origin passes only with `Sec-Fetch-Site: same-origin`. A request without a
 * `method` (a `Headers`-only object) is taken as safe. Throws `EvrmoreAuthError('csrf_rejected')`.
 *
 * @example
 * ```ts
 * checkCsrf(config, { method: 'POST', headers: request.headers });
 * ```
 */
export function checkCsrf(
  config: Pick<ResolvedConfig, 'allowedOrigins'>,
  request: { method?: string | undefined; headers: HeaderReader },
): void {
  const method = request.method;
  if (method === undefined || SAFE_METHODS.has(method.toUpperCase())) return;
  const origin = request.headers.get('origin');
  if (origin !== null && origin !== 'null') {
    if (config.allowedOrigins.includes(origin)) return;
    throw authError('csrf_rejected', {
      detail: 'the request comes from an origin that is not allowed',
    });
  }
  if (request.headers.get('sec-fetch-site') === 'same-origin') return;
  throw authError('csrf_rejected', {
    detail: 'a cookie-authenticated request without an allowed Origin',
  });
}

/**
 * Login CSRF in cookie mode (`/verify`, `/mfa/verify`): a browser request from an origin that is
 * not allowed (or `Origin: null`) cannot plant a session cookie; a request without `Origin` (a
 * non-browser client) passes. Throws `EvrmoreAuthError('csrf_rejected')`.
 *
 * @example
 * ```ts
 * if (config.sessionCookie !== null) checkSignInOrigin(config, ctx.request);
 * ```
 */
export function checkSignInOrigin(
  config: Pick<ResolvedConfig, 'allowedOrigins'>,
  request: { headers: HeaderReader },
): void {
  const origin = request.headers.get('origin');
  if (origin === null || config.allowedOrigins.includes(origin)) return;
  throw authError('csrf_rejected', {
    detail: 'sign-in from an origin that is not allowed',
  });
}
