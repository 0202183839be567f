// TOTP (RFC 6238) through `otpauth`: secret generation, otpauth:// URIs, validation with a window.
import { Secret, TOTP } from 'otpauth';
import type { RandomBytes } from '../crypto.js';

/**
 * Seconds per TOTP step (the authenticator-app default).
 *
 * @example
 * ```ts
 * const nextStepInMs = TOTP_PERIOD * 1000 - (Date.now() % (TOTP_PERIOD * 1000));
 * ```
 */
export const TOTP_PERIOD = 30;
/**
 * Digits per TOTP code.
 *
 * @example
 * ```ts
 * input.maxLength = TOTP_DIGITS; // 6
 * ```
 */
export const TOTP_DIGITS = 6;
/**
 * Secret length in bytes (160 bits, RFC 4226's recommendation).
 *
 * @example
 * ```ts
 * generateTotpSecret(webRandomBytes).length === TOTP_SECRET_BYTES; // true
 * ```
 */
export const TOTP_SECRET_BYTES = 20;

/**
 * Options of {@link totpUri}.
 *
 * @example
 * ```ts
 * const options: TotpUriOptions = { secret, issuer: 'Example', label: 'E…' };
 * ```
 */
export interface TotpUriOptions {
  secret: Uint8Array;
  /** Shown by the authenticator app as the account provider. */
  issuer: string;
  /** The account: the user's address. */
  label: string;
}

/**
 * A fresh random TOTP secret.
 *
 * @example
 * ```ts
 * const secret = generateTotpSecret(webRandomBytes); // 20 bytes
 * ```
 */
export function generateTotpSecret(randomBytes: RandomBytes): Uint8Array {
  const bytes = randomBytes(TOTP_SECRET_BYTES);
  if (!(bytes instanceof Uint8Array) || bytes.length !== TOTP_SECRET_BYTES)
    throw new TypeError(`randomBytes(${TOTP_SECRET_BYTES}) must return ${TOTP_SECRET_BYTES} bytes`);
  return new Uint8Array(bytes);
}

function totp(secret: Uint8Array, issuer = '', label = 'OTPAuth'): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: new Secret({ buffer: new Uint8Array(secret).buffer }),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD,
  });
}

/**
 * The base32 form of a secret (for manual entry).
 *
 * @example
 * ```ts
 * totpSecretBase32(secret); // 'JBSWY3DPEHPK3PXP…'
 * ```
 */
export function totpSecretBase32(secret: Uint8Array): string {
  return new Secret({ buffer: new Uint8Array(secret).buffer }).base32;
}

/**
 * The `otpauth://totp/…` URI for a QR code.
 *
 * @example
 * ```ts
 * totpUri({ secret, issuer: 'Example', label: address });
 * // 'otpauth://totp/Example:E…?issuer=Example&secret=…&algorithm=SHA1&digits=6&period=30'
 * ```
 */
export function totpUri(options: TotpUriOptions): string {
  return totp(options.secret, options.issuer, options.label).toString();
}

/**
 * The time step of `timestamp` (epoch ms).
 *
 * @example
 * ```ts
 * totpStep(Date.now()); // floor(now / 30 s)
 * ```
 */
export function totpStep(timestamp: number): number {
  return TOTP.counter({ period: TOTP_PERIOD, timestamp });
}

/**
 * The code of `secret` at `timestamp` (tests and tools).
 *
 * @example
 * ```ts
 * const code = generateTotpCode(secret, Date.now()); // '492039'
 * ```
 */
export function generateTotpCode(secret: Uint8Array, timestamp: number): string {
  return totp(secret).generate({ timestamp });
}

/**
 * Check `code` against `secret` at `timestamp`, accepting the steps `±window` around it.
 * Returns the matching step (for replay tracking) or `null`.
 *
 * @example
 * ```ts
 * const step = matchTotpCode({ secret, code: '492039', timestamp: now, window: 1 });
 * if (step !== null && (await store.useTotpStep(address, step))) accept();
 * ```
 */
export function matchTotpCode(options: {
  secret: Uint8Array;
  code: string;
  timestamp: number;
  window: number;
}): number | null {
  const { secret, code, timestamp, window } = options;
  if (!/^[0-9]{6}$/.test(code)) return null;
  const delta = totp(secret).validate({ token: code, timestamp, window });
  return delta === null ? null : totpStep(timestamp) + delta;
}
