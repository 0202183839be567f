// AES-256-GCM encryption of TOTP secrets at rest (Web Crypto), with key ids for rotation.
import { bytesToBase64Url, utf8ToBytes } from '@evrmore-auth/core';
import type { RandomBytes } from '../crypto.js';

/**
 * One MFA encryption key: 32 random bytes as a `Uint8Array`, base64/base64url (43–44 chars) or
 * hex (64 chars), and an id that is stored next to every ciphertext it made.
 *
 * @example
 * ```ts
 * const key: MfaEncryptionKey = { id: '2026-01', key: process.env.MFA_KEY_BASE64! };
 * // generate one: node -e "console.log(crypto.randomBytes(32).toString('base64'))"
 * ```
 */
export interface MfaEncryptionKey {
  /** 1–64 characters of `[A-Za-z0-9_-]`, unique. */
  id: string;
  /** 32 bytes: `Uint8Array`, base64 / base64url, or hex. */
  key: Uint8Array | string;
}

/**
 * Options of {@link createSecretBox}.
 *
 * @example
 * ```ts
 * const options: SecretBoxOptions = { keys: [{ id: 'k2', key: newKey }, { id: 'k1', key: oldKey }] };
 * ```
 */
export interface SecretBoxOptions {
  /** Newest first: the first key encrypts, every key decrypts. */
  keys: readonly MfaEncryptionKey[];
  /** @default crypto.getRandomValues */
  randomBytes?: RandomBytes;
  /** How TypeError messages name the keys. @default 'createSecretBox: keys' */
  errorPrefix?: string;
}

/**
 * Encrypts and decrypts short secrets. A sealed value is
 * `v1.<keyId>.<iv base64url>.<ciphertext+tag base64url>`; the `context` string (for example the
 * address and purpose) is bound as additional authenticated data, so a ciphertext copied to
 * another record does not decrypt.
 *
 * @example
 * ```ts
 * const box = createSecretBox({ keys: [{ id: 'k1', key: process.env.MFA_KEY! }] });
 * const sealed = await box.seal(secretBytes, `totp:${address}`);
 * const opened = await box.open(sealed, `totp:${address}`); // Uint8Array
 * ```
 */
export interface SecretBox {
  seal(plaintext: Uint8Array, context: string): Promise<string>;
  /** Throws `SecretBoxError` when the key id is unknown or the value does not authenticate. */
  open(sealed: string, context: string): Promise<Uint8Array>;
  /** The id of the key that sealed `sealed` (null if it is not a sealed value). */
  keyIdOf(sealed: string): string | null;
  /** The id of the key new values are sealed with. */
  readonly currentKeyId: string;
}

/**
 * A sealed value that cannot be opened (unknown key id, tampering, wrong context).
 *
 * @example
 * ```ts
 * try { await box.open(value, ctx); } catch (e) { if (e instanceof SecretBoxError) ... }
 * ```
 */
export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

function decodeKeyMaterial(value: unknown): Uint8Array | null {
  if (value instanceof Uint8Array) return value.length === 32 ? new Uint8Array(value) : null;
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) {
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(s)) {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '') + '=';
    let bin: string;
    try {
      bin = atob(b64);
    } catch {
      return null;
    }
    if (bin.length !== 32) return null;
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  return null;
}

/**
 * Validate key configuration and decode the key bytes (TypeError `<prefix>: …` otherwise). A key
 * must be exactly 32 bytes and look random (at least 16 distinct byte values: a passphrase, a
 * repeated byte or a counting sequence is refused).
 *
 * @example
 * ```ts
 * const keys = decodeEncryptionKeys([{ id: 'k1', key: 'q83v…=' }], 'createEvrmoreAuth: mfa.encryptionKeys');
 * ```
 */
