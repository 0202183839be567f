// Postgres-only behaviour: migrations and purgeExpired.
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  MIGRATIONS,
  createPostgresStore,
  type PostgresStore,
} from '../../packages/server/src/stores/postgres.js';
import { DATABASE_URL, describeWithServices, dropSchema, testSchema } from '../helpers/services.js';

await describeWithServices(['postgres'], 'postgres migrations and purge', () => {
  const schema = testSchema('mig');
  let store: PostgresStore;
  let peer: PostgresStore;
  beforeAll(() => {
    store = createPostgresStore({ connectionString: DATABASE_URL, schema });
    peer = createPostgresStore({ connectionString: DATABASE_URL, schema });
  });
  afterAll(async () => {
    await store.close();
    await peer.close();
    await dropSchema(schema);
  });

  it('migrate() applies every migration once, also when two instances race', async () => {
    const [x, y] = await Promise.all([store.migrate(), peer.migrate()]);
    const all = MIGRATIONS.map((m) => m.version);
    expect([...x, ...y].sort()).toEqual(all);
    expect(await store.migrate()).toEqual([]);
    const rows = await store.pool.query(`SELECT version FROM "${schema}".schema_migrations`);
    expect(rows.rows.map((r: { version: number }) => r.version)).toEqual(all);
  });

  it('purgeExpired removes expired rows and keeps live ones', async () => {
    const now = Date.now();
    const base = {
      address: 'Eaddr',
      domain: 'd',
      uri: 'https://d',
      chainId: 'evrmore:mainnet',
      message: 'm',
      issuedAt: now,
    };
    await store.putChallenge({ ...base, nonce: 'old', expiresAt: now - 1 });
    await store.putChallenge({ ...base, nonce: 'live', expiresAt: now + 60_000 });
    await store.putOnce('old', 'v', now - 1);
    await store.putOnce('live', 'v', now + 60_000);
    const session = {
      address: 'Eaddr',
      createdAt: now - 10,
      lastSeenAt: now - 10,
      userAgent: null,
      ip: null,
      fingerprintHash: 'f',
      revokedAt: null,
      revokedReason: null,
    };
    await store.createSession(
      { ...session, id: 'gone', expiresAt: now + 1000, idleExpiresAt: now - 1 },
      'h-gone',
    );
    await store.createSession(
      { ...session, id: 'kept', expiresAt: now + 1000, idleExpiresAt: now + 1000 },
      'h-kept',
    );
    const purged = await store.purgeExpired(now);
    expect(purged).toMatchObject({ challenges: 1, onceValues: 1, sessions: 1 });
    expect(await store.getSession('gone')).toBeNull();
    expect(await store.getSession('kept')).not.toBeNull();
    expect(await store.consumeChallenge('old')).toBeNull();
    expect(await store.consumeChallenge('live')).not.toBeNull();
    expect(await store.takeOnce('live')).toBe('v');
    const tokens = await store.pool.query(
      `SELECT hash FROM "${schema}".refresh_tokens ORDER BY hash`,
    );
    expect(tokens.rows.map((r: { hash: string }) => r.hash)).toEqual(['h-kept']);
  });

  it('purgeExpired removes revoked sessions with their refresh tokens', async () => {
    const now = Date.now();
    const live = {
      address: 'Erev',
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + 86_400_000,
      idleExpiresAt: now + 86_400_000,
      userAgent: null,
      ip: null,
      fingerprintHash: 'f',
      revokedAt: null,
      revokedReason: null,
    };
    await store.createSession({ ...live, id: 'revoked' }, 'h-revoked');
    await store.createSession({ ...live, id: 'alive' }, 'h-alive');
    await store.revokeSession('revoked', now, 'logout');
    expect((await store.purgeExpired(now)).sessions).toBe(1);
    expect(await store.getSession('revoked')).toBeNull();
    expect(await store.getSession('alive')).not.toBeNull();
    const rows = await store.pool.query(
      `SELECT hash FROM "${schema}".refresh_tokens WHERE session_id IN ('revoked', 'alive')`,
    );
    expect(rows.rows.map((r: { hash: string }) => r.hash)).toEqual(['h-alive']);
  });

  it('migration 2 upgrades a family written before it: it rotates, serves grace, and is purged', async () => {
    const legacy = testSchema('legacy');
    const pool = new pg.Pool({ connectionString: DATABASE_URL });
    const S = `"${legacy}"`;
    const up = createPostgresStore({ pool, schema: legacy, graceRetentionMs: 0 });
    try {
      await pool.query(`CREATE SCHEMA ${S}`);
      await pool.query(`CREATE TABLE ${S}.schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      await pool.query(MIGRATIONS[0]!.sql(S));
      await pool.query(`INSERT INTO ${S}.schema_migrations (version, name) VALUES (1, 'initial')`);
      const now = Date.now();
      await pool.query(
        `INSERT INTO ${S}.sessions (id, address, created_at, last_seen_at, expires_at,
           idle_expires_at, fingerprint_hash) VALUES ('s', 'E', $1, $1, $2, $2, 'f')`,
        [now, now + 86_400_000],
      );
      await pool.query(
        `INSERT INTO ${S}.refresh_tokens (hash, session_id, created_at, rotated_at, grace_blob)
         VALUES ('old', 's', $1, $1, 'legacy-blob'), ('cur', 's', $1, NULL, NULL)`,
        [now],
      );
      expect(await up.migrate()).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
      const input = { graceMs: 10_000, retryMs: 300_000, idleExpiresAt: now + 86_400_000 };
      expect(
        await up.rotateRefresh({
          ...input,
          presentedHash: 'old',
          newHash: 'x',
          now: now + 1,
          graceBlob: 'b',
        }),
      ).toMatchObject({ kind: 'grace', graceBlob: 'legacy-blob' });
      expect(
        (
          await up.rotateRefresh({
            ...input,
            presentedHash: 'cur',
            newHash: 'next',
            now: now + 2,
            graceBlob: 'b2',
          })
        ).kind,
      ).toBe('rotated');
      await up.purgeExpired(now + 10_000); // old: grace window over; cur: retry window open
      const blobs = await pool.query(
        `SELECT hash FROM ${S}.refresh_tokens WHERE grace_blob IS NOT NULL ORDER BY hash`,
      );
      expect(blobs.rows.map((r: { hash: string }) => r.hash)).toEqual(['cur']);
    } finally {
      await pool.end();
      await dropSchema(legacy);
    }
  });

  it('rejects a schema name that is not a plain identifier', () => {
    expect(() =>
      createPostgresStore({ connectionString: DATABASE_URL, schema: 'x"; drop' }),
    ).toThrow(TypeError);
  });
});
