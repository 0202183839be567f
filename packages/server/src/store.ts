// The storage contract of the server package. Every store (memory, Redis, Postgres) implements
// AuthStore with the same atomic semantics; one conformance suite (test/store-conformance) runs
// against each. Times are epoch milliseconds. Secrets never reach a store in the clear: refresh
// tokens, backup codes and fingerprints are stored as hashes, TOTP secrets encrypted, and the
// grace-window token set encrypted under a key derived from the refresh token it answers.

import type { IpListName, StoredIpRule } from './access/ip-lists.js';
import { EvrmoreAuthError } from '@evrmore-auth/core';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/** A challenge as issued: what `/auth/verify` must find byte for byte. */
export interface ChallengeRecord {
  /** The challenge's single-use nonce (its key in the store). */
  nonce: string;
  /** The exact message text issued. */
  message: string;
  /** The address the challenge was issued to. */
  address: string;
  /** The message's domain. */
  domain: string;
  /** The message's `URI:` line. */
  uri: string;
  /** The message's `Chain ID:` line, e.g. `evrmore:mainnet`. */
  chainId: string;
  /** When it was issued, epoch ms. */
  issuedAt: number;
  /** When it stops being accepted, epoch ms. */
  expiresAt: number;
}

/** A sign-in session. */
export interface SessionRecord {
  /** Opaque random identifier (the access token's `sid`). */
  id: string;
  /** The address that signed in. */
  address: string;
  /** Sign-in time, epoch ms. */
  createdAt: number;
  /** Last refresh or authenticated use recorded, epoch ms. */
  lastSeenAt: number;
  /** Absolute end of the session (absolute refresh lifetime). */
  expiresAt: number;
  /** End of the session if it stays idle (sliding, moved by each refresh). */
  idleExpiresAt: number;
  /** User-Agent at sign-in, or `null`. */
  userAgent: string | null;
  /** Client IP at sign-in, or `null` when unknown. */
  ip: string | null;
  /** base64url(SHA-256(fingerprint cookie value)), the token's `fgp` claim. */
  fingerprintHash: string;
  /** Set when revoked; a revoked session never comes back. */
  revokedAt: number | null;
  /** Why it was revoked (`logout`, `revoked`, `refresh_reused`, …). */
  revokedReason: string | null;
  /**
   * The RFC 7638 thumbprint (`jkt`) of the DPoP key the session is bound to (the key of the
   * sign-in's proof), or `null` when unbound. A refresh of a bound session needs a proof made with
   * that key. Every store keeps it and returns `null` for an unbound session; a record without it
   * (made by code written before DPoP) is read as unbound.
   */
  dpopJkt?: string | null;
}

/**
 * Whether a session is live at `now`: known, not revoked, and before both its idle and its
 * absolute end. The one liveness rule of the package (stores, token cache and routes use it).
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
 * The sessions a sign-in over `limit` ends (the address's other live sessions, oldest sign-in
 * first, as many as take it back to the cap), or `null` when `onLimit: 'refuse'` refuses it. The
 * one cap rule of the stores that count in code (memory, Durable Object).
 *
 * @example
 * ```ts
 * const evict = sessionsOverLimit(familiesOf(session.address), session, limit);
 * ```
 */
export function sessionsOverLimit<F extends { session: SessionRecord }>(
  families: Iterable<F>,
  session: SessionRecord,
  limit: SessionLimit,
): F[] | null {
  const live = [...families]
    .filter((f) => f.session.id !== session.id && isLive(f.session, session.createdAt))
    .sort(
      (a, b) => a.session.createdAt - b.session.createdAt || (a.session.id < b.session.id ? -1 : 1),
    );
  const over = live.length + 1 - limit.max;
  if (over > 0 && limit.onLimit === 'refuse') return null;
  return live.slice(0, Math.max(0, over));
}

/**
 * Move a live session's activity forward (never back): `lastSeenAt` to `at`, and the idle end to
 * `idleExpiresAt` (capped by the absolute end) when given. The rule of `touchSession`.
 *
 * @example
 * ```ts
 * if (isLive(s, at)) advanceActivity(s, at, idleEnd);
 * ```
 */
export function advanceActivity(s: SessionRecord, at: number, idleExpiresAt?: number | null): void {
  s.lastSeenAt = Math.max(s.lastSeenAt, at);
  if (idleExpiresAt !== null && idleExpiresAt !== undefined)
    s.idleExpiresAt = Math.max(s.idleExpiresAt, Math.min(s.expiresAt, idleExpiresAt));
}

