// The options of createResourceServer: validated once at start-up.
import type { JWTVerifyGetKey } from 'jose';
import * as v from 'valibot';
import { fn, integer, options, parseOptions, withMethods } from '../config/validate.js';
import type { DPoPConfig } from '../dpop/config.js';
import type { AuthEvent, PinoLikeLogger } from '../events.js';
import type { TrustedProxies } from '../proxy.js';
import type { AuthStore } from '../store.js';

/**
 * Options of {@link createResourceServer}: an API on another origin than the auth server, which
 * accepts the auth server's DPoP-bound access tokens (PROTOCOL.md §9).
 *
 * @example
 * ```ts
 * const options: ResourceServerOptions = {
 *   issuer: 'https://app.example.com',
 *   audience: 'https://app.example.com',
 *   jwks: new URL('https://app.example.com/auth/jwks.json'),
 *   store: redisStore({ client: redis }),
 * };
 * ```
 */
export interface ResourceServerOptions {
  /** The auth server's `issuer` (the tokens' `iss`). */
  issuer: string;
  /** The auth server's `audience` (the tokens' `aud`). */
  audience: string;
  /**
   * The auth server's public keys: its JWKS URL (fetched and cached with jose's
   * `createRemoteJWKSet`), or a jose key getter (`createRemoteJWKSet(…)`, `createLocalJWKSet(…)`).
   */
  jwks: URL | JWTVerifyGetKey;
  /**
   * The auth server's store (or one sharing its backend: the same Redis, Postgres or Durable
   * Object). A proof's `jti` is spent in its limiter (`ea:dpop`) like the auth server's, so a
   * proof is good once across every service sharing it; with `sessionCheck` the session is read
   * from it.
   */
  store: AuthStore;
  /** Proof rules; the auth server's `dpop` without `mode` (a resource server always requires a
   *  proof). Nonces need the auth server's nonce secret. */
  dpop?: Omit<DPoPConfig, 'mode'>;
  /**
   * Also refuse a token whose session was revoked (signed out, reuse detected) before the token
   * expires: one store read per request. Without it a revoked session's access token is accepted
   * here until its `exp` (at most the auth server's `accessTokenTtlSeconds`).
   * @default false
   */
  sessionCheck?: boolean;
  /**
   * Clock tolerance for the token's and proof's times, seconds.
   * @default 30
   */
  clockToleranceSeconds?: number;
  /**
   * Proxies whose `x-forwarded-proto` is believed when matching a proof's `htu` (as the auth
   * server's option): `true`, or a list of addresses and ranges.
   * @default none
   */
  trustedProxies?: TrustedProxies;
  /** The clock, epoch milliseconds (tests).
   *  @default Date.now */
  now?: () => number;
  /**
   * Audit events of this API, as the auth server's `onEvent`: a replayed proof
   * (`dpop.proof_replayed`) and a proof made with another key than the token is bound to
   * (`dpop.key_mismatch`), each with the token's address and session, the client IP and
   * `detail: { route: 'resource', method, path }`; never the token or the proof. A throw or
   * rejection is logged and ignored; never awaited.
   * @default none (no events)
   */
  onEvent?: (event: AuthEvent) => void | Promise<void>;
  /** Every event is also logged here (`warn`), as the auth server's `logger`.
   *  @default none */
  logger?: PinoLikeLogger;
}

const SCHEMA = options(
  {
    issuer: v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty')),
    audience: v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty')),
    jwks: v.union(
      [v.instance(URL), v.custom<JWTVerifyGetKey>((x) => typeof x === 'function')],
      'must be a URL or a jose key getter (createRemoteJWKSet / createLocalJWKSet)',
    ),
    store: v.custom<AuthStore>(
      (s) =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as AuthStore).createRateLimiter === 'function' &&
        typeof (s as AuthStore).getSession === 'function',
      'must be an AuthStore (memoryStore, redisStore, postgresStore, durableObjectStore)',
    ),
    dpop: v.optional(v.unknown()),
    sessionCheck: v.optional(v.boolean('must be a boolean'), false),
    clockToleranceSeconds: v.optional(integer(0, 300), 30),
    trustedProxies: v.optional(v.unknown()),
    now: v.optional(v.custom<() => number>((f) => typeof f === 'function', 'must be a function')),
    onEvent: v.optional(fn<NonNullable<ResourceServerOptions['onEvent']>>()),
    logger: v.optional(
      withMethods<PinoLikeLogger>(
        ['info', 'warn', 'error'],
        'must have info, warn and error methods',
      ),
    ),
  },
  'must be an object { issuer, audience, jwks, store, dpop?, sessionCheck?, onEvent?, … }',
);

/** Parse the options; throws a TypeError naming the bad one. */
export function parseResourceServerOptions(value: unknown): v.InferOutput<typeof SCHEMA> {
  return parseOptions('createResourceServer', SCHEMA, value);
}
