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

function fail(message: string): never {
  throw new TypeError(`createEvrmoreAuth: ${message}`);
}

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
  if (!Array.isArray(keys) || keys.length === 0) fail('keys must be a non-empty array');
  const seen = new Set<string>();
  keys.forEach((key: unknown, i) => {
    const at = `keys[${i}]`;
    if (typeof key !== 'object' || key === null) fail(`${at} must be an object`);
    const k = key as Record<string, unknown>;
    if (typeof k.kid !== 'string' || !KID.test(k.kid))
      fail(`${at}.kid must be 1-128 printable ASCII characters`);
    if (seen.has(k.kid)) fail(`${at}.kid "${k.kid}" is used twice`);
    seen.add(k.kid);
    const alg = k.alg ?? 'EdDSA';
    if (!ALGS.includes(alg as SigningAlgorithm))
      fail(`${at}.alg must be one of EdDSA, ES256, HS256`);
    if (alg === 'HS256') {
      if (k.privateKey !== undefined || k.publicKey !== undefined)
        fail(`${at}: an HS256 key takes only a secret`);
      const secret = k.secret;
      const length =
        typeof secret === 'string'
          ? utf8ToBytes(secret).length
          : secret instanceof Uint8Array
            ? secret.length
            : -1;
      if (length < 0) fail(`${at}.secret must be a string or Uint8Array`);
      if (length < 32) fail(`${at}.secret must be at least 32 bytes for HS256`);
      return;
    }
    if (k.secret !== undefined) fail(`${at}.secret is only for HS256`);
    for (const field of ['privateKey', 'publicKey'] as const) {
      const v = k[field];
      if (v === undefined) continue;
      if (typeof v === 'string') {
        if (!v.includes('-----BEGIN')) fail(`${at}.${field} must be a PEM string or a JWK object`);
      } else if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        fail(`${at}.${field} must be a PEM string or a JWK object`);
      } else {
        const jwk = v as JWK;
        const kty = alg === 'EdDSA' ? 'OKP' : 'EC';
        if (jwk.kty !== kty) fail(`${at}.${field} must be a JWK with kty "${kty}" for ${alg}`);
        if (field === 'privateKey' && typeof jwk.d !== 'string')
          fail(`${at}.privateKey JWK has no private part "d"`);
      }
    }
    if (k.privateKey === undefined && k.publicKey === undefined)
      fail(`${at} needs a privateKey or a publicKey`);
    if (i === 0 && k.privateKey === undefined) fail('keys[0] signs and needs a privateKey');
  });
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