/** Input of {@link SessionStore.rotateRefresh}. */
export interface RotateRefreshInput {
  /** Hash of the refresh token the client presented. */
  presentedHash: string;
  /** Hash of the new refresh token that replaces it. */
  newHash: string;
  /** The current time, epoch ms. */
  now: number;
  /** A duplicate of an already-rotated token within this many ms gets the grace result. */
  graceMs: number;
  /**
   * The retry window: an already-rotated token presented again within this many ms of its
   * rotation also gets the grace result, as long as its successor has not been presented yet
   * (the successor is still the session's current token). This covers a client that retries a
   * refresh whose answer it never got (a 503 after the store applied the rotation, a lost
   * connection), possibly later than `graceMs`. Once the successor has been rotated, only
   * `graceMs` applies. Values below `graceMs` change nothing.
   * @default 0 (no retry window: only `graceMs` applies)
   */
  retryMs?: number;
  /** The session's new sliding idle expiry. */
  idleExpiresAt: number;
  /**
   * The new token set, encrypted under a key derived from the presented token, handed to a
   * concurrent duplicate within the grace window. Opaque to the store.
   */
  graceBlob: string;
}

/**
 * Outcome of {@link SessionStore.rotateRefresh}; exactly one caller per presented token sees `rotated`.
 *
 * Bounded history: a store keeps, per session, the current hash and the 32 most recently rotated
 * hashes (for reuse detection), and a rotated hash's grace blob only while it can still be served
 * (within `graceMs` of its rotation, or within `retryMs` while its successor is unused). A hash
 * rotated more than 32 rotations ago is forgotten: presenting it answers `invalid`, not `reused`
 * (it is refused either way, but no longer revokes the session).
 */
export type RotateRefreshResult =
  | {
      /** The presented token was current: `newHash` replaces it. */
      kind: 'rotated';
      /** The session, with its new idle expiry. */
      session: SessionRecord;
    }
  /**
   * The token was rotated `< graceMs` ago, or `< retryMs` ago and its successor is unused: the
   * same new token set, from the grace blob.
   */
  | {
      /** A duplicate or retry within the grace or retry window. */
      kind: 'grace';
      /** The session. */
      session: SessionRecord;
      /** The blob stored with the rotation that answered the first caller. */
      graceBlob: string;
    }
  /** Any other already-rotated token the store still remembers: the store has revoked the session. */
  | {
      /** Reuse detected; the session is now revoked. */
      kind: 'reused';
      /** The session as revoked. */
      session: SessionRecord;
    }
  /** Unknown (or forgotten) token, or the session is revoked or expired (idle or absolute). */
  | {
      /** Nothing to rotate. */
      kind: 'invalid';
    };

/** Challenges and other consume-once values. */
export interface ChallengeStore {
  /** Store a challenge until `record.expiresAt`. */
  putChallenge(record: ChallengeRecord): Promise<void>;
  /**
   * Atomically fetch and delete. Of any number of concurrent calls for one nonce (across every
   * instance sharing the store) exactly one gets the record; the others get `null`. Returns an
   * expired record too (so the caller can say `challenge_expired`), as long as the store still has it.
   */
  consumeChallenge(nonce: string): Promise<ChallengeRecord | null>;
}

/**
 * The per-address session cap {@link SessionStore.createSession} enforces (the `sessionPolicy`
 * of the server configuration).
 *
 * @example
 * ```ts
 * await store.createSession(session, hash, { max: 3, onLimit: 'evict-oldest' });
 * ```
 */
export interface SessionLimit {
  /** Most live sessions one address may hold, the new one included (at least 1). */
  max: number;
  /**
   * At the cap: revoke the oldest live sessions (by `createdAt`, reason `session_limit`) to make
   * room, or refuse the new one.
   */
  onLimit: 'evict-oldest' | 'refuse';
}

/**
 * Outcome of {@link SessionStore.createSession}: with a {@link SessionLimit}, the sessions it
 * revoked to make room (`evicted`), or `created: false` when the limit refused the new session
 * (nothing was written).
 */
export type CreateSessionResult =
  | {
      /** The session was created. */
      created: true;
      /** Ids of the address's sessions revoked (reason `session_limit`) to make room, oldest first. */
      evicted: string[];
    }
  | {
      /** The cap was reached and `onLimit` is `refuse`: nothing was written. */
      created: false;
      /** Always `[]`. */
      evicted: string[];
    };

