// The documented mixed configuration: challenges and rate limits in Redis, sessions, refresh
// tokens, MFA data and single-use values in Postgres.
import { combineStores } from '../../packages/server/src/stores/combine.js';
import { createPostgresStore } from '../../packages/server/src/stores/postgres.js';
import { createRedisStore } from '../../packages/server/src/stores/redis.js';
import {
  DATABASE_URL,
  REDIS_URL,
  cleanupRedisPrefix,
  describeWithServices,
  dropSchema,
  testKeyPrefix,
  testSchema,
} from '../helpers/services.js';
import { runStoreConformance } from './conformance.js';
import { postgresProbe } from './probes.js';

await describeWithServices(['redis', 'postgres'], 'mixed store (redis + postgres)', () => {
  runStoreConformance('mixed', async () => {
    const keyPrefix = testKeyPrefix('mixed');
    const schema = testSchema('mixed');
    const instance = () => {
      const redis = createRedisStore({ url: REDIS_URL, keyPrefix });
      const postgres = createPostgresStore({ connectionString: DATABASE_URL, schema });
      return {
        postgres,
        store: combineStores({
          challenges: redis,
          rateLimits: redis,
          sessions: postgres,
          mfa: postgres,
        }),
      };
    };
    const a = instance();
    await a.postgres.migrate();
    const b = instance();
    return {
      store: a.store,
      peer: b.store,
      unreachable: () =>
        combineStores({
          challenges: createRedisStore({
            url: 'redis://127.0.0.1:1',
            keyPrefix,
            readyTimeoutMs: 300,
          }),
          rateLimits: createRedisStore({
            url: 'redis://127.0.0.1:1',
            keyPrefix,
            readyTimeoutMs: 300,
          }),
          sessions: createPostgresStore({
            connectionString: 'postgres://postgres@127.0.0.1:1/test',
            schema,
          }),
          mfa: createPostgresStore({
            connectionString: 'postgres://postgres@127.0.0.1:1/test',
            schema,
          }),
        }),
      // Sessions and refresh tokens live in Postgres here: probe that part.
      async isolated() {
        const prefix = testKeyPrefix('mixiso');
        const own = testSchema('mixiso');
        const redis = createRedisStore({ url: REDIS_URL, keyPrefix: prefix });
        const postgres = createPostgresStore({
          connectionString: DATABASE_URL,
          schema: own,
          graceRetentionMs: 0,
        });
        await postgres.migrate();
        return {
          store: combineStores({
            challenges: redis,
            rateLimits: redis,
            sessions: postgres,
            mfa: postgres,
          }),
          probe: postgresProbe(postgres),
          async close() {
            await redis.close();
            await postgres.close();
            await cleanupRedisPrefix(prefix);
            await dropSchema(own);
          },
        };
      },
      async cleanup() {
        await a.store.close?.();
        await b.store.close?.();
        await cleanupRedisPrefix(keyPrefix);
        await dropSchema(schema);
      },
    };
  });
});
