// The proof keys seen recently: a client signs every proof with one key, so its import (and its
// thumbprint) is done once, not per request. Bounded (least recently used evicted): a stranger's
// keys can churn it, never grow it.
//
// jose imports each key (it checks that the key fits the `alg`: curve, type, usage). The
// per-request signature check then runs on node:crypto where the runtime has it (Node, Bun,
// Deno): one synchronous OpenSSL call, where Web Crypto's verify is a thread-pool job costing about
// three times as much CPU per proof (`pnpm bench dpop`). Elsewhere (Workers) jose's Web Crypto
// verify (`compactVerify`).
import type { KeyObject, verify as nodeVerify } from 'node:crypto';
import { calculateJwkThumbprint, compactVerify, importJWK, type JWK } from 'jose';
import { LRUCache } from 'lru-cache';

/** An imported proof key: its RFC 7638 thumbprint and its signature check. */
export interface ProofKey {
  /** RFC 7638 SHA-256 thumbprint (base64url). */
  jkt: string;
  /**
   * Whether `proof` (a compact JWS) is signed by this key under the `alg` it was imported for.
   * Synchronous (no promise) on runtimes with node:crypto.
   */
  verifies(proof: string): boolean | Promise<boolean>;
}

/** The public members of each key type: what is imported, and the cache key. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
  RSA: ['e', 'n'],
};
/** Private (or symmetric) key members: a proof's `jwk` must have none (RFC 9449 §4.2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

/** Imports proof keys through a bounded cache. */
export interface ProofKeys {
  /** The key of a proof's `jwk` header for `alg`; `null` when it is not a public key of a
   *  supported type (or jose cannot import it for `alg`). */
  get(jwk: unknown, alg: string): Promise<ProofKey | null>;
}

/** What the synchronous path needs of node:crypto (and node:buffer's `Buffer`). */
export interface NodeCrypto {
  KeyObject: { from(key: CryptoKey): KeyObject };
  verify: typeof nodeVerify;
  constants: { RSA_PKCS1_PSS_PADDING: number; RSA_PSS_SALTLEN_DIGEST: number };
  Buffer: { from(text: string, encoding: 'base64url' | 'latin1'): Uint8Array };
}

/** The runtime's node:crypto and Buffer, from its builtin modules (never a global `Buffer`). */
function runtimeNodeCrypto(): NodeCrypto | undefined {
  const load = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    ?.getBuiltinModule;
  if (typeof load !== 'function') return undefined;
  const crypto = load('node:crypto') as Partial<NodeCrypto> | undefined;
  const buffer = load('node:buffer') as { Buffer?: NodeCrypto['Buffer'] } | undefined;
  if (
    typeof crypto?.verify !== 'function' ||
    typeof crypto.KeyObject?.from !== 'function' ||
    typeof buffer?.Buffer?.from !== 'function'
  )
    return undefined;
  return { ...(crypto as NodeCrypto), Buffer: buffer.Buffer };
}

/** node:crypto's digest and options for each JWS `alg` (RFC 7518 §3; EdDSA has no digest). */
function nodeParams(
  alg: string,
  node: NodeCrypto,
): { digest: string | null; dsaEncoding?: 'ieee-p1363'; padding?: number; saltLength?: number } {
  const bits = alg.slice(2);
  if (alg === 'EdDSA' || alg === 'Ed25519') return { digest: null };
  if (alg.startsWith('ES')) return { digest: `sha${bits}`, dsaEncoding: 'ieee-p1363' };
  if (alg.startsWith('PS'))
    return {
      digest: `sha${bits}`,
      padding: node.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: node.constants.RSA_PSS_SALTLEN_DIGEST,
    };
  return { digest: `sha${bits}` }; // RS*: PKCS #1 v1.5, node's default for RSA keys
}

/** The JWS signature of each `alg` is exactly this long (bytes), where it is fixed. */
const SIGNATURE_BYTES: Record<string, number> = {
  ES256: 64,
  ES384: 96,
  ES512: 132,
  EdDSA: 64,
  Ed25519: 64,
};

