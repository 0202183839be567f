// The auth every runtime's bench server runs: the same configuration on each (memory store, one
// Ed25519 key from AUTH_JWK, no backend named: the server picks the fastest that loads there), with
// rate limits off, because every request of the load generator comes from one loopback address.
// Plain JavaScript, so each runtime runs it as it is (no TypeScript step on Node 20).
import { createEvrmoreAuth } from '@evrmore-auth/server';

/** `createEvrmoreAuth` for the bench, from `ORIGIN` and `AUTH_JWK` (a private Ed25519 JWK). */
export function benchAuth(env) {
  const origin = env.ORIGIN;
  return createEvrmoreAuth({
    domain: new URL(origin).host,
    uri: origin,
    allowedOrigins: [origin],
    keys: [{ kid: 'bench', alg: 'EdDSA', privateKey: JSON.parse(env.AUTH_JWK) }],
    production: false,
    rateLimits: { enabled: false },
  });
}
