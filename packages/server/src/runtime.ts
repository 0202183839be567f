// Shared machinery of the routes: the guarded store, token minting, cookies, session views.
import { EvrmoreAuthError, type SessionInfo, type TokenResponse } from '@evrmore-auth/core';
import type { EvrmoreAuthConfig, ExtraClaims, ResolvedConfig } from './config.js';
import { randomToken, sha256Base64Url } from './crypto.js';
import type { EventSink, PinoLikeLogger } from './events.js';
import { serializeCookie, type RequestContext } from './http.js';
import type { LoadedKey } from './keys.js';
import type { RateLimits } from './rate-limit.js';
import type { AuthStore, SessionRecord } from './store.js';
import { issueAccessToken } from './tokens.js';

/**
 * Everything a route needs; built once by `createEvrmoreAuth`.
 *
 * @example
 * ```ts
 * const challenge = await issueChallenge(auth.runtime, { address, context });
 * ```
 */
export interface AuthRuntime {
  config: ResolvedConfig;
  /** The store, with every rejection turned into `EvrmoreAuthError('unavailable')` (fail closed). */
  store: AuthStore;
  events: EventSink;
  rateLimits: RateLimits;
  /** The loaded keys (newest first). */
  keys(): Promise<LoadedKey[]>;
  onSignIn: EvrmoreAuthConfig['onSignIn'];
  logger: PinoLikeLogger | undefined;
}

/**
 * Wrap a store so that any rejection (backend down, timeout, bug in a driver) becomes
 * `EvrmoreAuthError('unavailable')` with the cause kept for logs: the server fails closed.
 *
 * @example
 * ```ts
 * const store = guardStore(createRedisStore({ client }));
 * ```
 */
export function guardStore(store: AuthStore): AuthStore {
  const guarded: Record<string, unknown> = { name: store.name };
  const proto = store as unknown as Record<string, unknown>;
  for (const key of new Set([
    ...Object.keys(store),
    ...Object.getOwnPropertyNames(Object.getPrototypeOf(store) ?? {}),
  ])) {
    const value = proto[key];
    if (typeof value !== 'function' || key === 'constructor') continue;
    const fn = value as (...args: unknown[]) => unknown;
    if (key === 'createRateLimiter' || key === 'close') {
      guarded[key] = fn.bind(store);
      continue;
    }
    guarded[key] = async (...args: unknown[]) => {
      try {
        return await fn.apply(store, args);
      } catch (err) {
        if (err instanceof EvrmoreAuthError) throw err;
        throw new EvrmoreAuthError('unavailable', { cause: err });
      }
    };
  }
  return guarded as unknown as AuthStore;
}

/**
 * The wire view of a session.
 *
 * @example
 * ```ts
 * toSessionInfo(record, identity.sessionId); // { id, address, …, current: true }
 * ```
 */
export function toSessionInfo(s: SessionRecord, currentId?: string): SessionInfo {
  const info: SessionInfo = {
    id: s.id,
    address: s.address,
    createdAt: new Date(s.createdAt).toISOString(),
    lastSeenAt: new Date(s.lastSeenAt).toISOString(),
    expiresAt: new Date(s.expiresAt).toISOString(),
    userAgent: s.userAgent,
    ip: s.ip,
  };
  if (currentId !== undefined) info.current = s.id === currentId;
  return info;
}

/**
 * Whether a session is live at `now` (not revoked, not past its idle or absolute end).
 *
 * @example
 * ```ts
 * if (!isLive(await store.getSession(id), Date.now())) throw new EvrmoreAuthError('token_revoked');
 * ```
 */
export function isLive(s: SessionRecord | null, now: number): s is SessionRecord {
  return s !== null && s.revokedAt === null && now < s.expiresAt && now < s.idleExpiresAt;
}

/**
 * Call the application's claims hook; errors propagate (the handler answers 500 and logs).
 *
 * @example
 * ```ts
 * const claims = await loadClaims(runtime, address, { kind: 'signin', sessionId, ip, userAgent });
 * ```
 */
export async function loadClaims(
  rt: AuthRuntime,
  address: string,
  context: {
    kind: 'signin' | 'refresh';
    sessionId: string | null;
    ip: string | null;
    userAgent: string | null;
  },
): Promise<ExtraClaims | undefined> {
  if (!rt.onSignIn) return undefined;
  const claims = await rt.onSignIn(address, context);
  if (claims === undefined || claims === null) return undefined;
  if (typeof claims !== 'object' || Array.isArray(claims))
    throw new TypeError('onSignIn must return an object of claims');
  return claims;
}