/**
 * A synchronous signature check of `alg` proofs under `key` with node:crypto. Where a call
 * throws (a runtime whose node:crypto lacks a part, or OpenSSL refusing to parse a signature),
 * that proof gets `fallback`'s answer (Web Crypto): the same answer, later.
 */
function nodeVerifier(
  key: CryptoKey,
  alg: string,
  node: NodeCrypto,
  fallback: (proof: string) => Promise<boolean>,
): (proof: string) => boolean | Promise<boolean> {
  const keyObject = node.KeyObject.from(key);
  const { digest, ...options } = nodeParams(alg, node);
  // jose refuses RSA keys under 2048 bits when it verifies: so does this path (rsa, and rsa-pss
  // where a runtime reports a PS* key so).
  const modulus = keyObject.asymmetricKeyDetails?.modulusLength;
  if (keyObject.asymmetricKeyType?.startsWith('rsa') && (modulus === undefined || modulus < 2048))
    return () => false;
  const length = SIGNATURE_BYTES[alg];
  const verifyOptions = { key: keyObject, ...options };
  return (proof) => {
    const dot = proof.lastIndexOf('.');
    try {
      const signature = node.Buffer.from(proof.slice(dot + 1), 'base64url');
      if (length !== undefined && signature.length !== length) return false;
      const input = node.Buffer.from(proof.slice(0, dot), 'latin1');
      return node.verify(digest, input, verifyOptions, signature);
    } catch {
      return fallback(proof);
    }
  };
}

/** {@link nodeVerifier}, or `null` where the runtime's node:crypto cannot make one (a partial
 *  node:crypto, as some runtimes' compatibility layers have): then Web Crypto. */
function nodeVerifierOrNull(
  key: CryptoKey,
  alg: string,
  node: NodeCrypto,
): ((proof: string) => boolean | Promise<boolean>) | null {
  try {
    return nodeVerifier(key, alg, node, webVerifier(key, alg));
  } catch {
    return null;
  }
}

/** Jose's (Web Crypto) check of `alg` proofs under `key`. */
function webVerifier(key: CryptoKey, alg: string): (proof: string) => Promise<boolean> {
  return (proof) =>
    compactVerify(proof, key, { algorithms: [alg] }).then(
      () => true,
      () => false,
    );
}

/**
 * A cache of at most `max` imported proof keys. `node`: the node:crypto used for the
 * synchronous check (the runtime's by default; `null` for jose's Web Crypto verify everywhere).
 */
export function createProofKeys(
  max = 1000,
  node: NodeCrypto | null | undefined = runtimeNodeCrypto(),
): ProofKeys {
  const cache = new LRUCache<string, Promise<ProofKey | null>>({ max });
  return {
    get(jwk, alg) {
      if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
        return Promise.resolve(null);
      const j = jwk as Record<string, unknown>;
      const members = typeof j.kty === 'string' ? PUBLIC_MEMBERS[j.kty] : undefined;
      if (members === undefined || PRIVATE_MEMBERS.some((m) => Object.hasOwn(j, m)))
        return Promise.resolve(null);
      const publicJwk: JWK = { kty: j.kty as string };
      for (const m of members) {
        if (typeof j[m] !== 'string' || (j[m] as string).length > 1024)
          return Promise.resolve(null);
        (publicJwk as Record<string, string>)[m] = j[m] as string;
      }
      const id = `${alg}|${members.map((m) => publicJwk[m as keyof JWK] as string).join('|')}|${publicJwk.kty}`;
      let entry = cache.get(id);
      if (entry === undefined) {
        entry = (async () => {
          try {
            const key = await importJWK(publicJwk, alg);
            if (key instanceof Uint8Array || key.type !== 'public') return null;
            return {
              jkt: await calculateJwkThumbprint(publicJwk, 'sha256'),
              verifies: (node && nodeVerifierOrNull(key, alg, node)) ?? webVerifier(key, alg),
            };
          } catch {
            return null;
          }
        })();
        cache.set(id, entry);
      }
      return entry;
    },
  };
}
