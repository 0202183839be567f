// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient declaration (no module to import): programs that compile this file through an import (bench, tests) need it too
/// <reference path="./rate-limiter-flexible-files.d.ts" />
// Redis store: every server instance sharing one Redis (or Redis Cluster) sees the same
// challenges, sessions, refresh-token families, revocations, MFA data and rate-limit counters.
//
// Atomicity: each mutating operation is one command (GETDEL, SREM) or one Lua script whose keys
// share a hash tag (one cluster slot). Refresh rotation is two steps: (1) GET the write-once
// lookup `rt:{hash}` -> session id; (2) one Lua script on the session's slot that decides
// rotated / grace / reused / invalid from the session's own state (`cur`, `prev` and the
// `t:<hash>` marks of retired hashes). Step 1 reads a value that never changes once written, so
// every decision is taken inside step 2 under Redis's single-threaded script execution: exactly
// one caller per presented hash sees `rotated`, across every instance.
//
// Bounded: the script keeps the REFRESH_HISTORY_LIMIT newest retired hashes (a sorted-set
// companion orders them) and a grace blob only while it can be served; lookups of forgotten
// hashes are deleted after the script (other slots), best effort. A revoked session lingers for
// `revokedRetentionMs` only; a live one until its idle expiry.

import type { IpListName, StoredIpRule } from '../access/ip-lists.js';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import type * as Rlf from 'rate-limiter-flexible';
// By deep path, as in rate-limiter-flexible.ts (the package's index loads every backend).
import RateLimiterRedisFile from 'rate-limiter-flexible/lib/RateLimiterRedis.js';
import {
  isLive,
  type ApiKeyStore,
  type AuthStore,
  type ChallengeRecord,
  type CreateSessionResult,
  type MfaRecord,
  type RotateRefreshResult,
  type SessionLimit,
  type SessionRecord,
} from '../store.js';
import * as v from 'valibot';
import { factoryOptions, fn, integer, parseOptions } from '../config/validate.js';
import { failClosedLimiter, guard } from './backend-errors.js';
import { decodeSession, SESSION_FIELDS, type SessionField } from './session-fields.js';
import { REFRESH_HISTORY_LIMIT } from './refresh-history.js';
import { redisKeys } from './redis-keys.js';
import { redisApiKeys } from './redis-api-keys.js';
import {
  CREATE_SESSION,
  GET_MFA,
  ADMIT_SESSION,
  PUT_MFA,
  REVOKE_SESSION,
  ROTATE_REFRESH,
  TOUCH_SESSION,
  USE_TOTP_STEP,
} from './redis-scripts.js';

const RateLimiterRedis = RateLimiterRedisFile as typeof Rlf.RateLimiterRedis;

/** Field → its position in an HMGET of SESSION_FIELDS, computed once. */
const FIELD_INDEX = Object.fromEntries(SESSION_FIELDS.map((f, i) => [f, i])) as Record<
  SessionField,
  number
>;

export { combineStores, type CombineStoresOptions } from './combine.js';

/**
 * Options of {@link createRedisStore}: an ioredis client you own, or a URL.
 *
 * @example
 * ```ts
 * const options: RedisStoreOptions = { url: 'redis://127.0.0.1:6379', keyPrefix: 'app:auth:' };
 * ```
 */
