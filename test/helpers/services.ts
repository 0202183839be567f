// Detects the real Redis and Postgres the store suites run against, and gives each test run its own
// key prefix / schema so parallel or repeated runs never collide.
//
// Redis:    REDIS_URL, else redis://127.0.0.1:6379
// Postgres: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test
//
// Missing service: the suite is skipped with a console line starting `SKIP:` naming what is
// missing; with CI=true the suite fails instead (CI must never skip these suites silently).

import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, it } from 'vitest';

/** The service URLs the suites use. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A service a suite needs. */
export type Service = 'redis' | 'postgres';

const DETECT_TIMEOUT_MS = 1500;

/** Whether Redis answers PING within a short timeout. */
export async function redisAvailable(url = REDIS_URL): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: DETECT_TIMEOUT_MS,
    commandTimeout: DETECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Whether Postgres accepts a connection and a query within a short timeout. */
export async function postgresAvailable(connectionString = DATABASE_URL): Promise<boolean> {
  const client = new pg.Client({
    connectionString,
    connectionTimeoutMillis: DETECT_TIMEOUT_MS,
    query_timeout: DETECT_TIMEOUT_MS,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

const cache = new Map<Service, Promise<boolean>>();

/** Detects each service once per test file. */
export function serviceAvailable(service: Service): Promise<boolean> {
  let p = cache.get(service);
  if (!p) {
    p = service === 'redis' ? redisAvailable() : postgresAvailable();
    cache.set(service, p);
  }
  return p;
}

function describeMissing(service: Service): string {
  return service === 'redis'
    ? `Redis (${redactUrl(REDIS_URL)}; set REDIS_URL)`
    : `PostgreSQL (${redactUrl(DATABASE_URL)}; set DATABASE_URL)`;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/**
 * `describe` that runs only when every service in `needs` is reachable. Otherwise it skips with a
 * `SKIP:` line, or, with CI=true, registers a failing test naming what is missing.
 *
 * Use with top-level await: `await describeWithServices(['redis'], 'redis store', () => { … })`.
 */
export async function describeWithServices(
  needs: readonly Service[],
  name: string,
  body: () => void,
): Promise<void> {
  const missing: Service[] = [];
  for (const s of needs) if (!(await serviceAvailable(s))) missing.push(s);
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const what = missing.map(describeMissing).join(' and ');
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs ${what}`, () => {
        throw new Error(`CI=true but ${what} is not reachable: this suite must run in CI`);
      });
    });
    return;
  }
  console.log(`SKIP: ${name}: ${what} not reachable`);
  describe.skip(name, body);
}

/** A random suffix unique to this test run. */
export function runId(): string {
  return `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** A Redis key prefix unique to this run, e.g. `evrauth-test-<id>:`. */
export function testKeyPrefix(label = 'test'): string {
  return `evrauth-${label}-${runId()}:`;
}

/** A Postgres schema name unique to this run. */
export function testSchema(label = 'test'): string {
  return `evrauth_${label}_${runId()}`.toLowerCase();
}

/** Deletes every key under `prefix` (SCAN + UNLINK; never KEYS on a shared server). */
export async function cleanupRedisPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 5000 });
  client.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string, connectionString = DATABASE_URL): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new TypeError(`bad schema name: ${schema}`);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
