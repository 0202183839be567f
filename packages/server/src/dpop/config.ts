// The `dpop` option (RFC 9449 sender-constrained tokens): validated once at start-up.
import * as v from 'valibot';
import { integer, options, parseOptions } from '../config/validate.js';

/**
 * DPoP (RFC 9449): access tokens bound to a key pair the client holds, so a stolen token (or
 * refresh cookie) is useless without the key. See PROTOCOL.md §9.
 *
 * @example
 * ```ts
 * createEvrmoreAuth({ domain, keys, dpop: { mode: 'allowed' } });
 * createEvrmoreAuth({ domain, keys, dpop: { mode: 'required', nonce: { secret: process.env.DPOP_NONCE_SECRET! } } });
 * ```
 */
export interface DPoPConfig {
  /**
   * `allowed`: a token request with a valid `DPoP` proof gets a bound token (`tokenType: 'DPoP'`),
   * one without gets a bearer token. `required`: a token request without a proof is refused
   * (`dpop_required`).
   */
  mode: 'allowed' | 'required';
  /**
   * The proof signature algorithms accepted (asymmetric JWS algorithms only: `none` and `HS*` are
   * refused at start-up).
   * @default ['ES256', 'EdDSA']
   */
  algorithms?: string[];
  /**
   * How old a proof's `iat` may be, seconds (the clock tolerance is added on both sides).
   * @default 60
   */
  proofMaxAgeSeconds?: number;
  /**
   * Server-provided nonces (RFC 9449 §8): `{ secret }` (at least 32 bytes, the same on every
   * instance) makes every proof carry a nonce this deployment issued in the last two time steps
   * of 5 minutes; `false` for none.
   * @default false
   */
  nonce?:
    | false
    | {
        /** The HMAC key of the nonces: at least 32 bytes, the same on every instance. */
        secret: string;
      };
}

/**
 * {@link DPoPConfig} with its defaults applied (without the nonce secret).
 *
 * @example
 * ```ts
 * auth.config.dpop?.algorithms; // ['ES256', 'EdDSA']
 * ```
 */
export interface ResolvedDPoPConfig {
  /** `allowed` or `required`. */
  mode: 'allowed' | 'required';
  /** The accepted proof algorithms. */
  algorithms: string[];
  /** The `iat` window, seconds. */
  proofMaxAgeSeconds: number;
  /** Whether proofs must carry a server nonce. */
  nonce: boolean;
}

/** The JWS algorithms a DPoP proof may use: asymmetric only (RFC 9449 §4.2). */
const ASYMMETRIC = [
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
] as const;

const utf8Length = (s: string): number => new TextEncoder().encode(s).byteLength;

const DPOP_SCHEMA = options(
  {
    mode: v.picklist(['allowed', 'required'], 'must be "allowed" or "required"'),
    algorithms: v.optional(
      v.pipe(
        v.array(
          v.picklist(ASYMMETRIC, `must be an asymmetric JWS algorithm (${ASYMMETRIC.join(', ')})`),
          'must be an array of JWS algorithm names',
        ),
        v.minLength(1, 'must name at least one algorithm'),
      ),
      () => ['ES256', 'EdDSA'],
    ),
    proofMaxAgeSeconds: v.optional(integer(1, 600), 60),
    nonce: v.optional(
      v.union(
        [
          v.literal(false),
          options({
            secret: v.pipe(
              v.string('must be a string of at least 32 bytes'),
              v.check((s) => utf8Length(s) >= 32, 'must be a string of at least 32 bytes'),
            ),
          }),
        ],
        'must be false or { secret } (a string of at least 32 bytes)',
      ),
      false,
    ),
  },
  'must be an object { mode, algorithms?, proofMaxAgeSeconds?, nonce? }',
);

/**
 * Validate the `dpop` option: `null` when absent (DPoP off), else the resolved settings and the
 * nonce secret (kept apart: the resolved configuration is readable as `auth.config`).
 */
export function resolveDPoPConfig(
  value: unknown,
): { config: ResolvedDPoPConfig; nonceSecret: string | null } | null {
  if (value === undefined) return null;
  const c = parseOptions('createEvrmoreAuth', DPOP_SCHEMA, value, { root: 'dpop' });
  return {
    config: {
      mode: c.mode,
      algorithms: [...new Set(c.algorithms)],
      proofMaxAgeSeconds: c.proofMaxAgeSeconds,
      nonce: c.nonce !== false,
    },
    nonceSecret: c.nonce === false ? null : c.nonce.secret,
  };
}