/** Sessions and refresh-token families. */
export interface SessionStore {
  /**
   * Create a session with its first refresh token hash. With `limit`, atomically with the
   * creation: the address's sessions live at `session.createdAt` are counted and, when the new
   * one would exceed `limit.max`, the oldest are revoked with reason `session_limit`
   * (`evict-oldest`) or the session is not created (`refuse`). Of any number of concurrent calls
   * for one address (across every instance sharing the store) the live count never exceeds the
   * cap and exactly the calls over it evict or are refused.
   */
  createSession(
    session: SessionRecord,
    refreshHash: string,
    limit?: SessionLimit,
  ): Promise<CreateSessionResult | void>;
  /**
   * The session, or `null` when unknown. A store may drop a session once it is revoked or expired
   * (the memory store frees a revoked session at once; Redis keeps it briefly; Postgres until
   * `purgeExpired`), so callers treat `null` like a revoked session.
   */
  getSession(id: string): Promise<SessionRecord | null>;
  /** The address's sessions that are neither revoked nor expired at `now`, newest first. */
  listSessions(address: string, now: number): Promise<SessionRecord[]>;
  /**
   * Record activity: move `lastSeenAt` forward to `lastSeenAt` and, when `idleExpiresAt` is
   * given, move the idle end forward to it (capped at the absolute end). Never moves either
   * backwards, and never touches a revoked session or one already expired (idle or absolute) at
   * `lastSeenAt`: activity cannot revive a session.
   */
  touchSession(id: string, lastSeenAt: number, idleExpiresAt?: number): Promise<void>;
  /** Revoke one session; `false` when it did not exist or was already revoked. */
  revokeSession(id: string, now: number, reason: string): Promise<boolean>;
  /** Revoke every live session of `address` except `exceptId`; returns how many. */
  revokeSessions(address: string, now: number, reason: string, exceptId?: string): Promise<number>;
  /** Rotate a refresh token atomically: see {@link RotateRefreshResult}. */
  rotateRefresh(input: RotateRefreshInput): Promise<RotateRefreshResult>;
}

/** Second-factor data of one address (issue: MFA). */
export interface MfaRecord {
  /** The address the record belongs to (its key). */
  address: string;
  /** AES-256-GCM ciphertext of the TOTP secret (with key id), never the secret itself. */
  totpSecretEnc: string | null;
  /** A secret set up but not yet confirmed. */
  pendingSecretEnc: string | null;
  /** Whether sign-ins of the address need the second factor. */
  enabled: boolean;
  /** Hashes of unused backup codes. */
  backupCodeHashes: string[];
  /** The last TOTP time step accepted (a code is accepted at most once). */
  lastTotpStep: number;
  /** Last change, epoch ms. */
  updatedAt: number;
}

/** Second-factor storage. */
export interface MfaStore {
  /** The address's record, or `null` when it never enrolled. */
  getMfa(address: string): Promise<MfaRecord | null>;
  /** Create or replace the record of `record.address`. */
  putMfa(record: MfaRecord): Promise<void>;
  /** Remove the address's record (second factor off); no error when absent. */
  deleteMfa(address: string): Promise<void>;
  /** Atomically accept `step` only if it is greater than the last accepted step. */
  useTotpStep(address: string, step: number): Promise<boolean>;
  /** Atomically remove one backup-code hash; `false` if it was not there (used or wrong). */
  consumeBackupCode(address: string, codeHash: string): Promise<boolean>;
  /** Store a short-lived single-use value (MFA tokens) until `expiresAt`. */
  putOnce(key: string, value: string, expiresAt: number): Promise<void>;
  /** Atomically fetch and delete a value stored with {@link MfaStore.putOnce}. */
  takeOnce(key: string): Promise<string | null>;
}

/**
 * An API key as a store keeps it (issue 19): never the secret, only its SHA-256. The key itself
 * (`evak_<id>_<secret>`) is shown once, when it is created.
 *
 * @example
 * ```ts
 * const record: ApiKeyRecord = {
 *   id: '0123456789abcdef01234567', prefix: 'evak_0123456789abcdef01234567', hash: 'base64url…',
 *   owner: 'E…', name: 'deploy bot', permissions: ['posts:write'], createdAt: Date.now(),
 *   expiresAt: null, ipAllowList: null, revokedAt: null, lastUsedAt: null,
 * };
 * ```
 */
export interface ApiKeyRecord {
  /** The key's id (24 lowercase hex characters), the part after `evak_`; its key in the store. */
  id: string;
  /** The non-secret start of the key, `evak_<id>`, shown in lists to recognise it. */
  prefix: string;
  /** base64url(SHA-256(secret)): the secret itself is never stored. */
  hash: string;
  /** Whose key it is: the identity's `address` when the key is used (an address or a name). */
  owner: string;
  /** A label for people, or `null`. */
  name: string | null;
  /** What the key may do: the identity's `claims.permissions`. */
  permissions: string[];
  /** Creation time, epoch ms. */
  createdAt: number;
  /** When it stops working, epoch ms; `null`: never. */
  expiresAt: number | null;
  /** The IP addresses and CIDR ranges it may be used from; `null`: anywhere. */
  ipAllowList: string[] | null;
  /** When it was revoked, epoch ms; `null` while not revoked. A revoked key never comes back. */
  revokedAt: number | null;
  /** The last accepted use recorded, epoch ms (best effort); `null`: never used. */
  lastUsedAt: number | null;
}

