// The verified-token cache and the optional bounded-staleness session cache of `authenticate`.
//
// A verified access token is remembered, with the fingerprint cookie it came with, until its
// `exp`, by one SHA-256 of its signature and the cookie (the token itself is not kept; only for
// about a second, see RecentKeys, which spares that hash): a repeated request skips the JWT
// signature check (the dominant per-request cost) and the cookie's own hash, never the rest. On
// every request `authenticate` still checks the expiry (against the cached `exp`), that the
// cookie is the one verified with the token (a different cookie is a miss: full check) and, by
// default, the session in the store.
// With `sessionCheck.maxStalenessMs > 0` a live session is remembered per instance for at most
// that long: revocations made through this instance drop the entry at once; revocations made on
// another instance sharing the store are seen within `maxStalenessMs` (the documented bound).
import { LRUCache } from 'lru-cache';
import * as v from 'valibot';
import type { AccessTokenClaims } from './config.js';
import { integer, parseOptions } from './config/validate.js';
import { sha256Base64Url, sha256Base64UrlSync } from './crypto.js';
import { authError } from './errors.js';
import type { AuthRuntime } from './runtime.js';
import { checkFingerprint } from './tokens.js';
import type { LocalRevocations } from './revocations.js';
import { isLive, type SessionRecord } from './store.js';

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
   * Verified tokens remembered at most (least recently used evicted first). About 1 KB each.
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
  /** `header.payload` of the token (its claims in base64url, not secret; the signature is not kept). */
  signed: string;
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
 * The caches of one `createEvrmoreAuth` instance (`AuthRuntime.caches`).
 *
 * @example
 * ```ts
 * rt.caches.tokens?.size; // verified tokens remembered
 * ```
 */
export interface PerformanceCaches {
  /** Verified tokens by SHA-256 of the token; `null` when `tokenCache: false`. */
  tokens: LRUCache<string, CachedToken> | null;
  /** The keys of `tokens` for the token/cookie pairs of about the last second. */
  recentKeys: RecentKeys;
  /** Live sessions by id; `null` when `sessionCheck.maxStalenessMs` is 0 (exact). */
  sessions: LRUCache<string, CachedSession> | null;
  maxStalenessMs: number;
}

/** `tokenCache` and `sessionCheck` as the server configuration takes them. */
const CacheOptionsSchema = v.object({
  // `true` is the default size, `false` no cache: both become `{ maxEntries }`.
  tokenCache: v.optional(
    v.pipe(
      v.custom<TokenCacheConfig | boolean>(
        (x) => typeof x === 'boolean' || (typeof x === 'object' && x !== null),
        'must be a boolean or { maxEntries }',
      ),
      v.transform((x) => (x === true ? {} : x === false ? { maxEntries: 0 } : x)),
      v.object({ maxEntries: v.optional(integer(0, 10_000_000), 10_000) }),
    ),
    true,
  ),
  sessionCheck: v.optional(
    v.object(
      {
        maxStalenessMs: v.optional(integer(0, 300_000), 0),
        maxEntries: v.optional(integer(0, 10_000_000), 10_000),
      },
      'must be an object { maxStalenessMs, maxEntries }',
    ),
    {},
  ),
});

/**
 * Validate `tokenCache`/`sessionCheck` and make the caches they ask for. Called by
 * `createEvrmoreAuth`, which keeps them on the runtime and lets them hear its revocations
 * ({@link forgetRevokedSessions}).
 *
 * @example
 * ```ts
 * const caches = createPerformanceCaches({ tokenCache: config.tokenCache, sessionCheck: config.sessionCheck });
 * ```
 */
export function createPerformanceCaches(options: {
  tokenCache?: TokenCacheConfig | boolean | undefined;
  sessionCheck?: SessionCheckConfig | undefined;
}): PerformanceCaches {
  const { tokenCache, sessionCheck } = parseOptions('createEvrmoreAuth', CacheOptionsSchema, {
    tokenCache: options.tokenCache,
    sessionCheck: options.sessionCheck,
  });
  const tokenEntries = tokenCache.maxEntries;
  const { maxStalenessMs, maxEntries: sessionEntries } = sessionCheck;
  return {
    tokens: tokenEntries > 0 ? new LRUCache({ max: tokenEntries }) : null,
    recentKeys: new RecentKeys(),
    sessions:
      maxStalenessMs > 0 && sessionEntries > 0 ? new LRUCache({ max: sessionEntries }) : null,
    maxStalenessMs,
  };
}

