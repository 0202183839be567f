// The verified-token cache and the optional bounded-staleness session cache of `authenticate`.
//
// A verified access token is remembered, with the fingerprint cookie it came with, until its
// `exp`, by one SHA-256 of its signature and the cookie (the token itself is not kept; only for
// about a second, see RecentPairs, which spares that hash): a repeated request skips the JWT
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
  /** The token/fingerprint-cookie pairs verified in about the last second. */
  recentTokens: RecentPairs;
  /** The `Authorization`/`cookie` header pairs verified in about the last second. */
  recentHeaders: RecentPairs;
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
    recentTokens: new RecentPairs(),
    recentHeaders: new RecentPairs(),
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

/** Pairs remembered at most, per memo (a second's worth of distinct sessions on a busy server). */
const RECENT_MAX = 4096;
/** How long a pair is remembered, ms. */
const RECENT_MS = 1000;
/** The longest pair remembered (credential and companion, characters): a signed-in client that
 *  pads its cookie header to the 8 KB limit on every request is not worth a second of memory. */
const RECENT_MAX_CHARS = 4096;

/** A verified pair's claims, as a memo keeps them. */
interface RecentClaims {
  /** The string the credential came with (the fingerprint cookie, or the whole cookie header). */
  companion: string;
  claims: AccessTokenClaims;
  /** `exp` and `nbf` in epoch seconds. */
  exp: number;
  nbf: number;
}

/**
 * The claims of the credentials verified in about the last second, by the credential as it came:
 * a client sends the same credentials on every request, and the token cache's lookup (one SHA-256,
 * an OpenSSL call that measured as the largest single cost of a cached `authenticate` on a busy
 * server, `pnpm bench auth-route`) and the header parsing before it cost several microseconds
 * more than one map lookup. The credentials are secrets (the token, the fingerprint cookie), so
 * they are kept only here, for at most about a second: all are dropped by a timer (unref'd) a
 * second after the first is remembered, and by the next lookup after that. Only pairs that passed
 * the full check are remembered, at most RECENT_MAX of them and none longer than
 * RECENT_MAX_CHARS, so a stranger's junk tokens take no room. A hit needs both strings equal to a
 * verified pair's, and the expiry is checked again on every hit ({@link unexpired}).
 */
class RecentPairs {
  readonly #pairs = new Map<string, RecentClaims>();
  /** When the pairs are dropped (epoch ms, on the runtime's clock). */
  #until = 0;

