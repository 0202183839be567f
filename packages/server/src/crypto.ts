// Web Crypto helpers (no Node imports: the handler runs on any runtime with fetch types).
import type { createHash } from 'node:crypto';
import { bytesToBase64Url, utf8ToBytes } from '@evrmore-auth/core';

/**
 * A source of cryptographically secure random bytes.
 *
 * @example
 * ```ts
 * const randomBytes: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));
 * ```
 */
export type RandomBytes = (length: number) => Uint8Array;

/**
 * The default {@link RandomBytes}: `crypto.getRandomValues` on a fresh array, per call. No pool:
 * random bytes of security tokens are never buffered in memory shared across calls.
 *
 * @example
 * ```ts
 * webRandomBytes(32).length; // 32
 * ```
 */
export const webRandomBytes: RandomBytes = (length) =>
  crypto.getRandomValues(new Uint8Array(length));

const nodeCrypto = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.('node:crypto') as
  | {
      createHash: typeof createHash;
      hash?: (algorithm: string, data: string, encoding: 'base64url') => string;
    }
  | undefined;

/**
 * {@link sha256Base64Url} without a promise where the runtime hashes synchronously (Node, Bun,
 * Deno: WebCrypto's digest is a thread-pool job, ~10× the cost of hashing a short string), else
 * `null`. The per-request path of `authenticate` uses it.
 *
 * @example
 * ```ts
 * const key = sha256Base64UrlSync(token) ?? (await sha256Base64Url(token));
 * ```
 */
export function sha256Base64UrlSync(value: string): string | null {
  // `crypto.hash` (Node >= 20.12) is the one-shot form, several times cheaper than createHash.
  if (nodeCrypto?.hash) return nodeCrypto.hash('sha256', value, 'base64url');
  if (nodeCrypto) return nodeCrypto.createHash('sha256').update(value, 'utf8').digest('base64url');
  return null;
}

/**
 * `base64url(SHA-256(utf8(value)))`: how fingerprints and refresh tokens are stored.
 *
 * @example
 * ```ts
 * const fgp = await sha256Base64Url(fingerprintCookieValue);
 * ```
 */
export async function sha256Base64Url(value: string): Promise<string> {
  const sync = sha256Base64UrlSync(value);
  if (sync !== null) return sync;
  const digest = await crypto.subtle.digest(
    'SHA-256',
    utf8ToBytes(value) as Uint8Array<ArrayBuffer>,
  );
  return bytesToBase64Url(new Uint8Array(digest));
}

/**
 * Compare two strings in time independent of where they differ.
 *
 * @example
 * ```ts
 * timingSafeEqualString(await sha256Base64Url(cookie), claims.fgp); // boolean
 * ```
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  // Over UTF-16 code units: equal strings have equal units; no encoding step per call.
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++)
    diff |= (i < a.length ? a.charCodeAt(i) : 0) ^ (i < b.length ? b.charCodeAt(i) : 0);
  return diff === 0;
}

/**
 * A random token: `bytes` random bytes, base64url without padding.
 *
 * @example
 * ```ts
 * randomToken(webRandomBytes, 32); // 43 characters
 * ```
 */
export function randomToken(randomBytes: RandomBytes, bytes = 32): string {
  const raw = randomBytes(bytes);
  if (!(raw instanceof Uint8Array) || raw.length !== bytes)
    throw new TypeError(`randomBytes(${bytes}) must return a Uint8Array of ${bytes} bytes`);
  return bytesToBase64Url(raw);
}

const GRACE_INFO = utf8ToBytes('evrmore-auth refresh grace v1');
const GRACE_SALT = utf8ToBytes('evrmore-auth');

async function graceKey(refreshToken: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey(
    'raw',
    utf8ToBytes(refreshToken) as Uint8Array<ArrayBuffer>,
    'HKDF',
    false,
    ['deriveKey'],
  );
  return crypto.subtle.deriveKey(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: GRACE_SALT as Uint8Array<ArrayBuffer>,
      info: GRACE_INFO as Uint8Array<ArrayBuffer>,
    },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/**
 * Encrypt `plaintext` (AES-256-GCM) under a key derived (HKDF-SHA-256) from the refresh token
 * the client presented: only a holder of that token can read the grace-window token set.
 *
 * @example
 * ```ts
 * const blob = await sealGraceBlob(presentedToken, JSON.stringify(tokenSet), webRandomBytes);
 * ```
 */
export async function sealGraceBlob(
  refreshToken: string,
  plaintext: string,
  randomBytes: RandomBytes,
): Promise<string> {
  const iv = randomBytes(12);
  const key = await graceKey(refreshToken);
  const ct = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer> },
    key,
    utf8ToBytes(plaintext) as Uint8Array<ArrayBuffer>,
  );
  const out = new Uint8Array(iv.length + ct.byteLength);
  out.set(iv, 0);
  out.set(new Uint8Array(ct), iv.length);
  return bytesToBase64Url(out);
}

/**
 * Decrypt a blob of {@link sealGraceBlob}; `null` when it does not authenticate.
 *
 * @example
 * ```ts
 * const json = await openGraceBlob(presentedToken, blob);
 * ```
 */
export async function openGraceBlob(refreshToken: string, blob: string): Promise<string | null> {
  try {
    const raw = base64UrlToBytes(blob);
    if (raw.length < 12 + 16) return null;
    const key = await graceKey(refreshToken);
    const pt = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: raw.slice(0, 12) },
      key,
      raw.slice(12),
    );
    return new TextDecoder('utf-8', { fatal: true }).decode(pt);
  } catch {
    return null;
  }
}

function base64UrlToBytes(s: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new TypeError('not base64url');
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
