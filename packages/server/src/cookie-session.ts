// Cookie mode (`sessionCookie`): reading the session on the server (`auth.getSession`), with the
// server-side refresh of an expired session cookie, and the adapters' guard over both modes.
import { EvrmoreAuthError } from '@evrmore-auth/core';
import {
  authenticateRequest,
  checkPermissions,
  enforceIpLists,
  verifySessionCookie,
  type AuthenticateOptions,
  type AuthenticateRequest,
  type AuthIdentity,
} from './authenticate.js';
import type { ExtraClaims } from './config.js';
import { authError } from './errors.js';
import { clearCookies, readCookie } from './http/cookies.js';
import { checkCsrf } from './http/csrf.js';
import { makeContext } from './http/request-context.js';
import type { AuthRequest } from './http/request.js';
import { refreshSession } from './refresh-rotation.js';
import type { AuthRuntime } from './runtime.js';

/**
 * Options of `auth.getSession`.
 *
 * @example
 * ```ts
 * const { identity } = await auth.getSession(request, { refresh: false });
 * ```
 */
export interface GetSessionOptions {
  /**
   * When the session cookie is missing or expired but the refresh cookie is there and its session
   * alive, rotate the refresh token on the server (as `POST /auth/refresh` does) and return the
   * new cookies in `setCookie`. `false`: never refresh, never set cookies.
   * @default true
   */
  refresh?: boolean;
  /**
   * The TCP peer's address, as for `handler(request, { ip })`: the refresh's rate limit is keyed
   * by the client IP (with `trustedProxies` it is read from the forwarding headers).
   * @default none
   */
  ip?: string | null;
}

/**
 * What `auth.getSession` returns: the signed-in caller (or `null`) and the `Set-Cookie` values to
 * forward on the response (new cookies after a server-side refresh, clearing ones after a refused
 * refresh; usually none).
 *
 * @example
 * ```ts
 * const { identity, setCookie } = await auth.getSession(request);
 * for (const c of setCookie) response.headers.append('set-cookie', c);
 * ```
 */
export interface CookieSession<Claims extends ExtraClaims = ExtraClaims> {
  /** The caller, the same shape as `authenticate` returns; `null` when signed out. */
  identity: AuthIdentity<Claims> | null;
  /** `Set-Cookie` values to add to the response (often empty). */
  setCookie: string[];
}

/** {@link CookieSession} and, when `identity` is null, why (for the adapters' error replies). */
export interface ResolvedCookieSession extends CookieSession {
  /** Why there is no identity: `token_missing` without cookies, else the refusal. */
  error: EvrmoreAuthError | null;
}

/** Codes of a session cookie that cannot be used as it is (a refresh may still help). */
const UNUSABLE_TOKEN: ReadonlySet<string> = new Set([
  'token_expired',
  'token_invalid',
  'token_revoked',
  'fingerprint_mismatch',
]);
/** Codes of a refused refresh: the cookies cannot work any more and are cleared. */
const REFRESH_REFUSED: ReadonlySet<string> = new Set([
  'refresh_invalid',
  'refresh_reused',
  'fingerprint_mismatch',
]);

/**
 * `auth.getSession`: the CSRF rule (unsafe methods), then the session cookie as `authenticate`
 * checks a bearer token; an expired (or missing) session cookie with a refresh cookie is refreshed
 * on the server (rotation, grace window and reuse detection of `/auth/refresh`). A refused refresh
 * gives `identity: null` and cookies that clear the session. Store failures reject
 * (`StoreUnavailableError`), as do `csrf_rejected` and `rate_limited`.
 *
 * @example
 * ```ts
 * const { identity, setCookie } = await resolveCookieSession(rt, request, { ip });
 * ```
 */
