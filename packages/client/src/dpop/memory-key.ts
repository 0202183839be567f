// DPoP keys held in memory: for Node bots and CLIs, tests, and apps that bring their own key pair.
import { generateKeyPair, type KeyPair } from 'dpop';
import { createDpopKey, type DpopKey } from './dpop-key.js';

/** A new non-extractable ECDSA P-256 key pair (ES256), made with Web Crypto. */
export const newKeyPair = (): Promise<KeyPair> => generateKeyPair('ES256', { extractable: false });

/**
 * A DPoP key held in memory: a non-extractable ECDSA P-256 key pair (ES256) made with Web Crypto
 * on first use and replaced by a new one on sign-out. For Node bots and CLIs (the tokens are bound
 * to this process: a new process signs in again), and for browsers without IndexedDB.
 *
 * @example
 * ```ts
 * import { createAuthClient } from '@evrmore-auth/client';
 * import { localKeySigner } from '@evrmore-auth/client/local-key';
 * import { memoryDpopKey } from '@evrmore-auth/client/dpop';
 *
 * const auth = createAuthClient({ baseUrl: 'https://api.example.com/auth', signer: localKeySigner({ privateKey }), dpop: memoryDpopKey() });
 * await auth.signIn();
 * await auth.fetch('https://api.example.com/api/me'); // Authorization: DPoP …, DPoP: <proof>
 * ```
 */
export function memoryDpopKey(): DpopKey {
  // Held in memory only: the kept pair is the current one already.
  return createDpopKey({ load: newKeyPair, rotate: newKeyPair, keep: () => Promise.resolve() });
}

/**
 * A DPoP key over a key pair you made and keep (e.g. `crypto.subtle.generateKey` with ECDSA P-256,
 * Ed25519 or RSA, kept where your app keeps keys). The public key must be extractable (proofs
 * embed it as a JWK); keep the private key non-extractable. The pair is used for good: rotation on
 * sign-out does nothing, since you own its life.
 *
 * @example
 * ```ts
 * const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
 * const auth = createAuthClient({ baseUrl, signer, dpop: dpopKeyFromPair(pair) });
 * ```
 */
export function dpopKeyFromPair(pair: CryptoKeyPair): DpopKey {
  if (pair?.privateKey?.type !== 'private' || pair.publicKey?.type !== 'public')
    throw new TypeError('dpopKeyFromPair: pair must be a CryptoKeyPair (privateKey and publicKey)');
  if (!pair.publicKey.extractable)
    throw new TypeError('dpopKeyFromPair: the public key must be extractable (proofs embed it)');
  const kept = (): Promise<KeyPair> => Promise.resolve(pair);
  return createDpopKey({ load: kept, rotate: kept, keep: () => Promise.resolve() });
}
