const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Largest multiple of 62 below 256: bytes at or above it are rejected to keep the draw unbiased. */
const LIMIT = 256 - (256 % ALPHABET.length);

/**
 * Options of {@link generateNonce}.
 *
 * @example
 * ```ts
 * const options: GenerateNonceOptions = { length: 40 };
 * generateNonce(options);
 * ```
 */
export interface GenerateNonceOptions {
  /**
   * Number of alphanumeric characters; at least 22 (≥ 128 bits).
   * @default 32 (about 190 bits)
   */
  length?: number;
  /**
   * Source of random bytes.
   * @default crypto.getRandomValues (Web Crypto)
   */
  randomBytes?: (length: number) => Uint8Array;
}

const webRandomBytes = (length: number): Uint8Array =>
  crypto.getRandomValues(new Uint8Array(length));

/**
 * An unbiased alphanumeric nonce from a CSPRNG, by rejection sampling.
 *
 * @example
 * ```ts
 * generateNonce(); // e.g. 'q3Vd0J…' (32 characters)
 * ```
 */
export function generateNonce(options: GenerateNonceOptions = {}): string {
  const length = options.length ?? 32;
  if (!Number.isInteger(length) || length < 22 || length > 256) {
    throw new TypeError('nonce length must be an integer from 22 to 256');
  }
  const randomBytes = options.randomBytes ?? webRandomBytes;
  let out = '';
  while (out.length < length) {
    const bytes = randomBytes(length * 2);
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
      // An empty source would loop forever: refuse it instead.
      throw new TypeError('randomBytes must return a non-empty Uint8Array');
    }
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const b = bytes[i]!;
      if (b < LIMIT) out += ALPHABET[b % ALPHABET.length];
    }
  }
  return out;
}