/**
 * Drop the sessions this instance revokes from `caches.sessions` (when sessions are cached), so
 * that it never serves a session it revoked itself.
 *
 * @example
 * ```ts
 * forgetRevokedSessions(revocations, caches);
 * ```
 */
export function forgetRevokedSessions(
  revocations: LocalRevocations,
  caches: PerformanceCaches,
): void {
  const sessions = caches.sessions;
  if (!sessions) return;
  revocations.listen((notice) => {
    if ('sid' in notice) {
      sessions.delete(notice.sid);
      return;
    }
    const ids: string[] = [];
    for (const [id, entry] of sessions.entries())
      if (entry.session.address === notice.address) ids.push(id);
    for (const id of ids) sessions.delete(id);
  });
}

/** Token/cookie pairs remembered at most (a second's worth of distinct sessions on a busy server). */
const RECENT_KEYS_MAX = 4096;
/** How long a pair is remembered, ms. */
const RECENT_KEYS_MS = 1000;

/**
 * The cache keys of the token/cookie pairs verified in about the last second. A key is one
 * SHA-256, an OpenSSL call that measured as the largest single cost of a cached `authenticate` on
 * a busy server (`pnpm bench auth-route`, bench/README.md), while a client sends the same pair on
 * every request. The pairs are secrets (the token's signature, the fingerprint cookie), so they
 * are kept only here, for at most about a second: all are dropped by a timer (unref'd) a second
 * after the first is remembered, and by the next lookup after that. The token cache itself keeps
 * only their hash, for the token's life. Only pairs of a cache hit (verified) are remembered, at
 * most RECENT_KEYS_MAX of them, so a stranger's junk tokens take no room.
 */
class RecentKeys {
  readonly #keys = new Map<string, string>();
  /** When the pairs are dropped (epoch ms, on the runtime's clock). */
  #until = 0;