export function decodeEncryptionKeys(
  keys: unknown,
  prefix: string,
): Array<{ id: string; bytes: Uint8Array }> {
  if (!Array.isArray(keys) || keys.length === 0)
    throw new TypeError(
      `${prefix} must be a non-empty array of { id, key } (32-byte keys; the first one encrypts)`,
    );
  const seen = new Set<string>();
  return keys.map((k: unknown, i) => {
    const entry = k as { id?: unknown; key?: unknown } | null;
    if (typeof entry !== 'object' || entry === null)
      throw new TypeError(`${prefix}[${i}] must be an object { id, key }`);
    if (typeof entry.id !== 'string' || !KEY_ID.test(entry.id))
      throw new TypeError(`${prefix}[${i}].id must be 1-64 characters of [A-Za-z0-9_-]`);
    if (seen.has(entry.id)) throw new TypeError(`${prefix}[${i}].id "${entry.id}" is used twice`);
    seen.add(entry.id);
    const bytes = decodeKeyMaterial(entry.key);
    if (bytes === null)
      throw new TypeError(
        `${prefix}[${i}].key must be 32 bytes (a Uint8Array, base64/base64url or 64 hex characters)`,
      );
    if (new Set(bytes).size < 16)
      throw new TypeError(
        `${prefix}[${i}].key looks weak (too few distinct bytes); use 32 random bytes`,
      );
    return { id: entry.id, bytes };
  });
}

function b64urlToBytes(s: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  try {
    const bin = atob(
      s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4),
    );
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/**
 * Create a {@link SecretBox} (validates keys up front; key import happens on first use).
 *
 * @example
 * ```ts
 * const box = createSecretBox({ keys: [{ id: '2026-02', key: newKey }, { id: '2026-01', key: oldKey }] });
 * ```
 */
export function createSecretBox(options: SecretBoxOptions): SecretBox {
  const decoded = decodeEncryptionKeys(
    options.keys,
    options.errorPrefix ?? 'createSecretBox: keys',
  );
  const randomBytes =
    options.randomBytes ?? ((n: number) => crypto.getRandomValues(new Uint8Array(n)));
  const imported = new Map<string, Promise<CryptoKey>>();
  const keyFor = (id: string): Promise<CryptoKey> | null => {
    const cached = imported.get(id);
    if (cached) return cached;
    const k = decoded.find((d) => d.id === id);
    if (!k) return null;
    const p = crypto.subtle.importKey(
      'raw',
      k.bytes as Uint8Array<ArrayBuffer>,
      { name: 'AES-GCM' },
      false,
      ['encrypt', 'decrypt'],
    );
    imported.set(id, p);
    return p;
  };
  const current = decoded[0]!.id;
  const parse = (sealed: string): [string, string, string] | null => {
    if (typeof sealed !== 'string') return null;
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1' || !KEY_ID.test(parts[1]!)) return null;
    return [parts[1]!, parts[2]!, parts[3]!];
  };

  return {
    currentKeyId: current,
    keyIdOf: (sealed) => parse(sealed)?.[0] ?? null,
    async seal(plaintext, context) {
      const iv = randomBytes(12);
      if (!(iv instanceof Uint8Array) || iv.length !== 12)
        throw new TypeError('randomBytes(12) must return 12 bytes');
      const ct = await crypto.subtle.encrypt(
        {
          name: 'AES-GCM',
          iv: iv as Uint8Array<ArrayBuffer>,
          additionalData: utf8ToBytes(context) as Uint8Array<ArrayBuffer>,
        },
        await keyFor(current)!,
        plaintext as Uint8Array<ArrayBuffer>,
      );
      return `v1.${current}.${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(ct))}`;
    },
    async open(sealed, context) {
      const parts = parse(sealed);
      if (parts === null) throw new SecretBoxError('not a sealed value');
      const [id, ivText, ctText] = parts;
      const key = keyFor(id);
      if (key === null)
        throw new SecretBoxError(`sealed with key "${id}", which is not configured any more`);
      const iv = b64urlToBytes(ivText);
      const ct = b64urlToBytes(ctText);
      if (iv === null || iv.length !== 12 || ct === null || ct.length < 16)
        throw new SecretBoxError('malformed sealed value');
      try {
        const pt = await crypto.subtle.decrypt(
          {
            name: 'AES-GCM',
            iv,
            additionalData: utf8ToBytes(context) as Uint8Array<ArrayBuffer>,
          },
          await key,
          ct,
        );
        return new Uint8Array(pt);
      } catch {
        throw new SecretBoxError('sealed value does not authenticate');
      }
    },
  };
}
