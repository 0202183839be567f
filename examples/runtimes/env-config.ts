// The auth of every runtime entry, configured from the environment the same way on each: the
// entries differ only in how they listen and where they read the client IP.
import { createEvrmoreAuth, type EvrmoreAuth, type KeyConfig } from '@evrmore-auth/server';

/** The environment variables the entries read (see README.md). */
export type Env = Record<string, string | undefined>;

const SHAPES = { AUTH_JWK: 'a private JWK as JSON', AUTH_KEYS: 'a JSON array of keys' };

const notJson = (name: keyof typeof SHAPES): TypeError =>
  // Names the variable, never its value (private keys).
  new TypeError(`${name} must be ${SHAPES[name]} (see examples/runtimes/README.md)`);

function parse(name: keyof typeof SHAPES, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw notJson(name);
  }
}

type Jwk = Exclude<KeyConfig['privateKey'], string | undefined>;

/**
 * The signing keys: `AUTH_JWK`, one private JWK (what `evrmore-auth keys generate` prints; its
 * `kid`, and its `alg` or else EdDSA for OKP and ES256 for EC keys), or `AUTH_KEYS`, the
 * `keys` array itself for rotation (`evrmore-auth keys generate --format env`). Neither: the
 * server makes ephemeral keys in development and refuses to start in production. The values
 * are checked by createEvrmoreAuth, whose errors name what is wrong, never the key.
 */
function keysFrom(env: Env): KeyConfig[] | undefined {
  if (env.AUTH_KEYS) {
    const keys = parse('AUTH_KEYS', env.AUTH_KEYS);
    if (!Array.isArray(keys)) throw notJson('AUTH_KEYS');
    return keys as KeyConfig[];
  }
  if (!env.AUTH_JWK) return undefined;
  const jwk = parse('AUTH_JWK', env.AUTH_JWK) as Jwk | null;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw notJson('AUTH_JWK');
  const kid = typeof jwk.kid === 'string' && jwk.kid !== '' ? jwk.kid : 'main';
  const alg =
    jwk.alg === 'ES256' || (jwk.alg === undefined && jwk.kty === 'EC') ? 'ES256' : 'EdDSA';
  return [{ kid, alg, privateKey: jwk }];
}

/**
 * `createEvrmoreAuth` from the environment: `ORIGIN` (the web app's origin: the signed message's
 * domain and URI, and the one origin allowed to refresh), `AUTH_JWK` or `AUTH_KEYS`, `PRODUCTION=1`, and
 * optionally `REFRESH_GRACE_SECONDS`. No `backend` is named: the server picks the fastest
 * secp256k1 backend that loads on the runtime.
 *
 * @example
 * ```ts
 * const auth = authFromEnv(process.env);
 * ```
 */
export function authFromEnv(env: Env): EvrmoreAuth {
  const origin = env.ORIGIN ?? `http://localhost:${env.PORT ?? '3000'}`;
  const grace = env.REFRESH_GRACE_SECONDS;
  return createEvrmoreAuth({
    domain: new URL(origin).host,
    uri: origin,
    allowedOrigins: [origin],
    keys: keysFrom(env),
    // Explicit: the runtimes that have no `process.env.NODE_ENV` (Deno, Workers) read it here.
    production: env.PRODUCTION === '1' || env.PRODUCTION === 'true',
    ...(grace === undefined ? {} : { refreshGraceSeconds: Number(grace) }),
  });
}

/** Where an entry listens: `HOST` (default loopback) and `PORT` (default 3000). */
export function listenAddress(env: Env): { hostname: string; port: number } {
  return { hostname: env.HOST ?? '127.0.0.1', port: Number(env.PORT ?? '3000') };
}