  /** The key of `material`, when it was remembered within the last second. */
  get(material: string, now: number): string | undefined {
    if (this.#keys.size === 0) return undefined;
    if (now >= this.#until) {
      this.#keys.clear();
      return undefined;
    }
    return this.#keys.get(material);
  }

  remember(material: string, key: string, now: number): void {
    const keys = this.#keys;
    if (keys.size >= RECENT_KEYS_MAX || keys.has(material)) return;
    if (keys.size === 0) {
      this.#until = now + RECENT_KEYS_MS;
      // Unref'd where timers are objects (Node, Bun, Deno 2): it never keeps a process alive.
      const timer: unknown = setTimeout(() => keys.clear(), RECENT_KEYS_MS);
      (timer as { unref?: () => void }).unref?.();
    }
    keys.set(material, key);
  }

  get size(): number {
    return this.#keys.size;
  }
}

/**
 * The claims of `token` presented with the fingerprint cookie value `fingerprint`: `verify()`
 * (the full JWT check) and the fingerprint check (SHA-256 of the cookie against the token's
 * `fgp`), unless this exact token was verified with this exact cookie before and has not expired.
 * The cache key is one SHA-256 over the token's signature and the cookie, and a hit must also
 * match the token's signed part (`header.payload`, kept beside the claims) in full, so a hit costs
 * one short hash and a string compare and proves both; only pairs that passed both checks are
 * remembered. The cached path
 * still refuses an expired or not-yet-valid token with the same rule and tolerance as the full
 * check, and errors come in the same order: `token_*` before `fingerprint_mismatch`.
 *
 * @example
 * ```ts
 * const claims = await verifyAccessTokenCached(rt, token, cookie, now, () => verifyAccessToken(token, options));
 * ```
 */
export function verifyAccessTokenCached(
  rt: AuthRuntime,
  token: string,
  fingerprint: string | null,
  now: number,
  verify: () => Promise<AccessTokenClaims>,
): Promise<AccessTokenClaims> | AccessTokenClaims {
  const cache = rt.caches.tokens;
  if (
    !cache ||
    token.length > 8192 ||
    fingerprint === null ||
    fingerprint.length === 0 ||
    fingerprint.length > 256
  )
    return verifyBoth(fingerprint, verify);
  const dot = token.lastIndexOf('.');
  if (dot < 0) return verifyBoth(fingerprint, verify);
  // The key hashes only the signature and the cookie (a third of the bytes of the whole token:
  // this runs on every authenticated request); a hit must also match the signed part in full.
  // Verified signatures (base64url) and cookie values hold no ';', so the pair is unambiguous.
  const signed = token.slice(0, dot);
  const material = `${token.slice(dot + 1)};${fingerprint}`;
  // A hit is answered synchronously (no promise).
  const key = rt.caches.recentKeys.get(material, now) ?? sha256Base64UrlSync(material);
  if (key === null)
    return sha256Base64Url(material).then((k) =>
      lookUp(rt, cache, k, material, signed, now, fingerprint, verify),
    );
  return lookUp(rt, cache, key, material, signed, now, fingerprint, verify);
}

function lookUp(
  rt: AuthRuntime,
  cache: LRUCache<string, CachedToken>,
  key: string,
  /** The token's signature and the cookie, whose SHA-256 is `key`. */
  material: string,
  signed: string,
  now: number,
  fingerprint: string,
  verify: () => Promise<AccessTokenClaims>,
): Promise<AccessTokenClaims> | AccessTokenClaims {
  const hit = cache.get(key);
  // Another token with this signature and cookie (only a forgery can be one): the full check.
  if (hit && hit.signed === signed) {
    const tolerance = rt.config.clockToleranceSeconds;
    const nowSeconds = Math.floor(now / 1000);
    // jose's rules: expired when exp <= now - tolerance; not yet valid when nbf > now + tolerance.
    if (hit.exp <= nowSeconds - tolerance) {
      cache.delete(key);
      throw authError('token_expired');
    }
    if (hit.nbf > nowSeconds + tolerance) throw authError('token_invalid');
    rt.caches.recentKeys.remember(material, key, now);
    return { ...hit.claims };
  }
  return verifyBoth(fingerprint, verify).then((claims) => {
    if (typeof claims.exp === 'number' && typeof claims.nbf === 'number')
      cache.set(key, { signed, claims: { ...claims }, exp: claims.exp, nbf: claims.nbf });
    return claims;
  });
}

async function verifyBoth(
  fingerprint: string | null,
  verify: () => Promise<AccessTokenClaims>,
): Promise<AccessTokenClaims> {
  const claims = await verify();
  if (!(await checkFingerprint(fingerprint, claims.fgp))) throw authError('fingerprint_mismatch');
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
export function getSessionForAuth(
  rt: AuthRuntime,
  sid: string,
  now: number,
): Promise<SessionRecord | null> | SessionRecord {
  const { sessions: cache, maxStalenessMs } = rt.caches;
  // The store's own promise, not one more around it (this runs on every authenticated request).
  if (!cache) return rt.store.getSession(sid);
  const hit = cache.get(sid);
  if (hit && now < hit.until && isLive(hit.session, now)) return hit.session;
  return readAndRemember(rt, cache, sid, now, maxStalenessMs);
}

async function readAndRemember(
  rt: AuthRuntime,
  cache: LRUCache<string, CachedSession>,
  sid: string,
  now: number,
  maxStalenessMs: number,
): Promise<SessionRecord | null> {
  const before = rt.revocations.count;
  const session = await rt.store.getSession(sid);
  // A revocation told while the read was out may have landed just after it: not remembered.
  if (isLive(session, now) && rt.revocations.count === before)
    cache.set(sid, { session, until: now + maxStalenessMs });
  else cache.delete(sid);
  return session;
}
