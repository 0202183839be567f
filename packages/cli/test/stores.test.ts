// db migrate / db purge against the real Postgres, redis check against the real Redis and a closed
// port. Skipped (with a SKIP: line) when a service is unreachable, never under CI=true.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATABASE_URL, REDIS_URL, describeWithServices } from '../../../test/helpers/services.js';
import { oneLineError, run } from './run.js';

await describeWithServices(['postgres'], 'cli db migrate / db purge (real Postgres)', () => {
  const schema = `cli_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  beforeAll(() => client.connect());
  afterAll(async () => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('purge before migrate fails with one line that says to migrate', async () => {
    const r = await run(['db', 'purge', '--schema', schema], { env: { DATABASE_URL } });
    expect(r.code).toBe(1);
    expect(oneLineError(r)).toMatch(/does not exist \(run db migrate first\)$/);
  });

  it('migrate creates the tables once (DATABASE_URL), then is up to date (--url, --json)', async () => {
    const first = await run(['db', 'migrate', '--schema', schema], { env: { DATABASE_URL } });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(
      new RegExp(`^schema ${schema}: applied migrations? 1(, \\d+)*\\n$`),
    );
    const tables = await client.query(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [schema],
    );
    expect(tables.rows.map((r: { table_name: string }) => r.table_name)).toEqual(
      expect.arrayContaining(['challenges', 'sessions', 'schema_migrations']),
    );
    const again = await run(
      ['db', 'migrate', '--url', DATABASE_URL, '--schema', schema, '--json'],
      {
        env: { DATABASE_URL: undefined },
      },
    );
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ schema, applied: [] });
  });

  it('purge removes expired challenges and keeps live ones', async () => {
    // The store's own layout (migration 1): nonce, record, expires_at (epoch ms).
    const insert = (nonce: string, expiresAt: number) =>
      client.query(
        `INSERT INTO "${schema}".challenges (nonce, record, expires_at) VALUES ($1, '{}', $2)`,
        [nonce, expiresAt],
      );
    await insert('expired-one', Date.now() - 60_000);
    await insert('live-one', Date.now() + 3_600_000);
    const r = await run(['db', 'purge', '--schema', schema, '--json'], { env: { DATABASE_URL } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ schema, challenges: 1, sessions: 0 });
    const left = await client.query(`SELECT count(*)::int AS n FROM "${schema}".challenges`);
    expect(left.rows[0].n).toBe(1);
    const text = await run(['db', 'purge', '--schema', schema], { env: { DATABASE_URL } });
    expect(text.stdout).toBe(
      `schema ${schema}: removed 0 challenges, 0 single-use values, 0 sessions, 0 rate-limit rows\n`,
    );
  });

  it('bad input and an unreachable server: one line, no password', async () => {
    const none = await run(['db', 'migrate'], { env: { DATABASE_URL: undefined } });
    expect(none.code).toBe(2);
    expect(oneLineError(none)).toBe('evrmore-auth: missing --url (or DATABASE_URL)');
    const badSchema = await run(['db', 'migrate', '--schema', 'Bad-Name'], {
      env: { DATABASE_URL },
    });
    expect(badSchema.code).toBe(2);
    oneLineError(badSchema);
    const down = await run(['db', 'migrate', '--url', 'postgres://app:s3cret@127.0.0.1:1/x']);
    expect(down.code).toBe(1);
    const line = oneLineError(down);
    expect(line).toContain('ECONNREFUSED');
    expect(line).not.toContain('s3cret');
    expect(down.ms).toBeLessThan(10_000);
  });
});

await describeWithServices(['redis'], 'cli redis check (real Redis)', () => {
  const prefix = `cli-test-${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  beforeAll(() => redis.connect());
  afterAll(async () => {
    await redis.del(`${prefix}probe`);
    redis.disconnect();
  });

  it('reports the version and whether the prefix has keys (REDIS_URL, --json)', async () => {
    const empty = await run(['redis', 'check', '--prefix', prefix, '--json'], {
      env: { REDIS_URL },
    });
    expect(empty.stderr).toBe('');
    expect(empty.code).toBe(0);
    const version = ((await redis.info('server')).match(/^redis_version:(.+)$/m) ?? [])[1]?.trim();
    expect(JSON.parse(empty.stdout)).toMatchObject({ ok: true, version, prefix, hasKeys: false });
    await redis.set(`${prefix}probe`, '1', 'EX', 60);
    const some = await run(['redis', 'check', '--url', REDIS_URL, '--prefix', prefix], {
      env: { REDIS_URL: undefined },
    });
    expect(some.code).toBe(0);
    expect(some.stdout).toBe(
      `ok: Redis ${version} at ${new URL(REDIS_URL).toString()}; keys with prefix "${prefix}": yes\n`,
    );
  });

  it('a closed port: exit 1, one line, within the timeout, no password', async () => {
    const r = await run([
      'redis',
      'check',
      '--url',
      'redis://:s3cret@127.0.0.1:1',
      '--timeout',
      '2000',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const line = oneLineError(r);
    expect(line).toMatch(
      /^evrmore-auth: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
    expect(r.ms).toBeLessThan(5000);
    const none = await run(['redis', 'check'], { env: { REDIS_URL: undefined } });
    expect(none.code).toBe(2);
    expect(oneLineError(none)).toBe('evrmore-auth: missing --url (or REDIS_URL)');
  });
});
