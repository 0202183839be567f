// Signing and verification keys: JWK or PEM from configuration, several at once for rotation.
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  importSPKI,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { utf8ToBytes } from '@evrmore-auth/core';
import * as v from 'valibot';
import { parseOptions } from './config/validate.js';

/**
 * The JWS algorithms an access token may be signed with.
 *
 * @example
 * ```ts
 * const alg: SigningAlgorithm = 'ES256';
 * ```
 */
export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'HS256';

/**
 * One configured key. List keys newest first: `keys[0]` signs new tokens, every key verifies
 * until you remove it from the list (retire it once tokens it signed have expired).
 *
 * @example
 * ```ts
 * const key: KeyConfig = { kid: '2026-01', alg: 'EdDSA', privateKey: process.env.AUTH_KEY_PEM! };
 * const retired: KeyConfig = { kid: '2025-12', alg: 'EdDSA', publicKey: oldPublicJwk };
 * ```
 */
export interface KeyConfig {
  /** Key id, put in the token header `kid` and the JWKS. Printable ASCII, at most 128 characters. */
  kid: string;
  /** @default 'EdDSA' */
  alg?: SigningAlgorithm;
  /** PKCS#8 PEM or private JWK (`EdDSA`/`ES256`); needed by the signing key. */
  privateKey?: JWK | string;
  /** SPKI PEM or public JWK, for verify-only keys (derived from `privateKey` when absent). */
  publicKey?: JWK | string;
  /** `HS256` only: a secret of at least 32 bytes. Never published in the JWKS. */
  secret?: string | Uint8Array;
}

/**
 * A key ready for jose.
 *
 * @example
 * ```ts
 * const [signing] = await loadKeys(config.keys);
 * signing.kid;
 * ```
 */
export interface LoadedKey {
  kid: string;
  alg: SigningAlgorithm;
  /** Present on keys that can sign. */
  signKey: CryptoKey | Uint8Array | null;
  verifyKey: CryptoKey | Uint8Array;
  /** Public JWK for the JWKS (`null` for HS256). */
  publicJwk: JWK | null;
}

const ALGS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'HS256'];
const KID = /^[\x21-\x7e]{1,128}$/;

/** One key's fields, each of the right kind (what the schema checks before {@link keyProblem}). */
type KeyFields = Omit<KeyConfig, 'alg'> & { alg: SigningAlgorithm };

/** What is wrong with a key beyond its fields' types: `[field or null, problem]`, or `null`. */
function keyProblem(k: KeyFields): [field: keyof KeyConfig | null, problem: string] | null {
  if (k.alg === 'HS256') {
    if (k.privateKey !== undefined || k.publicKey !== undefined)
      return [null, ': an HS256 key takes only a secret'];
    const { secret } = k;
    const length =
      typeof secret === 'string'
        ? utf8ToBytes(secret).length
        : secret instanceof Uint8Array
          ? secret.length
          : -1;
    if (length < 0) return ['secret', 'must be a string or Uint8Array'];
    if (length < 32) return ['secret', 'must be at least 32 bytes for HS256'];
    return null;
  }
  if (k.secret !== undefined) return ['secret', 'is only for HS256'];
  for (const field of ['privateKey', 'publicKey'] as const) {
    const value: unknown = k[field];
    if (value === undefined) continue;
    if (typeof value === 'string') {
      if (!value.includes('-----BEGIN')) return [field, 'must be a PEM string or a JWK object'];
    } else if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return [field, 'must be a PEM string or a JWK object'];
    } else {
      const jwk = value as JWK;
      const kty = k.alg === 'EdDSA' ? 'OKP' : 'EC';
      if (jwk.kty !== kty) return [field, `must be a JWK with kty "${kty}" for ${k.alg}`];
      if (field === 'privateKey' && typeof jwk.d !== 'string')
        return [field, 'JWK has no private part "d"'];
    }
  }
  if (k.privateKey === undefined && k.publicKey === undefined)
    return [null, 'needs a privateKey or a publicKey'];
  return null;
}

const KID_MESSAGE = 'must be 1-128 printable ASCII characters';
/** One entry of `keys`. */
const KEY_CONFIG = v.pipe(
  v.custom<Record<string, unknown>>(
    (x) => typeof x === 'object' && x !== null,
    'must be an object',
  ),
  v.looseObject({
    kid: v.pipe(v.string(KID_MESSAGE), v.regex(KID, KID_MESSAGE)),
    alg: v.optional(v.picklist(ALGS, 'must be one of EdDSA, ES256, HS256'), 'EdDSA'),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const key = dataset.value;
    const problem = keyProblem(key as unknown as KeyFields);
    if (problem === null) return;
    const [field, message] = problem;
    addIssue({
      message,
      ...(field === null
        ? {}
        : {
            path: [{ type: 'object', origin: 'value', input: key, key: field, value: key[field] }],
          }),
    });
  }),
);

