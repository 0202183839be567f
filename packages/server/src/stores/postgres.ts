// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an ambient declaration (no module to import): programs that compile this file through an import (bench, tests) need it too
/// <reference path="./rate-limiter-flexible-files.d.ts" />
// Postgres store: durable sessions, refresh-token families, MFA data, challenges and rate limits
// shared by every server instance using one database.
//
// Atomicity: consume-once values use `DELETE … RETURNING` (one statement; of concurrent deletes
// exactly one gets the row). Refresh rotation is one READ COMMITTED transaction that first locks
// the session row (`SELECT … FOR UPDATE`), then reads the presented token's state with a fresh
// snapshot, so concurrent rotations of one family run one after another; a serialization failure
// or deadlock (40001 / 40P01) retries the whole transaction. The per-address session cap is a
// transaction holding an advisory lock on the address (`pg_advisory_xact_lock`), so concurrent
// sign-ins of one address count, evict and insert one after another.
//
// Bounded: the rotation transaction deletes the family's rotated rows beyond the newest
// REFRESH_HISTORY_LIMIT and nulls grace blobs that can no longer be served; purgeExpired()
// deletes expired and revoked sessions (their rows cascade) and blobs past their window.

import type { IpListName, StoredIpRule } from '../access/ip-lists.js';
import pg from 'pg';
import type { Pool, PoolClient, PoolConfig } from 'pg';
import type * as Rlf from 'rate-limiter-flexible';
// By deep path, as in rate-limiter-flexible.ts (the package's index loads every backend).
import RateLimiterPostgresFile from 'rate-limiter-flexible/lib/RateLimiterPostgres.js';
import {
  isLive,
  type ApiKeyStore,
  type AuthStore,
  type ChallengeRecord,
  type CreateSessionResult,
  type MfaRecord,
  type RotateRefreshInput,
  type RotateRefreshResult,
  type SessionLimit,
  type SessionRecord,
} from '../store.js';
import * as v from 'valibot';
import { factoryOptions, fn, integer, parseOptions } from '../config/validate.js';
import { failClosedLimiter, guard } from './backend-errors.js';
import { postgresApiKeys } from './postgres-api-keys.js';
import {
  decodeSession,
  SESSION_FIELDS,
  sessionColumn,
  type SessionField,
} from './session-fields.js';
import { MIGRATIONS } from './postgres-migrations.js';
import { REFRESH_HISTORY_LIMIT } from './refresh-history.js';

const RateLimiterPostgres = RateLimiterPostgresFile as typeof Rlf.RateLimiterPostgres;

export { combineStores, type CombineStoresOptions } from './combine.js';
export { MIGRATIONS, type Migration } from './postgres-migrations.js';

/**
 * Options of {@link createPostgresStore}: a `pg` pool you own, or a connection string.
 *
 * @example
 * ```ts
 * const options: PostgresStoreOptions = { connectionString: process.env.DATABASE_URL, schema: 'auth' };
 * ```
 */
export interface PostgresStoreOptions {
  /** A `pg.Pool` (you own it: `close()` leaves it open). */
  pool?: Pool;
  /** A connection string; the store creates (and closes) a pool with {@link PG_POOL_DEFAULTS}. */
  connectionString?: string;
  /**
   * Schema holding the store's tables (created by `migrate()`); lower-case letters, digits, `_`.
   * @default 'evrmore_auth'
   */
  schema?: string;
  /**
   * How long purgeExpired keeps a retired refresh token's grace blob after the last moment it
   * could be served (slack for instances whose clocks differ).
   * @default 60000
   */
  graceRetentionMs?: number;
  /**
   * Clock for values without an explicit `now` (takeOnce expiry).
   * @default Date.now
   */
  now?: () => number;
}

/**
 * Pool options used with `connectionString`: a connection attempt fails after 2 s and a statement
 * after 5 s, so an unreachable database surfaces as StoreUnavailableError (503) quickly.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool = new pg.Pool({ ...PG_POOL_DEFAULTS, connectionString: process.env.DATABASE_URL });
 * const store = createPostgresStore({ pool });
 * ```
 */
export const PG_POOL_DEFAULTS: PoolConfig = {
  max: 10,
  connectionTimeoutMillis: 2000,
  query_timeout: 5000,
  idleTimeoutMillis: 30_000,
};

