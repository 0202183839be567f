// Cookies: reading the request's, and the set-cookie values of the refresh and fingerprint
// cookies (HttpOnly, SameSite=Strict; Lax in cookie mode), the session cookie of cookie mode
// (HttpOnly, SameSite=Lax) and the session hint (script-readable, no secret).
import type { ResolvedConfig } from '../config.js';
import type { SessionRecord } from '../store.js';
import type { HeaderReader } from './request.js';

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
  // `name=value` pairs between ';' (scanned in place: this runs on every authenticated request)
  for (let start = 0; start <= header.length;) {
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    const eq = header.indexOf('=', start);
    if (eq >= 0 && eq < end && header.slice(start, eq).trim() === name) {
      let value = header.slice(eq + 1, end).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
        value = value.slice(1, -1);
      return value;
    }
    start = end + 1;
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
  /** Readable by the page's scripts (no HttpOnly) and sent on top-level navigations
   *  (SameSite=Lax): only for values that are not secrets. */
  scriptReadable?: boolean;
  /** HttpOnly but sent on top-level navigations from other sites too (SameSite=Lax instead of
   *  Strict): the cookies of cookie mode, which server-rendered pages read. */
  lax?: boolean;
}

/**
 * A `set-cookie` value: HttpOnly and SameSite=Strict unless `scriptReadable`.
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
    ...(options.scriptReadable
      ? ['SameSite=Lax']
      : ['HttpOnly', options.lax ? 'SameSite=Lax' : 'SameSite=Strict']),
  ];
  if (options.secure) parts.push('Secure');
  if (options.maxAgeSeconds <= 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  return parts.join('; ');
}

/**
 * The refresh cookie (path-scoped to the base path, or `Path=/; SameSite=Lax` in cookie mode so
 * server-side code can refresh on any page; lives until the session's idle or absolute end) and,
 * unless disabled, the session hint cookie with the same lifetime: `1`, script-readable,
 * `Path=/`, so the client can skip `/refresh` on a page load when there is no session to restore.
 */
export function refreshCookies(
  config: ResolvedConfig,
  token: string,
  session: Pick<SessionRecord, 'expiresAt' | 'idleExpiresAt'>,
): string[] {
  const until = Math.min(session.expiresAt, session.idleExpiresAt);
  const maxAgeSeconds = Math.ceil((until - config.now()) / 1000);
  const { secure, refreshName, hintName } = config.cookies;
  const lax = config.sessionCookie !== null;
  const cookies = [
    serializeCookie(refreshName, token, {
      path: lax ? '/' : config.basePath,
      maxAgeSeconds,
      secure,
      lax,
    }),
  ];
  if (hintName !== false)
    cookies.push(
      serializeCookie(hintName, '1', { path: '/', maxAgeSeconds, secure, scriptReadable: true }),
    );
  return cookies;
}

/** The fingerprint cookie (Path=/, lives as long as the session can; SameSite=Lax in cookie
 *  mode). */
export function fingerprintCookie(
  config: ResolvedConfig,
  value: string,
  session: Pick<SessionRecord, 'expiresAt'>,
): string {
  return serializeCookie(config.cookies.fingerprintName, value, {
    path: '/',
    maxAgeSeconds: Math.ceil((session.expiresAt - config.now()) / 1000),
    secure: config.cookies.secure,
    lax: config.sessionCookie !== null,
  });
}

/**
 * Cookie mode's session cookie: the access token, `HttpOnly; SameSite=Lax; Path=/` (+ `Secure`),
 * living as long as the token (`Max-Age` its remaining lifetime). `[]` in bearer mode, and for a DPoP-bound
 * token (`tokenType: 'DPoP'`), which is useless without its key's proof.
 */
export function sessionCookies(
  config: ResolvedConfig,
  tokens: { accessToken: string; expiresAt: string; tokenType: string },
): string[] {
  if (config.sessionCookie === null || tokens.tokenType !== 'Bearer') return [];
  return [
    serializeCookie(config.sessionCookie.name, tokens.accessToken, {
      path: '/',
      // the token's remaining lifetime: its whole lifetime when fresh, less for a grace replay
      maxAgeSeconds: Math.ceil((Date.parse(tokens.expiresAt) - config.now()) / 1000),
      secure: config.cookies.secure,
      lax: true,
    }),
  ];
}

/** `set-cookie` values that clear the refresh, fingerprint and hint cookies (and, in cookie mode,
 *  the session cookie, and a refresh cookie left at the base path from bearer mode). */
export function clearCookies(config: ResolvedConfig): string[] {
  const { secure, fingerprintName, refreshName, hintName } = config.cookies;
  const lax = config.sessionCookie !== null;
  const cookies = [
    serializeCookie(refreshName, '', {
      path: lax ? '/' : config.basePath,
      maxAgeSeconds: 0,
      secure,
      lax,
    }),
    serializeCookie(fingerprintName, '', { path: '/', maxAgeSeconds: 0, secure, lax }),
  ];
  if (config.sessionCookie !== null)
    cookies.push(
      serializeCookie(config.sessionCookie.name, '', {
        path: '/',
        maxAgeSeconds: 0,
        secure,
        lax: true,
      }),
      serializeCookie(refreshName, '', { path: config.basePath, maxAgeSeconds: 0, secure }),
    );
  if (hintName !== false)
    cookies.push(
      serializeCookie(hintName, '', { path: '/', maxAgeSeconds: 0, secure, scriptReadable: true }),
    );
  return cookies;
}