/** The `keys` option: keys newest first, the first one signs. */
const KEY_CONFIGS = v.pipe(
  v.array(KEY_CONFIG, 'must be a non-empty array'),
  v.nonEmpty('must be a non-empty array'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const keys = dataset.value;
    const seen = new Set<string>();
    keys.forEach((key, i) => {
      if (!seen.has(key.kid)) return void seen.add(key.kid);
      addIssue({
        message: `"${key.kid}" is used twice`,
        path: [
          { type: 'array', origin: 'value', input: keys, key: i, value: key },
          { type: 'object', origin: 'value', input: key, key: 'kid', value: key.kid },
        ],
      });
    });
  }),
  v.forward(
    v.check(
      (keys) => keys[0]?.alg === 'HS256' || keys[0]?.privateKey !== undefined,
      'signs and needs a privateKey',
    ),
    [0],
  ),
);

/**
 * Check key configuration synchronously (shapes, algorithms, HS256 secret length); throws
 * `TypeError` with the exact problem.
 *
 * @example
 * ```ts
 * validateKeyConfigs([{ kid: 'k1', alg: 'HS256', secret: 'short' }]); // throws TypeError
 * ```
 */
export function validateKeyConfigs(keys: unknown): asserts keys is KeyConfig[] {
  parseOptions('createEvrmoreAuth', KEY_CONFIGS, keys, { root: 'keys' });
}

function stripPrivate(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, k: _k, ...rest } = jwk;
  return rest;
}

async function importAsym(
  value: JWK | string,
  alg: 'EdDSA' | 'ES256',
  kind: 'private' | 'public',
): Promise<CryptoKey> {
  if (typeof value === 'string') {
    return kind === 'private'
      ? importPKCS8(value, alg, { extractable: true })
      : importSPKI(value, alg, { extractable: true });
  }
  const jwk = kind === 'public' ? stripPrivate(value) : value;
  const key = await importJWK({ ...jwk, ext: true }, alg, { extractable: true });
  if (key instanceof Uint8Array) throw new TypeError('not an asymmetric key');
  return key;
}

/**
 * Import configured keys with jose; rejects with a `TypeError` naming the key that fails.
 *
 * @example
 * ```ts
 * const keys = await loadKeys([{ kid: 'k1', privateKey: pem }]);
 * ```
 */
export async function loadKeys(configs: KeyConfig[]): Promise<LoadedKey[]> {
  validateKeyConfigs(configs);
  const out: LoadedKey[] = [];
  for (const [i, c] of configs.entries()) {
    const alg = c.alg ?? 'EdDSA';
    if (alg === 'HS256') {
      const secret = typeof c.secret === 'string' ? utf8ToBytes(c.secret) : c.secret!;
      out.push({ kid: c.kid, alg, signKey: secret, verifyKey: secret, publicJwk: null });
      continue;
    }
    try {
      const signKey =
        c.privateKey === undefined ? null : await importAsym(c.privateKey, alg, 'private');
      const publicSource: JWK | string | undefined =
        c.publicKey ?? (signKey ? await exportJWK(signKey) : undefined);
      const verifyKey = await importAsym(publicSource!, alg, 'public');
      const publicJwk = stripPrivate(await exportJWK(verifyKey));
      if (signKey) {
        const derived = stripPrivate(await exportJWK(signKey));
        if (c.publicKey !== undefined && (derived.x !== publicJwk.x || derived.y !== publicJwk.y))
          throw new TypeError('publicKey does not match privateKey');
      }
      out.push({
        kid: c.kid,
        alg,
        signKey,
        verifyKey,
        publicJwk: { ...publicJwk, kid: c.kid, alg, use: 'sig' },
      });
    } catch (err) {
      if (err instanceof TypeError && err.message.startsWith('createEvrmoreAuth')) throw err;
      throw new TypeError(`createEvrmoreAuth: keys[${i}] (${c.kid}) cannot be imported as ${alg}`, {
        cause: err,
      });
    }
  }
  return out;
}

/**
 * Ephemeral EdDSA keys for development (lost on restart: every session ends).
 *
 * @example
 * ```ts
 * const keys = await generateEphemeralKeys(); // [{ kid: 'ephemeral-…', alg: 'EdDSA', … }]
 * ```
 */
export async function generateEphemeralKeys(kid = 'ephemeral'): Promise<LoadedKey[]> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = stripPrivate(await exportJWK(publicKey));
  return [
    {
      kid,
      alg: 'EdDSA',
      signKey: privateKey,
      verifyKey: publicKey,
      publicJwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' },
    },
  ];
}

/**
 * The JWKS document of every asymmetric key that may still verify (no private parts, never an
 * HS256 secret).
 *
 * @example
 * ```ts
 * const jwks = toJwks(await loadKeys(config.keys)); // { keys: [{ kty: 'OKP', crv: 'Ed25519', x, kid, alg, use }] }
 * ```
 */
export function toJwks(keys: LoadedKey[]): JSONWebKeySet {
  return { keys: keys.flatMap((k) => (k.publicJwk ? [{ ...k.publicJwk }] : [])) };
}