/**
 * Rows removed by {@link PostgresStore.purgeExpired}.
 *
 * @example
 * ```ts
 * const { sessions } = await store.purgeExpired(); // PurgeResult
 * ```
 */
export interface PurgeResult {
  /** Expired challenges deleted. */
  challenges: number;
  /** Expired single-use values (MFA tokens) deleted. */
  onceValues: number;
  /** Expired or revoked sessions deleted (their refresh rows cascade). */
  sessions: number;
  /** Expired rate-limit rows deleted. */
  rateLimits: number;
}

/**
 * A Postgres-backed {@link AuthStore}.
 *
 * @example
 * ```ts
 * const store: PostgresStore = createPostgresStore({ connectionString: process.env.DATABASE_URL });
 * await store.migrate();
 * ```
 */
export interface PostgresStore extends Omit<AuthStore, keyof ApiKeyStore>, ApiKeyStore {
  /** Add or replace an IP allow/deny rule (see `auth.ipLists`). */
  putIpRule(rule: StoredIpRule): Promise<void>;
  /** Remove an IP rule; `false` when there was none. */
  removeIpRule(list: IpListName, cidr: string): Promise<boolean>;
  /** The IP rules that have not expired at `now`. */
  listIpRules(now: number): Promise<StoredIpRule[]>;
  readonly name: 'postgres';
  /** The pool the store queries (yours, or the one it created from `connectionString`). */
  readonly pool: Pool;
  /** The schema holding the store's tables. */
  readonly schema: string;
  /**
   * Creates the schema and applies pending migrations (idempotent; safe to run from several
   * instances at once: serialized by an advisory lock). Returns the versions applied now.
   */
  migrate(): Promise<number[]>;
  /**
   * Deletes rows expired at `now`: challenges, single-use values, sessions past their absolute
   * or idle expiry or revoked (with their refresh tokens), rate-limit rows, and grace blobs past
   * their window (plus `graceRetentionMs`). Call it periodically (e.g. every few minutes from one
   * instance or a cron job).
   */
  purgeExpired(now?: number): Promise<PurgeResult>;
  close(): Promise<void>;
}

const RETRYABLE = new Set(['40001', '40P01']);
const MAX_TX_ATTEMPTS = 5;

/** A `sessions` row (bigint columns come back as strings). */
type SessionRow = Record<string, string | null>;
const SESSION_COLUMNS = SESSION_FIELDS.map(sessionColumn);
/** Field → column, computed once (a session is read on every authenticated request). */
const COLUMN_OF = Object.fromEntries(
  SESSION_FIELDS.map((f, i) => [f, SESSION_COLUMNS[i]!]),
) as Record<SessionField, string>;

/** A session from its row (a row always has its id and address). */
const toSession = (r: SessionRow): SessionRecord => decodeSession((f) => r[COLUMN_OF[f]])!;

const SCHEMA_NAME = 'must match /^[a-z_][a-z0-9_]{0,62}$/ (unquoted identifier)';
/** {@link PostgresStoreOptions} with their defaults. */
const POSTGRES_STORE_OPTIONS = v.pipe(
  factoryOptions({
    pool: v.optional(
      v.custom<Pool>((x) => typeof x === 'object' && x !== null, 'must be a pg Pool'),
    ),
    connectionString: v.optional(
      v.pipe(v.string('must be a non-empty string'), v.nonEmpty('must be a non-empty string')),
    ),
    schema: v.optional(
      v.pipe(v.string(SCHEMA_NAME), v.regex(/^[a-z_][a-z0-9_]{0,62}$/, SCHEMA_NAME)),
      'evrmore_auth',
    ),
    graceRetentionMs: v.optional(integer(0, undefined, 'must be a non-negative integer'), 60_000),
    now: v.optional(fn<() => number>(), () => Date.now),
  }),
  v.check(
    (o) => (o.pool === undefined) !== (o.connectionString === undefined),
    'pass exactly one of `pool` or `connectionString`',
  ),
);

/**
 * Creates a Postgres store. Run `await store.migrate()` once before use (at start-up).
 *
 * Fails closed: any database error rejects with `StoreUnavailableError` (503 `unavailable`).
 *
 * @example
 * ```ts
 * import { createPostgresStore } from '@evrmore-auth/server/postgres';
 *
 * const store = createPostgresStore({ connectionString: process.env.DATABASE_URL });
 * await store.migrate();
 * setInterval(() => void store.purgeExpired().catch(() => {}), 5 * 60_000).unref();
 * ```
 */
