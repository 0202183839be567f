// Which store the demo uses: memory by default; REDIS_URL and/or DATABASE_URL switch to the real
// ones (both set: Redis for challenges and rate limits, Postgres for sessions and MFA data).
import type { AuthStore } from '@evrmore-auth/server';

export interface ChosenStore {
  /** `undefined`: let the server use its bounded in-memory store. */
  store: AuthStore | undefined;
  description: string;
  close(): Promise<void>;
}

/** Hide the password of a connection URL before printing it. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

export async function chooseStore(env: NodeJS.ProcessEnv): Promise<ChosenStore> {
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  // Loaded only when asked for, so the default run needs neither ioredis nor pg.
  const redisModule = redisUrl ? await import('@evrmore-auth/server/redis') : null;
  const postgresModule = databaseUrl ? await import('@evrmore-auth/server/postgres') : null;
  const redis =
    redisModule?.createRedisStore({ url: redisUrl!, keyPrefix: 'evrauth-demo:' }) ?? null;
  const postgres = postgresModule?.createPostgresStore({ connectionString: databaseUrl! }) ?? null;
  let purge: NodeJS.Timeout | undefined;
  if (postgres) {
    // Creates the tables on first start (idempotent), then clears expired rows now and then.
    await postgres.migrate();
    purge = setInterval(() => void postgres.purgeExpired().catch(() => {}), 5 * 60_000);
    purge.unref();
  }
  const close = async (): Promise<void> => {
    clearInterval(purge);
    await Promise.allSettled([redis?.close(), postgres?.close()]);
  };
  if (redis && postgres) {
    return {
      store: redisModule!.combineStores({
        challenges: redis,
        rateLimits: redis,
        sessions: postgres,
        mfa: postgres,
      }),
      description:
        `Redis (${redact(redisUrl!)}) for challenges and rate limits, ` +
        `Postgres (${redact(databaseUrl!)}) for sessions and MFA`,
      close,
    };
  }
  if (redis) return { store: redis, description: `Redis store (${redact(redisUrl!)})`, close };
  if (postgres)
    return { store: postgres, description: `Postgres store (${redact(databaseUrl!)})`, close };
  return {
    store: undefined,
    description: 'memory store (one process; set REDIS_URL or DATABASE_URL for a shared one)',
    close,
  };
}
