// The proof keys seen recently: a client signs every proof with one key, so its import (and its
// thumbprint) is done once, not per request. Bounded (least recently used evicted): a stranger's
// keys can churn it, never grow it.
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import { LRUCache } from 'lru-cache';

/** An imported proof key and its RFC 7638 thumbprint. */
export interface ProofKey {
  key: CryptoKey;
  jkt: string;
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

/** A cache of at most `max` imported proof keys. */
export function createProofKeys(max = 1000): ProofKeys {
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
            return { key, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
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