  /** What `credential` with `companion` was verified as within the last second, if it was. */
  get(credential: string, companion: string, now: number): RecentClaims | undefined {
    if (this.#pairs.size === 0) return undefined;
    if (now >= this.#until) {
      this.#pairs.clear();
      return undefined;
    }
    const pair = this.#pairs.get(credential);
    return pair !== undefined && pair.companion === companion ? pair : undefined;
  }

  remember(credential: string, companion: string, claims: AccessTokenClaims, now: number): void {
    const pairs = this.#pairs;
    if (
      pairs.size >= RECENT_MAX ||
      credential.length + companion.length > RECENT_MAX_CHARS ||
      typeof claims.exp !== 'number' ||
      typeof claims.nbf !== 'number' ||
      pairs.has(credential)
    )
      return;
    if (pairs.size === 0) {
      this.#until = now + RECENT_MS;
      // Unref'd where timers are objects (Node, Bun, Deno 2): it never keeps a process alive.
      const timer: unknown = setTimeout(() => pairs.clear(), RECENT_MS);
      (timer as { unref?: () => void }).unref?.();
    }
    pairs.set(credential, { companion, claims: { ...claims }, exp: claims.exp, nbf: claims.nbf });
  }

  get size(): number {
    return this.#pairs.size;
  }
}

/** Why remembered claims may not be used at `now`, by jose's rules with the clock tolerance
 *  (expired when `exp <= now - tolerance`, not yet valid when `nbf > now + tolerance`), or `null`
 *  while they may. The one time rule of the token cache and the memos. */
function outOfTime(
  rt: AuthRuntime,
  entry: { exp: number; nbf: number },
  now: number,
): 'token_expired' | 'token_invalid' | null {
  const tolerance = rt.config.clockToleranceSeconds;
  const nowSeconds = Math.floor(now / 1000);
  if (entry.exp <= nowSeconds - tolerance) return 'token_expired';
  return entry.nbf > nowSeconds + tolerance ? 'token_invalid' : null;
}

/** A copy of the remembered claims while they are in time ({@link outOfTime}), else
 *  `undefined`: the full path answers, with its error. */
function unexpired(
  rt: AuthRuntime,
  entry: { claims: AccessTokenClaims; exp: number; nbf: number },
  now: number,
): AccessTokenClaims | undefined {
  return outOfTime(rt, entry, now) === null ? { ...entry.claims } : undefined;
}

/**
 * The claims of an `Authorization: Bearer` header verified with this `cookie` header in about the
 * last second (unbound tokens only; with the token cache on), else `undefined`. Spares the header
 * parsing and the token cache's lookup; the session is still checked by the caller.
 *
 * @example
 * ```ts
 * const claims = recentBearer(rt, header, request.headers.get('cookie'), now);
 * ```
 */
export function recentBearer(
  rt: AuthRuntime,
  header: string,
  cookies: string | null,
  now: number,
): AccessTokenClaims | undefined {
  if (cookies === null) return undefined;
  const entry = rt.caches.recentHeaders.get(header, cookies, now);
  return entry === undefined ? undefined : unexpired(rt, entry, now);
}

/**
 * Remember that `header` with `cookies` verified as `claims` (an unbound token sent as Bearer):
 * {@link recentBearer} answers for it for about a second. Not with `tokenCache: false`.
 *
 * @example
 * ```ts
 * rememberBearer(rt, header, request.headers.get('cookie'), claims, now);
 * ```
 */
export function rememberBearer(
  rt: AuthRuntime,
  header: string,
  cookies: string | null,
  claims: AccessTokenClaims,
  now: number,
): void {
  if (cookies !== null && rt.caches.tokens !== null)
    rt.caches.recentHeaders.remember(header, cookies, claims, now);
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
  // A pair verified in the last second: no hash, no lookup (synchronous, no promise).
  const recent = rt.caches.recentTokens.get(token, fingerprint, now);
  const claims = recent === undefined ? undefined : unexpired(rt, recent, now);
  if (claims !== undefined) return claims;
  const dot = token.lastIndexOf('.');
  if (dot < 0) return verifyBoth(fingerprint, verify);
  // The key hashes only the signature and the cookie (a third of the bytes of the whole token);
  // a hit must also match the signed part in full. Verified signatures (base64url) and cookie
  // values hold no ';', so the pair is unambiguous.
  const signed = token.slice(0, dot);
  const material = `${token.slice(dot + 1)};${fingerprint}`;
  const key = sha256Base64UrlSync(material);
  const found = (k: string) => lookUp(rt, cache, k, signed, now, fingerprint, verify);
  const claimsOf = key === null ? sha256Base64Url(material).then(found) : found(key);
  return claimsOf instanceof Promise
    ? claimsOf.then((c) => remembered(rt, token, fingerprint, c, now))
    : remembered(rt, token, fingerprint, claimsOf, now);
}

/** `claims`, the token/cookie pair remembered for about a second ({@link RecentPairs}). */
function remembered(
  rt: AuthRuntime,
  token: string,
  fingerprint: string,
  claims: AccessTokenClaims,
  now: number,
): AccessTokenClaims {
  rt.caches.recentTokens.remember(token, fingerprint, claims, now);
  return claims;
}

function lookUp(
  rt: AuthRuntime,
  cache: LRUCache<string, CachedToken>,
  key: string,
  signed: string,
  now: number,
  fingerprint: string,
  verify: () => Promise<AccessTokenClaims>,
): Promise<AccessTokenClaims> | AccessTokenClaims {
  const hit = cache.get(key);
  // Another token with this signature and cookie (only a forgery can be one): the full check.
  if (hit && hit.signed === signed) {
    const refused = outOfTime(rt, hit, now);
    if (refused === 'token_expired') cache.delete(key);
    if (refused !== null) throw authError(refused);
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