export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster` client (you own it: `close()` leaves it open). */
  client?: Redis | Cluster;
  /** A Redis URL; the store creates (and closes) a client with {@link REDIS_CLIENT_DEFAULTS}. */
  url?: string;
  /**
   * Prefix of every key (must not contain `{` or `}`: hash tags are the store's).
   * @default 'evrauth:'
   */
  keyPrefix?: string;
  /**
   * How long a session's grace blobs are kept beyond the longest window they can be served in
   * (max of grace and retry windows, from the last rotation), so a clock that is slightly behind
   * still finds them.
   * @default 60000
   */
  graceRetentionMs?: number;
  /**
   * How long a revoked session stays readable (with `revokedAt`/`revokedReason`) before Redis
   * drops it, its history and its lookups. Its tokens are refused either way.
   * @default 60000
   */
  revokedRetentionMs?: number;
  /**
   * How long a challenge stays after its `expiresAt`, so a late submission is told
   * `challenge_expired` rather than `challenge_unknown` (the record comes back with its past expiry).
   * @default 60000
   */
  challengeRetentionMs?: number;
  /**
   * How long an operation waits for a (re)connecting client before failing with
   * StoreUnavailableError.
   * @default 2000
   */
  readyTimeoutMs?: number;
  /**
   * The clock used to turn absolute expiries into Redis TTLs (inject the server's clock in tests).
   * @default Date.now
   */
  now?: () => number;
}

/**
 * ioredis options used when the store creates its own client (`url`). Commands fail fast during
 * an outage instead of queueing: no offline queue (a command is never sent late, after its caller
 * was already told 503), commands in flight when the connection drops are rejected rather than
 * resent (`autoResendUnfulfilledCommands: false`), each command times out after 2 s
 * (`commandTimeout`), and the client keeps reconnecting (every ≤ 1 s) so service resumes by
 * itself. While the client is (re)connecting the store waits up to `readyTimeoutMs` for it, then
 * fails with StoreUnavailableError. Use the same options for a client you pass in.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const client = new Redis(process.env.REDIS_URL!, REDIS_CLIENT_DEFAULTS);
 * const store = createRedisStore({ client });
 * ```
 */
export const REDIS_CLIENT_DEFAULTS: RedisOptions = {
  commandTimeout: 2000,
  connectTimeout: 2000,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  retryStrategy: (times: number) => Math.min(times * 100, 1000),
};

/**
 * A Redis-backed {@link AuthStore}.
 *
 * @example
 * ```ts
 * const store: RedisStore = createRedisStore({ url: process.env.REDIS_URL });
 * await store.close();
 * ```
 */
export interface RedisStore extends Omit<AuthStore, keyof ApiKeyStore>, ApiKeyStore {
  /** Add or replace an IP allow/deny rule (see `auth.ipLists`). */
  putIpRule(rule: StoredIpRule): Promise<void>;
  /** Remove an IP rule; `false` when there was none. */
  removeIpRule(list: IpListName, cidr: string): Promise<boolean>;
  /** The IP rules that have not expired at `now`. */
  listIpRules(now: number): Promise<StoredIpRule[]>;
  readonly name: 'redis';
  /** The ioredis client in use. */
  readonly client: Redis | Cluster;
  /**
   * The pub/sub channel on which the store publishes the id of every session it revokes
   * (`<keyPrefix>revoked`): the WebSocket helpers (`@evrmore-auth/server/ws`) of every instance
   * subscribe to it and close that session's sockets at once.
   */
  readonly revocationChannel: string;
  close(): Promise<void>;
}

const DEFAULT_PREFIX = 'evrauth:';
/** How long a session evicted before its record was written stays revoked in advance. */
const TOMBSTONE_MS = 60_000;
/** The lookup of a new refresh hash is written before rotation; this bounds an unused one. */
const NEW_LOOKUP_TTL_MS = 31 * 24 * 3600 * 1000;

interface ScriptClient {
  evrauthRotate(...args: (string | number)[]): Promise<unknown[]>;
  evrauthCreateSession(...args: (string | number)[]): Promise<number>;
  evrauthAdmitSession(...args: (string | number)[]): Promise<[number, ...string[]]>;
  evrauthRevoke(...args: (string | number)[]): Promise<[number, ...string[]]>;
  evrauthTouch2(...args: (string | number)[]): Promise<string[]>;
  evrauthPutMfa(...args: (string | number)[]): Promise<number>;
  evrauthGetMfa(...args: (string | number)[]): Promise<[string[], string[]]>;
  evrauthUseTotpStep(...args: (string | number)[]): Promise<number>;
}

