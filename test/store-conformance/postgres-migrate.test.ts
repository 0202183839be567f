// Postgres-only behaviour: migrations and purgeExpired.
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

  it('rejects a schema name that is not a plain identifier', () => {
    expect(() =>
      createPostgresStore({ connectionString: DATABASE_URL, schema: 'x"; drop' }),
    ).toThrow(TypeError);
  });
});
