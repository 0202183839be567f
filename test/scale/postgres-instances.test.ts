// Three server processes sharing the Postgres at DATABASE_URL (own schema per run).
import { describe, it } from 'vitest';
import { DATABASE_URL, describeWithServices, dropSchema, testSchema } from '../helpers/services.js';
import { serverBuilt } from './cluster.js';
import { multiInstanceScenarios } from './shared-store.js';

if (!serverBuilt()) {
  describe('three instances sharing Postgres', () => {
    it('needs the built packages', () => {
      throw new Error("run `pnpm --filter './packages/*' build` before the scale tests");
    });
  });
} else {
  await describeWithServices(['postgres'], 'three instances sharing Postgres', () => {
    const schema = testSchema('scale');
    multiInstanceScenarios(
      () => ({ STORE: 'postgres', DATABASE_URL, PG_SCHEMA: schema, AUTH_JWK: '' }),
      () => dropSchema(schema),
    );
  });
}