export function createPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const {
    pool: given,
    connectionString,
    schema,
    graceRetentionMs,
    now: clock,
  } = parseOptions('createPostgresStore', POSTGRES_STORE_OPTIONS, options, {
    quote: (path) => `\`${path}\``,
  });
  const owned = given === undefined;
  const pool: Pool = given ?? new pg.Pool({ ...PG_POOL_DEFAULTS, connectionString });
  if (owned) pool.on('error', () => {}); // idle-client errors; queries report their own
  const S = `"${schema}"`;
  const run = <T>(fn: () => Promise<T>) => guard('postgres', fn);
  const q = (text: string, values: unknown[] = []) => pool.query(text, values);

  async function transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (err) {
        await c.query('ROLLBACK').catch(() => {});
        const code = (err as { code?: string }).code;
        if (code && RETRYABLE.has(code) && attempt < MAX_TX_ATTEMPTS) continue;
        throw err;
      } finally {
        c.release();
      }
    }
  }

  async function rotate(c: PoolClient, input: RotateRefreshInput): Promise<RotateRefreshResult> {
    // Lock the family's session row first; the token row is read after the lock is held, with a
    // fresh READ COMMITTED snapshot, so it reflects any rotation that committed while we waited.
    const locked = await c.query<SessionRow>(
      `SELECT * FROM ${S}.sessions
        WHERE id = (SELECT session_id FROM ${S}.refresh_tokens WHERE hash = $1)
        FOR UPDATE`,
      [input.presentedHash],
    );
    const row = locked.rows[0];
    if (!row) return { kind: 'invalid' };
    const session = toSession(row);
    const { now } = input;
    if (!isLive(session, now)) {
      return { kind: 'invalid' };
    }
    const tok = await c.query<{
      rotated_at: string | null;
      grace_blob: string | null;
      generation: string;
      successor_unused: boolean;
    }>(
      `SELECT t.rotated_at, t.grace_blob, t.generation,
              (n.hash IS NOT NULL AND n.rotated_at IS NULL) AS successor_unused
         FROM ${S}.refresh_tokens t
         LEFT JOIN ${S}.refresh_tokens n ON n.hash = t.successor_hash
        WHERE t.hash = $1`,
      [input.presentedHash],
    );
    const t = tok.rows[0];
    if (!t) return { kind: 'invalid' };
    const { graceMs } = input;
    const retryMs = input.retryMs ?? 0;
    if (t.rotated_at === null) {
      await c.query(
        `UPDATE ${S}.refresh_tokens
            SET rotated_at = $2, grace_blob = $3, grace_until = $4, successor_hash = $5
          WHERE hash = $1`,
        [
          input.presentedHash,
          now,
          input.graceBlob,
          now + Math.max(graceMs, retryMs),
          input.newHash,
        ],
      );
      await c.query(
        `INSERT INTO ${S}.refresh_tokens (hash, session_id, created_at, generation)
         VALUES ($1, $2, $3, $4)`,
        [input.newHash, session.id, now, Number(t.generation) + 1],
      );
      // Every older blob's successor is used from now on: only its grace window is left.
      await c.query(
        `UPDATE ${S}.refresh_tokens
            SET grace_blob = CASE WHEN rotated_at + $3 > $4 THEN grace_blob END,
                grace_until = CASE WHEN rotated_at + $3 > $4
                                   THEN LEAST(grace_until, rotated_at + $3) END
          WHERE session_id = $1 AND hash <> $2 AND grace_blob IS NOT NULL`,
        [session.id, input.presentedHash, graceMs, now],
      );
      // Forget rotated tokens beyond the newest REFRESH_HISTORY_LIMIT: generations count up by
      // one per rotation, so they are the ones at least that many generations back (rows from
      // before migration 2 are all generation 0: they go once the family reaches generation 32).
      await c.query(
        `DELETE FROM ${S}.refresh_tokens
          WHERE session_id = $1 AND rotated_at IS NOT NULL AND generation <= $2`,
        [session.id, Number(t.generation) - REFRESH_HISTORY_LIMIT],
      );
      const up = await c.query<SessionRow>(
        `UPDATE ${S}.sessions SET idle_expires_at = $2, last_seen_at = $3 WHERE id = $1 RETURNING *`,
        [session.id, input.idleExpiresAt, now],
      );
      return { kind: 'rotated', session: toSession(up.rows[0]!) };
    }
    const age = now - Number(t.rotated_at);
    // A concurrent duplicate (graceMs), or a retry of a rotation whose answer was lost while its
    // successor is still unused (retryMs): the same token set.
    if (t.grace_blob !== null && (age < graceMs || (t.successor_unused && age < retryMs))) {
      return { kind: 'grace', session, graceBlob: t.grace_blob };
    }
    const up = await c.query<SessionRow>(
      `UPDATE ${S}.sessions SET revoked_at = $2, revoked_reason = 'refresh_reused'
        WHERE id = $1 RETURNING *`,
      [session.id, now],
    );
    await c.query(
      `UPDATE ${S}.refresh_tokens SET grace_blob = NULL, grace_until = NULL
        WHERE session_id = $1 AND grace_blob IS NOT NULL`,
      [session.id],
    );
    return { kind: 'reused', session: toSession(up.rows[0]!) };
  }

  const store: PostgresStore = {
    name: 'postgres',
    pool,
    schema,

    migrate: () =>
      run(() =>
        transaction(async (c) => {
          await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`evrmore-auth:${schema}`]);
          await c.query(`CREATE SCHEMA IF NOT EXISTS ${S}`);
          await c.query(
            `CREATE TABLE IF NOT EXISTS ${S}.schema_migrations (
               version integer PRIMARY KEY,
               name text NOT NULL,
               applied_at timestamptz NOT NULL DEFAULT now()
             )`,
          );
          const done = await c.query<{ version: number }>(
            `SELECT version FROM ${S}.schema_migrations`,
          );
          const have = new Set(done.rows.map((r) => r.version));
          const applied: number[] = [];
          for (const m of MIGRATIONS) {
            if (have.has(m.version)) continue;
            await c.query(m.sql(S));
            await c.query(`INSERT INTO ${S}.schema_migrations (version, name) VALUES ($1, $2)`, [
              m.version,
              m.name,
            ]);
            applied.push(m.version);
          }
          return applied;
        }),
      ),

    purgeExpired: (now = clock()) =>
      run(async () => {
        const ch = await q(`DELETE FROM ${S}.challenges WHERE expires_at <= $1`, [now]);
        const once = await q(`DELETE FROM ${S}.once_values WHERE expires_at <= $1`, [now]);
        const sess = await q(
          `DELETE FROM ${S}.sessions
            WHERE expires_at <= $1 OR idle_expires_at <= $1 OR revoked_at <= $1`,
          [now],
        );
        const rl = await q(
          `DELETE FROM ${S}.rate_limits WHERE expire IS NOT NULL AND expire <= $1`,
          [now],
        );
        // Rows from before migration 2 have no grace_until: their window ended at rotated_at.
        await q(
          `UPDATE ${S}.refresh_tokens SET grace_blob = NULL, grace_until = NULL
            WHERE grace_blob IS NOT NULL
              AND (grace_until <= $1 OR (grace_until IS NULL AND rotated_at <= $1))`,
          [now - graceRetentionMs],
        );
        return {
          challenges: ch.rowCount ?? 0,
          onceValues: once.rowCount ?? 0,
          sessions: sess.rowCount ?? 0,
          rateLimits: rl.rowCount ?? 0,
        };
      }),

    putChallenge: (r) =>
      run(async () => {
        await q(
          `INSERT INTO ${S}.challenges (nonce, record, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (nonce) DO UPDATE SET record = EXCLUDED.record, expires_at = EXCLUDED.expires_at`,
          [r.nonce, JSON.stringify(r), r.expiresAt],
        );
      }),

    consumeChallenge: (nonce: string) =>
      run(async () => {
        const res = await q(`DELETE FROM ${S}.challenges WHERE nonce = $1 RETURNING record`, [
          nonce,
        ]);
        const raw = (res.rows[0] as { record: string } | undefined)?.record;
        return raw === undefined ? null : (JSON.parse(raw) as ChallengeRecord);
      }),

    createSession: (s: SessionRecord, refreshHash: string, limit?: SessionLimit) =>
      run(() =>
        transaction(async (c): Promise<CreateSessionResult> => {
          let evicted: string[] = [];
          if (limit !== undefined) {
            // One sign-in of this address at a time (across every instance) until COMMIT.
            await c.query(`SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, [
              `evrmore-auth session cap ${schema}`,
              s.address,
            ]);
            const live = await c.query<{ id: string }>(
              `SELECT id FROM ${S}.sessions
                WHERE address = $1 AND revoked_at IS NULL AND expires_at > $2
                  AND idle_expires_at > $2 AND id <> $3
                ORDER BY created_at, id`,
              [s.address, s.createdAt, s.id],
            );
            const over = live.rows.length + 1 - limit.max;
            if (over > 0 && limit.onLimit === 'refuse') return { created: false, evicted: [] };
            evicted = live.rows.slice(0, Math.max(0, over)).map((r) => r.id);
            if (evicted.length > 0)
              await c.query(
                `UPDATE ${S}.sessions SET revoked_at = $2, revoked_reason = 'session_limit'
                  WHERE id = ANY($1::text[]) AND revoked_at IS NULL`,
                [evicted, s.createdAt],
              );
          }
          await c.query(
            `INSERT INTO ${S}.sessions (${SESSION_COLUMNS.join(', ')})
             VALUES (${SESSION_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
            SESSION_FIELDS.map((f) => s[f] ?? null),
          );
          await c.query(
            `INSERT INTO ${S}.refresh_tokens (hash, session_id, created_at) VALUES ($1, $2, $3)`,
            [refreshHash, s.id, s.createdAt],
          );
          return { created: true, evicted };
        }),
      ),

    getSession: (id: string) =>
      run(async () => {
        const res = await q(`SELECT * FROM ${S}.sessions WHERE id = $1`, [id]);
        const row = res.rows[0] as SessionRow | undefined;
        return row ? toSession(row) : null;
      }),

    listSessions: (address: string, now: number) =>
      run(async () => {
        const res = await q(
          `SELECT * FROM ${S}.sessions
            WHERE address = $1 AND revoked_at IS NULL AND expires_at > $2 AND idle_expires_at > $2
            ORDER BY created_at DESC, id`,
          [address, now],
        );
        return (res.rows as SessionRow[]).map(toSession);
      }),

    touchSession: (id: string, lastSeenAt: number, idleExpiresAt?: number) =>
      run(async () => {
        // One statement: forward only, never on a revoked or expired session.
        await q(
          `UPDATE ${S}.sessions
              SET last_seen_at = GREATEST(last_seen_at, $2),
                  idle_expires_at = GREATEST(idle_expires_at, LEAST(expires_at, COALESCE($3::bigint, 0)))
            WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2 AND idle_expires_at > $2`,
          [id, lastSeenAt, idleExpiresAt ?? null],
        );
      }),

    revokeSession: (id: string, now: number, reason: string) =>
      run(async () => {
        const res = await q(
          `UPDATE ${S}.sessions SET revoked_at = $2, revoked_reason = $3
            WHERE id = $1 AND revoked_at IS NULL`,
          [id, now, reason],
        );
        return res.rowCount === 1;
      }),

    revokeSessions: (address: string, now: number, reason: string, exceptId?: string) =>
      run(async () => {
        const res = await q(
          `UPDATE ${S}.sessions SET revoked_at = $2, revoked_reason = $3
            WHERE address = $1 AND revoked_at IS NULL AND expires_at > $2 AND idle_expires_at > $2
              AND ($4::text IS NULL OR id <> $4)`,
          [address, now, reason, exceptId ?? null],
        );
        return res.rowCount ?? 0;
      }),

    rotateRefresh: (input) => run(() => transaction((c) => rotate(c, input))),

    ...postgresApiKeys(S, q, run),

    getMfa: (address: string) =>
      run(async () => {
        const res = await q(
          `SELECT m.*, ARRAY(SELECT code_hash FROM ${S}.mfa_backup_codes b
                              WHERE b.address = m.address ORDER BY code_hash) AS codes
             FROM ${S}.mfa m WHERE m.address = $1`,
          [address],
        );
        const r = res.rows[0] as
          | {
              address: string;
              totp_secret_enc: string | null;
              pending_secret_enc: string | null;
              enabled: boolean;
              last_totp_step: string;
              updated_at: string;
              codes: string[];
            }
          | undefined;
        if (!r) return null;
        return {
          address: r.address,
          totpSecretEnc: r.totp_secret_enc,
          pendingSecretEnc: r.pending_secret_enc,
          enabled: r.enabled,
          backupCodeHashes: r.codes,
          lastTotpStep: Number(r.last_totp_step),
          updatedAt: Number(r.updated_at),
        } satisfies MfaRecord;
      }),

    putMfa: (r) =>
      run(() =>
        transaction(async (c) => {
          await c.query(
            `INSERT INTO ${S}.mfa (address, totp_secret_enc, pending_secret_enc, enabled,
               last_totp_step, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (address) DO UPDATE SET totp_secret_enc = EXCLUDED.totp_secret_enc,
               pending_secret_enc = EXCLUDED.pending_secret_enc, enabled = EXCLUDED.enabled,
               last_totp_step = EXCLUDED.last_totp_step, updated_at = EXCLUDED.updated_at`,
            [
              r.address,
              r.totpSecretEnc,
              r.pendingSecretEnc,
              r.enabled,
              r.lastTotpStep,
              r.updatedAt,
            ],
          );
          await c.query(`DELETE FROM ${S}.mfa_backup_codes WHERE address = $1`, [r.address]);
          if (r.backupCodeHashes.length > 0) {
            await c.query(
              `INSERT INTO ${S}.mfa_backup_codes (address, code_hash)
               SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
              [r.address, r.backupCodeHashes],
            );
          }
        }),
      ),

    deleteMfa: (address: string) =>
      run(async () => {
        await q(`DELETE FROM ${S}.mfa WHERE address = $1`, [address]);
      }),

    useTotpStep: (address: string, step: number) =>
      run(async () => {
        const res = await q(
          `UPDATE ${S}.mfa SET last_totp_step = $2 WHERE address = $1 AND last_totp_step < $2`,
          [address, step],
        );
        return res.rowCount === 1;
      }),

    consumeBackupCode: (address: string, codeHash: string) =>
      run(async () => {
        const res = await q(
          `DELETE FROM ${S}.mfa_backup_codes WHERE address = $1 AND code_hash = $2`,
          [address, codeHash],
        );
        return res.rowCount === 1;
      }),

    putOnce: (key: string, value: string, expiresAt: number) =>
      run(async () => {
        await q(
          `INSERT INTO ${S}.once_values (key, value, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
          [key, value, expiresAt],
        );
      }),

    takeOnce: (key: string) =>
      run(async () => {
        const res = await q(
          `DELETE FROM ${S}.once_values WHERE key = $1 RETURNING value, expires_at`,
          [key],
        );
        const r = res.rows[0] as { value: string; expires_at: string } | undefined;
        if (!r || Number(r.expires_at) <= clock()) return null;
        return r.value;
      }),

    putIpRule: (rule: StoredIpRule) =>
      run(async () => {
        await q(
          `INSERT INTO ${S}.ip_rules (list, cidr, note, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (list, cidr) DO UPDATE SET note = EXCLUDED.note,
             created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
          [rule.list, rule.cidr, rule.note, rule.createdAt, rule.expiresAt],
        );
      }),

    removeIpRule: (list: IpListName, cidr: string) =>
      run(async () => {
        const res = await q(`DELETE FROM ${S}.ip_rules WHERE list = $1 AND cidr = $2`, [
          list,
          cidr,
        ]);
        return res.rowCount === 1;
      }),

    listIpRules: (at: number) =>
      run(async () => {
        await q(`DELETE FROM ${S}.ip_rules WHERE expires_at <= $1`, [at]);
        const res = await q(
          `SELECT list, cidr, note, created_at, expires_at FROM ${S}.ip_rules
           WHERE expires_at IS NULL OR expires_at > $1`,
          [at],
        );
        return (
          res.rows as Array<{
            list: IpListName;
            cidr: string;
            note: string | null;
            created_at: string;
            expires_at: string | null;
          }>
        ).map((r) => ({
          list: r.list,
          cidr: r.cidr,
          note: r.note,
          createdAt: Number(r.created_at),
          expiresAt: r.expires_at === null ? null : Number(r.expires_at),
        }));
      }),

    createRateLimiter(o) {
      return failClosedLimiter(
        'postgres',
        new RateLimiterPostgres({
          storeClient: pool,
          storeType: 'pool',
          schemaName: schema,
          tableName: 'rate_limits',
          tableCreated: true, // by migrate()
          clearExpiredByTimeout: false, // purgeExpired() does it
          keyPrefix: o.keyPrefix,
          points: o.points,
          duration: o.duration,
          blockDuration: o.blockDuration ?? 0,
        }),
      );
    },

    async close() {
      if (owned) await pool.end();
    },
  };
  return store;
}