export async function resolveCookieSession(
  rt: AuthRuntime,
  request: AuthenticateRequest,
  options: GetSessionOptions = {},
): Promise<ResolvedCookieSession> {
  const { config } = rt;
  if (config.sessionCookie === null)
    throw new TypeError('getSession: turn on cookie sessions with `sessionCookie: true`');
  checkCsrf(config, request);
  const { fingerprintName, refreshName } = config.cookies;
  const token = readCookie(request, config.sessionCookie.name);
  const fingerprint = readCookie(request, fingerprintName);
  const refreshToken = readCookie(request, refreshName);
  const refresh = options.refresh !== false;
  let error = authError('token_missing');
  if (token !== null && token !== '') {
    try {
      const identity = await verifySessionCookie(rt, token, fingerprint, config.now());
      return { identity, setCookie: [], error: null };
    } catch (err) {
      if (!(err instanceof EvrmoreAuthError) || !UNUSABLE_TOKEN.has(err.code)) throw err;
      error = err;
    }
  }
  if (refresh && refreshToken !== null && refreshToken !== '') {
    const context = makeContext(config, authRequestOf(request, config.uri), { ip: options.ip });
    try {
      const result = await refreshSession(rt, { refreshToken, fingerprint, context });
      const identity = await verifySessionCookie(
        rt,
        result.tokens.accessToken,
        fingerprint,
        config.now(),
      );
      return { identity, setCookie: result.setCookies, error: null };
    } catch (err) {
      if (!(err instanceof EvrmoreAuthError)) throw err;
      if (REFRESH_REFUSED.has(err.code))
        return {
          identity: null,
          setCookie: clearCookies(config),
          // a revoked session says so (its refresh token is merely `refresh_invalid` then)
          error: err.code === 'refresh_invalid' && error.code === 'token_revoked' ? error : err,
        };
      // A DPoP-bound session refreshes only with its key's proof, which a page load has not.
      if (err.code === 'dpop_key_mismatch') return { identity: null, setCookie: [], error: err };
      throw err;
    }
  }
  // A session cookie that cannot be used and no refresh: clear what is left of the session.
  const presented = token !== null && token !== '';
  return { identity: null, setCookie: presented && refresh ? clearCookies(config) : [], error };
}

/** The {@link AuthRequest} view of what `getSession` was given (a request or `{ headers }`). */
function authRequestOf(request: AuthenticateRequest, fallbackUrl: string): AuthRequest {
  return {
    method: request.method ?? 'GET',
    url: request.url ?? fallbackUrl,
    headers: request.headers,
    readBody: () => Promise.resolve(new Uint8Array(0)),
  };
}

/**
 * The adapters' `requireAuth`: with an `authorization` header (or in bearer mode) exactly
 * `authenticate`; in cookie mode without one, {@link resolveCookieSession} with the server-side
 * refresh, then the permissions. Never rejects: `identity` or `error`, and the `Set-Cookie`
 * values to forward either way.
 *
 * @example
 * ```ts
 * const { identity, setCookie, error } = await guardRequest(rt, request, { permissions });
 * ```
 */
export async function guardRequest(
  rt: AuthRuntime,
  request: AuthenticateRequest,
  options: AuthenticateOptions = {},
): Promise<{ identity: AuthIdentity | null; setCookie: string[]; error: unknown }> {
  const { config } = rt;
  try {
    // the IP lists first: a refused client costs no token or store work
    const gate = enforceIpLists(rt, request, options);
    if (gate !== undefined) await gate;
    const header = request.headers.get('authorization');
    if (
      config.sessionCookie === null ||
      (header !== null && header.trim() !== '') ||
      // no cookie credentials at all: 401 token_missing (as in bearer mode), not a CSRF refusal
      (!readCookie(request, config.sessionCookie.name) &&
        !readCookie(request, config.cookies.refreshName))
    ) {
      const identity = await authenticateRequest(rt, request, options);
      return { identity, setCookie: [], error: null };
    }
  } catch (err) {
    return { identity: null, setCookie: [], error: err };
  }
  let session: ResolvedCookieSession;
  try {
    session = await resolveCookieSession(rt, request, { ip: options.ip ?? null });
  } catch (err) {
    return { identity: null, setCookie: [], error: err };
  }
  if (session.identity === null) return session;
  try {
    checkPermissions(session.identity, options);
  } catch (err) {
    return { identity: null, setCookie: session.setCookie, error: err };
  }
  return session;
}
