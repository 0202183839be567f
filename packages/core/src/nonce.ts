const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Largest multiple of 62 below 256: bytes at or above it are rejected to keep the draw unbiased. */
const LIMIT = 256 - (256 % ALPHABET.length);
/** 22 characters carry at least 128 bits (22 × log2 62 ≈ 131). */
const MIN_LENGTH = 22;
/** The longest nonce a Sign-In with Evrmore message takes (sign-in-message.ts: 8 to 128). */
const MAX_LENGTH = 128;

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
   * Number of alphanumeric characters, 22 (≥ 128 bits) to 128 (the longest nonce the
   * Sign-In with Evrmore message grammar takes).
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
  if (!Number.isInteger(length) || length < MIN_LENGTH || length > MAX_LENGTH) {
    throw new TypeError(`nonce length must be an integer from ${MIN_LENGTH} to ${MAX_LENGTH}`);
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
