// The verified-token cache and the optional bounded-staleness session cache of `authenticate`.
//
// A verified access token is remembered by SHA-256 of its string until its `exp`: a repeated
// request skips the JWT signature check (the dominant per-request cost), never the rest. On every
// request `authenticate` still checks the expiry (against the cached `exp`), the fingerprint
// cookie (against the cached `fgp`) and, by default, the session in the store (exact revocation).
// With `sessionCheck.maxStalenessMs > 0` a live session is remembered per instance for at most
// that long: revocations made through this instance drop the entry at once; revocations made on
// another instance sharing the store are seen within `maxStalenessMs` (the documented bound).
import { EvrmoreAuthError } from '@evrmore-auth/core';
import type { AccessTokenClaims } from './config.js';
import { sha256Base64Url, sha256Base64UrlSync } from './crypto.js';
import type { AuthRuntime } from './runtime.js';
import type { AuthStore, SessionRecord } from './store.js';

/**
 * Options of the verified-token cache (`tokenCache` in the server configuration).
 *
 * @example
 * ```ts
 * createEvrmoreAuth({ domain, keys, tokenCache: { maxEntries: 50_000 } });
 * createEvrmoreAuth({ domain, keys, tokenCache: false }); // verify every signature
 * ```
 */
export interface TokenCacheConfig {
  /**
   * Verified tokens remembered at most (least recently used evicted first). About 0.5 KB each.
   * @default 10000
   */
  maxEntries?: number;
}

/**
 * How `authenticate` checks that the session behind a token is still live.
 *
 * @example
 * ```ts
 * // one store read per session per second at most; a revocation on another instance is
 * // honoured within 1 s, on this instance at once
 * createEvrmoreAuth({ domain, keys, sessionCheck: { maxStalenessMs: 1000 } });
 * ```
 */
export interface SessionCheckConfig {
  /**
   * How long a session seen live may be trusted without asking the store again. `0`: the store
   * is asked on every request, so any revocation on any instance takes effect at once.
   * @default 0
   */
  maxStalenessMs?: number;
  /**
   * Sessions remembered at most when `maxStalenessMs > 0`.
   * @default 10000
   */
  maxEntries?: number;
}

interface CachedToken {
  claims: AccessTokenClaims;
  /** `exp` and `nbf` in epoch seconds. */
  exp: number;
  nbf: number;
}

interface CachedSession {
  session: SessionRecord;
  until: number;
}

/**
 * A size-capped least-recently-used map (insertion order of `Map`; a hit moves the key last).
 *
 * @example
 * ```ts
 * const lru = new Lru<string, number>(2);
 * lru.set('a', 1); lru.set('b', 2); lru.set('c', 3);
 * lru.get('a'); // undefined (evicted)
 * ```
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  constructor(readonly maxEntries: number) {}
  get size(): number {
    return this.#map.size;
  }
  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }
  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.maxEntries) {
      const oldest = this.#map.keys().next().value as K;
      this.#map.delete(oldest);
    }
  }
  delete(key: K): void {
    this.#map.delete(key);
  }
  entries(): IterableIterator<[K, V]> {
    return this.#map.entries();
  }
}

/**
 * The caches of one `createEvrmoreAuth` instance.
 *
 * @example
 * ```ts
 * const caches = performanceCachesOf(auth.runtime);
 * caches.tokens?.size; // verified tokens remembered
 * ```
 */
export interface PerformanceCaches {
  /** Verified tokens by SHA-256 of the token; `null` when `tokenCache: false`. */
  tokens: Lru<string, CachedToken> | null;
  /** Live sessions by id; `null` when `sessionCheck.maxStalenessMs` is 0 (exact). */
  sessions: Lru<string, CachedSession> | null;
  maxStalenessMs: number;
}

const registry = new WeakMap<AuthRuntime, PerformanceCaches>();

function fail(message: string): never {
  throw new TypeError(`createEvrmoreAuth: ${message}`);
}

function count(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    fail(`${name} must be an integer from 0 to ${max}`);
  return value;
}

/**
 * Validate `tokenCache`/`sessionCheck`, attach the caches to `rt` and make `rt.store`'s
 * revocations drop cached sessions at once. Called by `createEvrmoreAuth`.
 *
 * @example
 * ```ts
 * installPerformanceCaches(rt, { tokenCache: config.tokenCache, sessionCheck: config.sessionCheck });
 * ```
 */