const SCRIPTS: Record<keyof ScriptClient, { numberOfKeys: number; lua: string }> = {
  evrauthRotate: { numberOfKeys: 3, lua: ROTATE_REFRESH },
  evrauthCreateSession: { numberOfKeys: 1, lua: CREATE_SESSION },
  evrauthAdmitSession: { numberOfKeys: 2, lua: ADMIT_SESSION },
  evrauthRevoke: { numberOfKeys: 3, lua: REVOKE_SESSION },
  evrauthTouch2: { numberOfKeys: 2, lua: TOUCH_SESSION },
  evrauthPutMfa: { numberOfKeys: 2, lua: PUT_MFA },
  evrauthGetMfa: { numberOfKeys: 2, lua: GET_MFA },
  evrauthUseTotpStep: { numberOfKeys: 1, lua: USE_TOTP_STEP },
};

function flatToObject(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

/** The session's non-null fields as a flat field/value list (HSET's arguments). */
function sessionFields(s: SessionRecord): string[] {
  return SESSION_FIELDS.flatMap((f) => {
    const value = s[f];
    return value === null || value === undefined ? [] : [f, String(value)];
  });
}

const retention = (fallback: number) =>
  v.optional(integer(0, undefined, 'must be a non-negative integer'), fallback);
/** {@link RedisStoreOptions} with their defaults. */
const REDIS_STORE_OPTIONS = v.pipe(
  factoryOptions({
    client: v.optional(
      v.custom<Redis | Cluster>(
        (x) => typeof x === 'object' && x !== null,
        'must be an ioredis client',
      ),
    ),
    url: v.optional(
      v.pipe(v.string('must be a non-empty string'), v.nonEmpty('must be a non-empty string')),
    ),
    keyPrefix: v.optional(
      v.pipe(
        v.string('must be a string without `{` or `}`'),
        v.regex(/^[^{}]*$/, 'must be a string without `{` or `}`'),
      ),
      DEFAULT_PREFIX,
    ),
    graceRetentionMs: retention(60_000),
    revokedRetentionMs: retention(60_000),
    challengeRetentionMs: retention(60_000),
    readyTimeoutMs: retention(2000),
    now: v.optional(fn<() => number>(), () => Date.now),
  }),
  v.check(
    (o) => (o.client === undefined) !== (o.url === undefined),
    'pass exactly one of `client` or `url`',
  ),
);

/**
 * Creates a Redis store. Pass an ioredis client (`client`) or a `url`.
 *
 * Fails closed: any Redis error (connection refused, timeout) rejects with
 * `StoreUnavailableError`, which the server answers with 503 `unavailable`.
 *
 * @example
 * ```ts
 * import { createEvrmoreAuth } from '@evrmore-auth/server';
 * import { createRedisStore } from '@evrmore-auth/server/redis';
 *
 * const store = createRedisStore({ url: process.env.REDIS_URL, keyPrefix: 'myapp:auth:' });
 * const auth = createEvrmoreAuth({ store, ...config });
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const {
    client: given,
    url,
    keyPrefix: prefix,
    graceRetentionMs,
    revokedRetentionMs,
    challengeRetentionMs,
    readyTimeoutMs,
    now,
  } = parseOptions('createRedisStore', REDIS_STORE_OPTIONS, options, {
    quote: (path) => `\`${path}\``,
  });
  const owned = given === undefined;
  const client: Redis | Cluster = given ?? new Redis(url!, REDIS_CLIENT_DEFAULTS);
  if (owned) client.on('error', () => {}); // failures surface per command as StoreUnavailableError
  const revocationChannel = `${prefix}revoked`;
  for (const [name, def] of Object.entries(SCRIPTS)) {
    if (!(name in client)) client.defineCommand(name, def);
  }
  const sc = client as unknown as ScriptClient;
  const k = redisKeys(prefix);
  let waiting: Promise<void> | null = null;
  /** Resolves when the client is ready; one shared wait per disconnected period. */
  const ready = (): Promise<void> => {
    if (client.status === 'ready') return Promise.resolve();
    if (client.status === 'wait') void client.connect().catch(() => {}); // lazyConnect clients
    waiting ??= new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        client.off('ready', onReady);
        waiting = null;
      };
      const onReady = () => {
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`redis not ready (status ${client.status})`));
      }, readyTimeoutMs);
      timer.unref?.();
      client.on('ready', onReady);
    });
    return waiting;
  };
  const run = <T>(fn: () => Promise<T>) =>
    guard('redis', async () => {
      await ready();
      return fn();
    });
  const ttl = (expiresAt: number) => Math.max(1, Math.ceil(expiresAt - now()));

  async function loadSession(id: string): Promise<SessionRecord | null> {
    const values = await client.hmget(k.session(id), ...SESSION_FIELDS);
    return decodeSession((f) => values[FIELD_INDEX[f]]);
  }

  /**
   * Lookups of forgotten hashes (deleted) or of a revoked family (shortened to the retention).
   * Best effort, after the decision was stored: a failure leaves a lookup to its own TTL, and a
   * lookup whose session no longer knows the hash only ever answers `invalid`.
   */
  async function tidyLookups(hashes: string[], keepMs: number | null): Promise<void> {
    if (hashes.length === 0) return;
    await Promise.all(
      hashes.map((x) =>
        keepMs === null ? client.del(k.refresh(x)) : client.pexpire(k.refresh(x), keepMs),
      ),
    ).catch(() => {});
  }

  async function revokeOne(
    id: string,
    at: number,
    reason: string,
    onlyLive: boolean,
    tombstone = false,
  ) {
    const [done, address, ...hashes] = await sc.evrauthRevoke(
      k.session(id),
      k.graceBlobs(id),
      k.history(id),
      at,
      reason,
      onlyLive ? '1' : '0',
      revokedRetentionMs,
      tombstone ? TOMBSTONE_MS : '',
    );
    if (done !== 1) return false;
    // Out of the address's live ledger, so the session cap no longer counts it.
    if (address) await client.zrem(k.addressLive(address), id);
    await tidyLookups(hashes, revokedRetentionMs);
    announceRevoked(id);
    return true;
  }

  /** Publish a revoked session's id (best effort: the sockets' polling is the fallback). */
  function announceRevoked(id: string): void {
    try {
      void client.publish(revocationChannel, id).catch(() => {});
    } catch {
      // a client that cannot send now: the sockets' polling sees the revocation instead
    }
  }

  /** Move a session's end of life in its address's ledger (only while the ledger holds it). */
  async function moveLedger(address: string, id: string, liveUntil: number): Promise<void> {
    await client.zadd(k.addressLive(address), 'XX', 'GT', liveUntil, id);
  }

  /** The session's record and its first refresh lookup (after the address admitted it). */
  async function writeSession(session: SessionRecord, refreshHash: string, life: number) {
    const written = await sc.evrauthCreateSession(
      k.session(session.id),
      ttl(Math.min(session.expiresAt, session.idleExpiresAt)),
      ...sessionFields(session),
      'cur',
      refreshHash,
    );
    // Evicted by a concurrent sign-in before it was written: it stays revoked (no lookup needed).
    if (written !== 1) return;
    await client.set(k.refresh(refreshHash), session.id, 'PX', life);
  }

  const store: RedisStore = {
    name: 'redis',
    client,
    revocationChannel,

    putChallenge: (record) =>
      run(async () => {
        await client.set(
          k.challenge(record.nonce),
          JSON.stringify(record),
          'PX',
          ttl(record.expiresAt + challengeRetentionMs),
        );
      }),

    consumeChallenge: (nonce: string) =>
      run(async () => {
        const raw = await client.getdel(k.challenge(nonce));
        return raw === null ? null : (JSON.parse(raw) as ChallengeRecord);
      }),

    createSession: (session: SessionRecord, refreshHash: string, limit?: SessionLimit) =>
      run(async (): Promise<CreateSessionResult> => {
        const life = ttl(session.expiresAt);
        // The cap is decided first, on the address's slot, before anything else is written.
        const [admitted, ...evicted] = await sc.evrauthAdmitSession(
          k.addressSessions(session.address),
          k.addressLive(session.address),
          session.createdAt,
          limit?.max ?? 0,
          limit?.onLimit ?? 'evict-oldest',
          session.id,
          session.createdAt,
          Math.min(session.expiresAt, session.idleExpiresAt),
          life,
        );
        if (admitted !== 1) return { created: false, evicted: [] };
        try {
          // The evicted first: the address never holds more live sessions than the cap.
          for (const id of evicted)
            await revokeOne(id, session.createdAt, 'session_limit', false, true);
          await writeSession(session, refreshHash, life);
        } catch (err) {
          // Not created after all: out of the ledger (best effort), so it cannot hold a slot.
          await client.zrem(k.addressLive(session.address), session.id).catch(() => {});
          throw err;
        }
        return { created: true, evicted };
      }),

    getSession: (id: string) => run(() => loadSession(id)),

    listSessions: (address: string, at: number) =>
      run(async () => {
        const index = k.addressSessions(address);
        const ids = await client.zrevrange(index, 0, -1);
        const sessions = await Promise.all(ids.map((id) => loadSession(id)));
        const live: SessionRecord[] = [];
        const stale: string[] = [];
        sessions.forEach((s, i) => {
          if (s !== null && isLive(s, at)) live.push(s);
          // Revoked or gone sessions never come back; idle/absolute expiry is final too.
          else stale.push(ids[i]!);
        });
        if (stale.length > 0) await client.zrem(index, ...stale);
        return live.sort((a, b) => b.createdAt - a.createdAt);
      }),

    touchSession: (id: string, lastSeenAt: number, idleExpiresAt?: number) =>
      run(async () => {
        const [address, liveUntil] = await sc.evrauthTouch2(
          k.session(id),
          k.history(id),
          lastSeenAt,
          idleExpiresAt ?? '',
        );
        if (address !== undefined && liveUntil !== undefined)
          await moveLedger(address, id, Number(liveUntil));
      }),

    revokeSession: (id: string, at: number, reason: string) =>
      run(() => revokeOne(id, at, reason, false)),

    revokeSessions: (address: string, at: number, reason: string, exceptId?: string) =>
      run(async () => {
        const ids = await client.zrange(k.addressSessions(address), 0, -1);
        const results = await Promise.all(
          ids.filter((id) => id !== exceptId).map((id) => revokeOne(id, at, reason, true)),
        );
        return results.filter(Boolean).length;
      }),

    rotateRefresh: (input) =>
      run(async (): Promise<RotateRefreshResult> => {
        const sid = await client.get(k.refresh(input.presentedHash));
        if (sid === null) return { kind: 'invalid' };
        // The new hash's lookup exists before the script can make it current, so a client never
        // holds a refresh token that cannot be found. If this call does not rotate, it is removed.
        await client.set(k.refresh(input.newHash), sid, 'PX', NEW_LOOKUP_TTL_MS, 'NX');
        const reply = await sc.evrauthRotate(
          k.session(sid),
          k.graceBlobs(sid),
          k.history(sid),
          input.presentedHash,
          input.newHash,
          input.now,
          input.graceMs,
          input.idleExpiresAt,
          input.graceBlob,
          input.retryMs ?? 0,
          graceRetentionMs,
          REFRESH_HISTORY_LIMIT,
          revokedRetentionMs,
        );
        const kind = reply[0] as RotateRefreshResult['kind'];
        const fields = reply[1] ? flatToObject(reply[1] as string[]) : null;
        const session = fields ? decodeSession((f) => fields[f]) : null;
        if (kind === 'rotated' && session) {
          await client.pexpire(k.refresh(input.newHash), ttl(session.expiresAt));
          await moveLedger(
            session.address,
            session.id,
            Math.min(session.expiresAt, session.idleExpiresAt),
          );
          await tidyLookups(reply[2] as string[], null);
          return { kind, session };
        }
        await client.del(k.refresh(input.newHash));
        if (kind === 'grace' && session) return { kind, session, graceBlob: String(reply[2]) };
        if (kind === 'reused' && session) {
          await client.zrem(k.addressLive(session.address), session.id);
          await tidyLookups(reply[2] as string[], revokedRetentionMs);
          announceRevoked(session.id);
          return { kind, session };
        }
        return { kind: 'invalid' };
      }),

    getMfa: (address: string) =>
      run(async () => {
        const [flat, codes] = await sc.evrauthGetMfa(k.mfa(address), k.mfaCodes(address));
        const h = flatToObject(flat);
        if (h.address === undefined) return null;
        return {
          address: h.address,
          totpSecretEnc: h.totpSecretEnc ?? null,
          pendingSecretEnc: h.pendingSecretEnc ?? null,
          enabled: h.enabled === '1',
          backupCodeHashes: codes.sort(),
          lastTotpStep: Number(h.lastTotpStep),
          updatedAt: Number(h.updatedAt),
        } satisfies MfaRecord;
      }),

    putMfa: (r) =>
      run(async () => {
        const fields = [
          'address',
          r.address,
          'enabled',
          r.enabled ? '1' : '0',
          'lastTotpStep',
          String(r.lastTotpStep),
          'updatedAt',
          String(r.updatedAt),
        ];
        if (r.totpSecretEnc !== null) fields.push('totpSecretEnc', r.totpSecretEnc);
        if (r.pendingSecretEnc !== null) fields.push('pendingSecretEnc', r.pendingSecretEnc);
        await sc.evrauthPutMfa(
          k.mfa(r.address),
          k.mfaCodes(r.address),
          r.backupCodeHashes.length,
          ...r.backupCodeHashes,
          ...fields,
        );
      }),

    deleteMfa: (address: string) =>
      run(async () => {
        await client.del(k.mfa(address), k.mfaCodes(address));
      }),

    useTotpStep: (address: string, step: number) =>
      run(async () => (await sc.evrauthUseTotpStep(k.mfa(address), step)) === 1),

    consumeBackupCode: (address: string, codeHash: string) =>
      run(async () => (await client.srem(k.mfaCodes(address), codeHash)) === 1),

    putOnce: (key: string, value: string, expiresAt: number) =>
      run(async () => {
        await client.set(k.once(key), value, 'PX', ttl(expiresAt));
      }),

    takeOnce: (key: string) => run(() => client.getdel(k.once(key))),

    putIpRule: (rule: StoredIpRule) =>
      run(async () => {
        await client.hset(k.ipRules(), `${rule.list}|${rule.cidr}`, JSON.stringify(rule));
      }),

    removeIpRule: (list: IpListName, cidr: string) =>
      run(async () => (await client.hdel(k.ipRules(), `${list}|${cidr}`)) === 1),

    listIpRules: (at: number) =>
      run(async () => {
        const all = await client.hgetall(k.ipRules());
        const out: StoredIpRule[] = [];
        const expired: string[] = [];
        for (const [field, json] of Object.entries(all)) {
          let rule: StoredIpRule;
          try {
            rule = JSON.parse(json) as StoredIpRule;
          } catch {
            continue; // not ours to guess at; skipped
          }
          if (rule.expiresAt !== null && rule.expiresAt <= at) expired.push(field);
          else out.push(rule);
        }
        if (expired.length > 0) await client.hdel(k.ipRules(), ...expired);
        return out;
      }),

    ...redisApiKeys(client, prefix, run),

    createRateLimiter(o) {
      return failClosedLimiter(
        'redis',
        new RateLimiterRedis({
          storeClient: client,
          keyPrefix: k.rateLimit(o.keyPrefix),
          points: o.points,
          duration: o.duration,
          blockDuration: o.blockDuration ?? 0,
        }),
        ready,
      );
    },

    async close() {
      if (owned) await client.quit().catch(() => client.disconnect());
    },
  };
  return store;
}