/**
 * API-key storage. Optional in {@link AuthStore} (a store of your own without it works until
 * `createEvrmoreAuth({ apiKeys: { enabled: true } })`, which then refuses to start); the memory,
 * Redis, Postgres and Durable Object stores implement it, shared by every instance on the backend.
 */
export interface ApiKeyStore {
  /** Store a new key (`record.id` is fresh). */
  putApiKey(record: ApiKeyRecord): Promise<void>;
  /** The key with this id, revoked and expired ones included, or `null`. */
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  /** The keys of `owner` (every key without it), revoked and expired ones included, newest first. */
  listApiKeys(owner?: string): Promise<ApiKeyRecord[]>;
  /** Set `revokedAt`; `false` when the key is unknown or already revoked. Atomic. */
  revokeApiKey(id: string, now: number): Promise<boolean>;
  /** Set `lastUsedAt` (best effort; never revives a revoked key, never creates one). */
  touchApiKey(id: string, lastUsedAt: number): Promise<void>;
}

/** Options a store passes to `rate-limiter-flexible`. */
export interface RateLimiterOptions {
  /** Distinguishes limiters sharing one backend. */
  keyPrefix: string;
  /** Allowed events per window. */
  points: number;
  /** Window length in seconds. */
  duration: number;
  /** Seconds to block once the points are spent (0: until the window ends). */
  blockDuration?: number;
}

/**
 * Everything the server keeps. A store that cannot reach its backend rejects with
 * {@link StoreUnavailableError} (the server answers 503 `unavailable`, failing closed), and so do
 * the rate limiters it creates; it never pretends an operation succeeded.
 */
export interface AuthStore extends ChallengeStore, SessionStore, MfaStore {
  /** A human name for logs (`memory`, `redis`, `postgres`). */
  readonly name: string;
  /** {@link ApiKeyStore.putApiKey}; optional until `apiKeys` is enabled. */
  putApiKey?(record: ApiKeyRecord): Promise<void>;
  /** {@link ApiKeyStore.getApiKey}; optional until `apiKeys` is enabled. */
  getApiKey?(id: string): Promise<ApiKeyRecord | null>;
  /** {@link ApiKeyStore.listApiKeys}; optional until `apiKeys` is enabled. */
  listApiKeys?(owner?: string): Promise<ApiKeyRecord[]>;
  /** {@link ApiKeyStore.revokeApiKey}; optional until `apiKeys` is enabled. */
  revokeApiKey?(id: string, now: number): Promise<boolean>;
  /** {@link ApiKeyStore.touchApiKey}; optional until `apiKeys` is enabled. */
  touchApiKey?(id: string, lastUsedAt: number): Promise<void>;
  /** A rate limiter on the same backend (shared across instances for Redis/Postgres). */
  createRateLimiter(options: RateLimiterOptions): RateLimiterAbstract;
  /** Release connections and timers the store owns. */
  close?(): Promise<void>;
  /** IP lists (optional; see `IpListStore`): add or replace a rule. */
  putIpRule?(rule: StoredIpRule): Promise<void>;
  /** IP lists (optional): remove a rule; `false` when there was none. */
  removeIpRule?(list: IpListName, cidr: string): Promise<boolean>;
  /** IP lists (optional): the rules that have not expired at `now`. */
  listIpRules?(now: number): Promise<StoredIpRule[]>;
}

/**
 * The one error a store throws when its backend fails (connection refused or reset, timeout, a
 * driver or database error): an `EvrmoreAuthError` with code `unavailable` (503), so the router
 * answers it like any other protocol error and the server fails closed. The backend's error is
 * kept as `cause`, for logs only; the message never carries it (no URLs, hosts or credentials).
 * Bugs (a `TypeError` in the store's own code) are not dressed up as outages: they stay what
 * they are and the server answers 500.
 *
 * @example
 * ```ts
 * try { await store.getSession(id); } catch (err) {
 *   if (err instanceof StoreUnavailableError) logger.error(err.cause, 'store down');
 * }
 * ```
 */
export class StoreUnavailableError extends EvrmoreAuthError {
  /** Always `StoreUnavailableError`. */
  override readonly name = 'StoreUnavailableError';
  constructor(message = 'store unavailable', options: { cause?: unknown } = {}) {
    super('unavailable', options.cause === undefined ? {} : { cause: options.cause });
    this.message = message;
  }
}