export function installPerformanceCaches(
  rt: AuthRuntime,
  options: { tokenCache?: TokenCacheConfig | boolean; sessionCheck?: SessionCheckConfig },
): void {
  const tc = options.tokenCache ?? true;
  if (typeof tc !== 'boolean' && (typeof tc !== 'object' || tc === null))
    fail('tokenCache must be a boolean or { maxEntries }');
  const tokenEntries =
    tc === false
      ? 0
      : count('tokenCache.maxEntries', tc === true ? undefined : tc.maxEntries, 10_000, 10_000_000);
  const sc = options.sessionCheck ?? {};
  if (typeof sc !== 'object' || sc === null)
    fail('sessionCheck must be an object { maxStalenessMs, maxEntries }');
  const maxStalenessMs = count('sessionCheck.maxStalenessMs', sc.maxStalenessMs, 0, 300_000);
  const sessionEntries = count('sessionCheck.maxEntries', sc.maxEntries, 10_000, 10_000_000);
  const caches: PerformanceCaches = {
    tokens: tokenEntries > 0 ? new Lru(tokenEntries) : null,
    sessions: maxStalenessMs > 0 && sessionEntries > 0 ? new Lru(sessionEntries) : null,
    maxStalenessMs,
  };
  registry.set(rt, caches);
  if (caches.sessions) rt.store = invalidatingStore(rt.store, caches.sessions);
}

/**
 * The caches of a runtime (`null` when none were installed).
 *
 * @example
 * ```ts
 * performanceCachesOf(auth.runtime)?.tokens?.size;
 * ```
 */
export function performanceCachesOf(rt: AuthRuntime): PerformanceCaches | null {
  return registry.get(rt) ?? null;
}

/** Wrap the revoking calls of `store` so that this instance forgets the sessions they end. */
function invalidatingStore(store: AuthStore, sessions: Lru<string, CachedSession>): AuthStore {
  const forgetAddress = (address: string): void => {
    for (const [id, entry] of [...sessions.entries()])
      if (entry.session.address === address) sessions.delete(id);
  };
  return Object.assign(Object.create(store) as AuthStore, {
    async revokeSession(id: string, now: number, reason: string) {
      sessions.delete(id);
      return store.revokeSession(id, now, reason);
    },
    async revokeSessions(address: string, now: number, reason: string, exceptId?: string) {
      forgetAddress(address);
      return store.revokeSessions(address, now, reason, exceptId);
    },
    async rotateRefresh(input: Parameters<AuthStore['rotateRefresh']>[0]) {
      const result = await store.rotateRefresh(input);
      // `reused` means the store just revoked the session.
      if (result.kind === 'reused') sessions.delete(result.session.id);
      return result;
    },
  });
}

/**
 * `verify()` (the full JWT check) unless this exact token was verified before and has not
 * expired; the cached path still refuses an expired or not-yet-valid token with the same rule
 * and tolerance as the full check.
 *
 * @example
 * ```ts
 * const claims = await verifyAccessTokenCached(rt, token, now, () => verifyAccessToken(token, options));
 * ```
 */
export async function verifyAccessTokenCached(
  rt: AuthRuntime,
  token: string,
  now: number,
  verify: () => Promise<AccessTokenClaims>,
): Promise<AccessTokenClaims> {
  const cache = registry.get(rt)?.tokens;
  if (!cache || token.length > 8192) return verify();
  const key = sha256Base64UrlSync(token) ?? (await sha256Base64Url(token));
  const hit = cache.get(key);
  const tolerance = rt.config.clockToleranceSeconds;
  const nowSeconds = Math.floor(now / 1000);
  if (hit) {
    // jose's rules: expired when exp <= now - tolerance; not yet valid when nbf > now + tolerance.
    if (hit.exp <= nowSeconds - tolerance) {
      cache.delete(key);
      throw new EvrmoreAuthError('token_expired');
    }
    if (hit.nbf > nowSeconds + tolerance) throw new EvrmoreAuthError('token_invalid');
    return { ...hit.claims };
  }
  const claims = await verify();
  if (typeof claims.exp === 'number' && typeof claims.nbf === 'number')
    cache.set(key, { claims: { ...claims }, exp: claims.exp, nbf: claims.nbf });
  return claims;
}

/**
 * The session `sid` from the store, or, with `sessionCheck.maxStalenessMs > 0`, from this
 * instance's cache when it was seen live less than `maxStalenessMs` ago. Only live sessions are
 * cached, and a cached session no longer live at `now` is read again from the store.
 *
 * @example
 * ```ts
 * const session = await getSessionForAuth(rt, claims.sid, now);
 * ```
 */
export async function getSessionForAuth(
  rt: AuthRuntime,
  sid: string,
  now: number,
): Promise<SessionRecord | null> {
  const caches = registry.get(rt);
  const cache = caches?.sessions;
  if (!cache) return rt.store.getSession(sid);
  const hit = cache.get(sid);
  if (hit && now < hit.until && isLiveAt(hit.session, now)) return hit.session;
  const session = await rt.store.getSession(sid);
  if (session && isLiveAt(session, now))
    cache.set(sid, { session, until: now + caches.maxStalenessMs });
  else cache.delete(sid);
  return session;
}

function isLiveAt(s: SessionRecord, now: number): boolean {
  return s.revokedAt === null && now < s.expiresAt && now < s.idleExpiresAt;
}
