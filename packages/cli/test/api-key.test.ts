// api-key create / list / revoke against the real Postgres, through the built CLI. Skipped (with
// a SKIP: line) when Postgres is unreachable, never under CI=true.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATABASE_URL, describeWithServices } from '../../../test/helpers/services.js';
import { oneLineError, run } from './run.js';

await describeWithServices(['postgres'], 'cli api-key (real Postgres)', () => {
  const schema = `cli_ak_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  const cli = (args: string[]) => run([...args, '--schema', schema], { env: { DATABASE_URL } });
  beforeAll(async () => {
    await client.connect();
    expect((await cli(['db', 'migrate'])).code).toBe(0);
  });
  afterAll(async () => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('create prints the key once and stores only the hash of its secret; list never shows it', async () => {
    const made = await cli([
      'api-key',
      'create',
      '--owner',
      'ci-bot',
      '--permission',
      'reports:read',
      '--permission',
      'deploys:write',
      '--ip',
      '10.0.0.0/8',
      '--expires-in',
      '3600',
      '--json',
    ]);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const { key, apiKey } = JSON.parse(made.stdout) as {
      key: string;
      apiKey: { id: string; owner: string; permissions: string[]; ipAllowList: string[] };
    };
    expect(key).toMatch(/^evak_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toMatchObject({
      owner: 'ci-bot',
      permissions: ['reports:read', 'deploys:write'],
      ipAllowList: ['10.0.0.0/8'],
    });
    const secret = key.slice(30);
    const rows = await client.query(`SELECT * FROM "${schema}".api_keys`);
    expect(JSON.stringify(rows.rows)).not.toContain(secret);
    expect(rows.rows[0].hash).toBe(createHash('sha256').update(secret).digest('base64url'));

    const listed = await cli(['api-key', 'list', '--owner', 'ci-bot']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(apiKey.id);
    expect(listed.stdout).not.toContain(secret);

    const revoked = await cli(['api-key', 'revoke', apiKey.id]);
    expect(revoked.stdout).toBe(`revoked ${apiKey.id}\n`);
    expect(revoked.code).toBe(0);
    const again = await cli(['api-key', 'revoke', apiKey.id, '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toEqual({ id: apiKey.id, revoked: false });
    const rows2 = await client.query(`SELECT revoked_at FROM "${schema}".api_keys`);
    expect(rows2.rows[0].revoked_at).not.toBeNull();
  });

  it('bad input: one line, exit 2, nothing stored', async () => {
    const before = (await client.query(`SELECT count(*) FROM "${schema}".api_keys`)).rows[0].count;
    for (const args of [
      ['api-key', 'create', '--permission', 'x'],
      ['api-key', 'create', '--owner', 'o', '--ip', '10.0.0.0/33'],
      ['api-key', 'create', '--owner', 'o', '--permission', 'has space'],
      ['api-key', 'create', '--owner', 'o', '--expires-in', '5'],
      ['api-key', 'revoke', 'not-an-id'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(oneLineError(r)).toMatch(/^evrmore-auth: /);
    }
    expect((await client.query(`SELECT count(*) FROM "${schema}".api_keys`)).rows[0].count).toBe(
      before,
    );
  });
});
