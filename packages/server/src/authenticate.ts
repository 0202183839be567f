// Authenticating application requests: bearer access token + fingerprint cookie + live session.
import { EvrmoreAuthError } from '@evrmore-auth/core';
import type { AccessTokenClaims, ExtraClaims } from './config.js';
import { readCookie } from './http/cookies.js';
import type { HeaderReader } from './http/request.js';
import type { AuthRuntime } from './runtime.js';
import { isLive } from './store.js';
import { verifyAccessToken } from './tokens.js';
import { getSessionForAuth, verifyAccessTokenCached } from './token-cache.js';

/**
 * The verified caller. `Claims` is the application's extra claims type (see
 * `createEvrmoreAuth<Claims>`).
 *
 * @example
 * ```ts
 * const { address, sessionId, claims } = await auth.authenticate(request);
 * ```
 */
export interface AuthIdentity<Claims extends object = ExtraClaims> {
  /** The signed-in address (the token's `sub`). */
  address: string;
  /** The session the token belongs to (its `sid`). */
  sessionId: string;
  /** Every claim of the verified access token, your `claims` provider's included. */
  claims: AccessTokenClaims & Claims;
}

/**
 * The application's claims as the Express and Fastify adapters type `req.auth` / `request.auth`
 * (their request types are global, so they cannot follow one auth instance's `Claims` the way
 * `authenticate()` and Hono's `c.get('auth')` do): declare your claims here once.
 *
 * @example
 * ```ts
 * declare module '@evrmore-auth/server' {
 *   interface RegisteredClaims {
 *     roles: string[];
 *   }
 * }
 * app.get('/api/me', requireAuth(auth), (req, res) => res.json(req.auth!.claims.roles));
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RegisteredClaims {}

/**
 * Options of `authenticate` (the `EvrmoreAuth` method and the adapters' `requireAuth`).
 *
 * @example
 * ```ts
 * await auth.authenticate(request, { permissions: ['posts:write'] });
 * ```
 */
export interface AuthenticateOptions {
  /** Every one of these must be in the token's `permissions` claim, else 403 `insufficient_scope`. */
  permissions?: string[];
}

/**
 * Verify `authorization: Bearer …`, the fingerprint cookie and the session's liveness. Throws
 * `EvrmoreAuthError` `token_missing`, `token_invalid`, `token_expired`, `fingerprint_mismatch`,
 * `token_revoked`, `insufficient_scope` or `unavailable`.
 *
 * @example
 * ```ts
 * const identity = await authenticateRequest(runtime, request, { permissions: ['admin'] });
 * ```
 */
export async function authenticateRequest(
  rt: AuthRuntime,
  request: { headers: HeaderReader },
  options: AuthenticateOptions = {},
): Promise<AuthIdentity> {
  const header = request.headers.get('authorization');
  if (header === null || header.trim() === '') throw new EvrmoreAuthError('token_missing');
  const m = /^Bearer +([^\s]+) *$/i.exec(header);
  if (!m) throw new EvrmoreAuthError('token_invalid');
  const { config } = rt;
  const now = config.now();
  // The token, then its fingerprint cookie (`fingerprint_mismatch`), both skipped on a cache hit.
  const fingerprint = readCookie(request, config.cookies.fingerprintName);
  const claims = await verifyAccessTokenCached(rt, m[1]!, fingerprint, now, async () =>
    verifyAccessToken(m[1]!, {
      keys: await rt.keys(),
      issuer: config.issuer,
      audience: config.audience,
      clockToleranceSeconds: config.clockToleranceSeconds,
      now,
    }),
  );
  const session = await getSessionForAuth(rt, claims.sid, now);
  if (session !== null && session.address !== claims.sub)
    throw new EvrmoreAuthError('token_invalid');
  if (!isLive(session, now)) throw new EvrmoreAuthError('token_revoked');
  if (session.fingerprintHash !== claims.fgp) throw new EvrmoreAuthError('fingerprint_mismatch');
  const required = options.permissions ?? [];
  if (required.length > 0) {
    const granted = Array.isArray(claims.permissions) ? (claims.permissions as unknown[]) : [];
    if (!required.every((p) => granted.includes(p)))
      throw new EvrmoreAuthError('insufficient_scope');
  }
  return { address: claims.sub, sessionId: claims.sid, claims };
}
