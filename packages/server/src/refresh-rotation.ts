// POST /auth/refresh: rotate the refresh token; grace window for concurrent duplicates; reuse
// detection revokes the session.
import type { TokenResponse } from '@evrmore-auth/core';
import { openGraceBlob, sealGraceBlob } from './crypto.js';
import { authError } from './errors.js';
import { refreshCookies, sessionCookies } from './http/cookies.js';
import type { RequestContext } from './http/request.js';
import { hashRefreshToken, newRefreshToken, refreshTokenSessionId } from './refresh-token.js';
import { eventBase, type AuthRuntime } from './runtime.js';
import { isLive } from './store.js';
import { loadClaims, mintTokenResponse } from './token-response.js';
import { checkFingerprint } from './tokens.js';
import { timingSafeEqualString } from './crypto.js';
import { proofRequestOf, readTokenRequestProof, spendProof } from './dpop/check.js';
import { DPoPError } from './dpop/errors.js';

/**
 * Options of {@link refreshSession}.
 *
 * @example
 * ```ts
 * const options: RefreshSessionOptions = { refreshToken: cookieValue, context };
 * ```
 */
export interface RefreshSessionOptions {
  /** The refresh cookie's value (`null` when absent). */
  refreshToken: string | null;
  /**
   * The fingerprint cookie's value (`null` when absent). The refresh family is bound to the
   * browser that signed in: without the matching fingerprint a refresh token is refused.
   */
  fingerprint: string | null;
  context: RequestContext;
}

/**
 * The result of a refresh: the token response and the rotated refresh cookie.
 *
 * @example
 * ```ts
 * const { tokens, setCookies } = await refreshSession(runtime, { refreshToken, context });
 * ```
 */
export interface RefreshResult {
  /** The JSON body to answer with: a new access token. */
  tokens: TokenResponse;
  /** `set-cookie` values: the rotated refresh cookie (and the session hint; in cookie mode the
   *  new session cookie). */
  setCookies: string[];
  /** `true` when this answer is the grace-window replay of a concurrent rotation. */
  grace: boolean;
}

interface GraceSet {
  tokens: TokenResponse;
  refreshToken: string;
}

/**
 * Rotate a refresh token. The new token set is sealed (AES-256-GCM, key from HKDF of the
 * presented token) and handed to the store, so a concurrent duplicate within the grace window gets
 * the identical set; reuse later revokes the session (`refresh_reused`, event `refresh.reused`).
 * Throws `refresh_invalid` for an unknown, revoked, idle-expired or absolutely-expired session,
 * `fingerprint_mismatch` when the fingerprint cookie is missing or belongs to another sign-in,
 * and `dpop_key_mismatch` when the session is DPoP-bound and the request's proof (if any) was
 * made with another key.
 *
 * @example
 * ```ts
 * const { tokens, setCookies } = await refreshSession(runtime, { refreshToken, fingerprint, context });
 * ```
 */
export async function refreshSession(
  rt: AuthRuntime,
  options: RefreshSessionOptions,
): Promise<RefreshResult> {
  const { refreshToken, fingerprint, context } = options;
  const { config } = rt;
  await rt.rateLimits.check('refresh', { ip: context.ip });
  const sessionId = refreshTokenSessionId(refreshToken);
  if (sessionId === null || refreshToken === null) throw authError('refresh_invalid');
  const now = config.now();
  const current = await rt.store.getSession(sessionId);
  if (!isLive(current, now)) throw authError('refresh_invalid');
  // A refresh cookie alone (copied off the browser that signed in) is not enough.
  if (!(await checkFingerprint(fingerprint, current.fingerprintHash)))
    throw authError('fingerprint_mismatch', {
      detail: 'the refresh token belongs to another browser',
    });
  // A session bound at sign-in refreshes only with a proof made with its key; a proof on an
  // unbound session leaves it unbound (RFC 9449 §5).
  const dpopProof = await readTokenRequestProof(rt.dpop, proofRequestOf(context), {
    now,
    clockToleranceSeconds: config.clockToleranceSeconds,
  });
  const bound = current.dpopJkt ?? null;
  if (bound !== null && (dpopProof === null || !timingSafeEqualString(dpopProof.jkt, bound))) {
    // Both cookies of a bound session without its key: most likely copied off the browser.
    rt.events.emit({
      type: 'dpop.key_mismatch',
      ...eventBase(context),
      address: current.address,
      sessionId,
      code: 'dpop_key_mismatch',
      detail: { route: 'refresh', proof: dpopProof !== null },
    });
    throw new DPoPError('dpop_key_mismatch', {
      resource: false,
      detail:
        dpopProof === null
          ? 'the session is bound to a DPoP key: send a proof made with it'
          : 'the proof was made with another key than the session is bound to',
    });
  }
  if (dpopProof !== null && rt.dpop !== null) await spendProof(rt.dpop, dpopProof, false, now);

  const claims = await loadClaims(rt, {
    address: current.address,
    reason: 'refresh',
    sessionId,
    ip: context.ip,
    userAgent: context.userAgent,
  });
  const idleExpiresAt = Math.min(current.expiresAt, now + config.sessionPolicy.idleWindowMs);
  const next = { ...current, lastSeenAt: now, idleExpiresAt };
  const newToken = newRefreshToken(config.randomBytes, sessionId);
  const tokens = await mintTokenResponse(rt, next, claims);
  const graceBlob = await sealGraceBlob(
    refreshToken,
    JSON.stringify({ tokens, refreshToken: newToken } satisfies GraceSet),
    config.randomBytes,
  );

  const result = await rt.store.rotateRefresh({
    presentedHash: await hashRefreshToken(refreshToken),
    newHash: await hashRefreshToken(newToken),
    now,
    graceMs: config.refreshGraceSeconds * 1000,
    // A retry of a rotation whose answer was lost (a 503) gets the same set while the successor
    // is unused.
    retryMs: config.refreshRetrySeconds * 1000,
    idleExpiresAt,
    graceBlob,
  });
  switch (result.kind) {
    case 'rotated': {
      const session = result.session;
      rt.events.emit({
        type: 'refresh.succeeded',
        ...eventBase(context),
        address: session.address,
        sessionId,
      });
      return {
        tokens,
        setCookies: [
          ...refreshCookies(config, newToken, session),
          ...sessionCookies(config, tokens),
        ],
        grace: false,
      };
    }
    case 'grace': {
      const opened = await openGraceBlob(refreshToken, result.graceBlob);
      if (opened === null) throw authError('refresh_invalid');
      const set = JSON.parse(opened) as GraceSet;
      rt.events.emit({
        type: 'refresh.succeeded',
        ...eventBase(context),
        address: result.session.address,
        sessionId,
        detail: { grace: true },
      });
      return {
        tokens: set.tokens,
        setCookies: [
          ...refreshCookies(config, set.refreshToken, result.session),
          ...sessionCookies(config, set.tokens),
        ],
        grace: true,
      };
    }
    case 'reused': {
      // The store just revoked the session (its refresh token was used twice).
      rt.revocations.tell({ sid: result.session.id });
      const base = { ...eventBase(context), address: result.session.address, sessionId };
      rt.events.emit({ type: 'refresh.reused', ...base, code: 'refresh_reused' });
      rt.events.emit({ type: 'session.revoked', ...base, detail: { reason: 'refresh_reused' } });
      throw authError('refresh_reused');
    }
    default:
      throw authError('refresh_invalid');
  }
}