/**
 * Sign an access token for `session` and build the token response.
 *
 * @example
 * ```ts
 * const tokens = await mintTokenResponse(runtime, session, claims);
 * ```
 */
export async function mintTokenResponse(
  rt: AuthRuntime,
  session: SessionRecord,
  claims: ExtraClaims | undefined,
): Promise<TokenResponse> {
  const keys = await rt.keys();
  const now = rt.config.now();
  const { token, expiresAt } = await issueAccessToken({
    key: keys[0]!,
    issuer: rt.config.issuer,
    audience: rt.config.audience,
    address: session.address,
    sessionId: session.id,
    fingerprintHash: session.fingerprintHash,
    claims,
    ttlSeconds: rt.config.accessTokenTtlSeconds,
    now,
    randomBytes: rt.config.randomBytes,
  });
  return {
    accessToken: token,
    tokenType: 'Bearer',
    expiresIn: Math.max(0, Math.round((expiresAt - now) / 1000)),
    expiresAt: new Date(expiresAt).toISOString(),
    session: toSessionInfo(session),
  };
}

/**
 * A new refresh token: `{sessionId}.{256 random bits}`; only its hash is stored.
 *
 * @example
 * ```ts
 * const token = newRefreshToken(runtime, session.id);
 * ```
 */
export function newRefreshToken(rt: AuthRuntime, sessionId: string): string {
  return `${sessionId}.${randomToken(rt.config.randomBytes, 32)}`;
}

/**
 * Hash of a refresh token as the store keeps it.
 *
 * @example
 * ```ts
 * await store.createSession(session, await hashRefreshToken(token));
 * ```
 */
export const hashRefreshToken = sha256Base64Url;

/**
 * The session id a refresh token names, or `null` when it is not shaped like one of ours.
 *
 * @example
 * ```ts
 * refreshTokenSessionId('garbage'); // null
 * ```
 */
export function refreshTokenSessionId(token: string | null): string | null {
  if (token === null) return null;
  const m = /^([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/.exec(token);
  return m ? m[1]! : null;
}

/**
 * `set-cookie` values for the refresh cookie (path-scoped to the base path).
 *
 * @example
 * ```ts
 * headers.append('set-cookie', refreshCookie(runtime, token, session));
 * ```
 */
export function refreshCookie(
  rt: AuthRuntime,
  token: string,
  session: Pick<SessionRecord, 'expiresAt' | 'idleExpiresAt'>,
): string {
  const until = Math.min(session.expiresAt, session.idleExpiresAt);
  return serializeCookie(rt.config.cookies.refreshName, token, {
    path: rt.config.basePath,
    maxAgeSeconds: Math.ceil((until - rt.config.now()) / 1000),
    secure: rt.config.cookies.secure,
  });
}

/**
 * The fingerprint cookie (Path=/, lives as long as the session can).
 *
 * @example
 * ```ts
 * headers.append('set-cookie', fingerprintCookie(runtime, value, session));
 * ```
 */
export function fingerprintCookie(
  rt: AuthRuntime,
  value: string,
  session: Pick<SessionRecord, 'expiresAt'>,
): string {
  return serializeCookie(rt.config.cookies.fingerprintName, value, {
    path: '/',
    maxAgeSeconds: Math.ceil((session.expiresAt - rt.config.now()) / 1000),
    secure: rt.config.cookies.secure,
  });
}

/**
 * `set-cookie` values that clear both cookies.
 *
 * @example
 * ```ts
 * for (const c of clearCookies(runtime)) headers.append('set-cookie', c);
 * ```
 */
export function clearCookies(rt: AuthRuntime): string[] {
  const { secure, fingerprintName, refreshName } = rt.config.cookies;
  return [
    serializeCookie(refreshName, '', { path: rt.config.basePath, maxAgeSeconds: 0, secure }),
    serializeCookie(fingerprintName, '', { path: '/', maxAgeSeconds: 0, secure }),
  ];
}

/**
 * Event fields of a request.
 *
 * @example
 * ```ts
 * runtime.events.emit({ type: 'challenge.issued', ...eventBase(ctx), address });
 * ```
 */
export function eventBase(ctx: RequestContext): {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
} {
  return { requestId: ctx.requestId, ip: ctx.ip, userAgent: ctx.userAgent };
}
