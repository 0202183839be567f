import { createPostgresStore } from '../../packages/server/src/stores/postgres.js';
import { DATABASE_URL, describeWithServices, dropSchema, testSchema } from '../helpers/services.js';
import { runStoreConformance } from './conformance.js';
import { postgresProbe } from './probes.js';

await describeWithServices(['postgres'], 'postgres store', () => {
  runStoreConformance('postgres', async () => {
    const schema = testSchema('conf');
    const store = createPostgresStore({ connectionString: DATABASE_URL, schema });
    await store.migrate();
    const peer = createPostgresStore({ connectionString: DATABASE_URL, schema });
    return {
      store,
      peer,
      unreachable: () =>
        createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test', schema }),
      async isolated() {
        const own = testSchema('iso');
        const iso = createPostgresStore({
          connectionString: DATABASE_URL,
          schema: own,
          graceRetentionMs: 0,
        });
        await iso.migrate();
        return {
          store: iso,
          probe: postgresProbe(iso),
          async close() {
            await iso.close();
            await dropSchema(own);
          },
        };
      },
      async cleanup() {
        await store.close();
        await peer.close();
        await dropSchema(schema);
      },
    };
  });
});
