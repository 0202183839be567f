// MFA configuration: validated at start-up (createEvrmoreAuth), kept on the runtime (`rt.mfa`).
import type { RandomBytes } from '../crypto.js';
import { createSecretBox, type MfaEncryptionKey, type SecretBox } from './secret-box.js';

/**
 * The `mfa` option of `createEvrmoreAuth`: TOTP with backup codes. Without it the `/mfa/*`
 * routes answer 404 and an enrolled address cannot sign in (503, fail closed).
 *
 * Key rotation: put a new key FIRST in `encryptionKeys` and keep the old ones after it. New
 * secrets are sealed with the first key; every listed key still decrypts. A secret sealed with an
 * older key is re-sealed with the newest one the next time its owner uses a TOTP code, or at once
 * with `reencryptMfaSecrets(auth.runtime, address)`. Remove an old key only after every record has
 * been re-sealed (records still naming it answer 503 until then).
 *
 * @example
 * ```ts
 * createEvrmoreAuth({
 *   domain: 'example.com',
 *   keys,
 *   mfa: {
 *     encryptionKeys: [
 *       { id: '2026-02', key: process.env.MFA_KEY_2026_02! }, // encrypts
 *       { id: '2026-01', key: process.env.MFA_KEY_2026_01! }, // still decrypts
 *     ],
 *     issuer: 'Example',
 *   },
 * });
 * ```
 */
export interface MfaConfig {
  /** 32-byte AES-256-GCM keys, newest first (the first encrypts, all decrypt). Required. */
  encryptionKeys: MfaEncryptionKey[];
  /**
   * The account provider shown by authenticator apps (1-100 characters, no `:`).
   * @default the configured `domain`'s host, without its port (an IPv6 literal with `-` for `:`)
   */
  issuer?: string;
  /** TOTP steps accepted either side of the current one (0–2). @default 1 */
  window?: number;
  /** Backup codes issued at enrolment (5–20). @default 10 */
  backupCodeCount?: number;
  /** `mfa.backup_codes_low` fires when this many or fewer codes are left. @default 3 */
  backupCodesLowThreshold?: number;
  /** Lifetime of the mfa token of `/auth/verify` (60–900 s). @default 300 */
  tokenTtlSeconds?: number;
  /** Codes one mfa token may try before it is burned (1–10). @default 5 */
  maxAttemptsPerToken?: number;
  /** Refuse an mfa token presented with another `user-agent` than at `/auth/verify`. @default true */
  bindUserAgent?: boolean;
}

/**
 * {@link MfaConfig} after validation.
 *
 * @example
 * ```ts
 * const m = resolveMfaConfig(config.mfa, { domain: 'example.com', randomBytes: webRandomBytes });
 * m?.window; // 1
 * ```
 */
export interface ResolvedMfaConfig {
  box: SecretBox;
  issuer: string;
  window: number;
  backupCodeCount: number;
  backupCodesLowThreshold: number;
  tokenTtlSeconds: number;
  maxAttemptsPerToken: number;
  bindUserAgent: boolean;
}

const P = 'createEvrmoreAuth: mfa';

function int(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new TypeError(`${P}.${name} must be an integer from ${min} to ${max}`);
  return value;
}

/**
 * The issuer an authenticator app shows when none is configured: the domain's host. Valid for
 * every valid domain: the port goes, an IPv6 literal's `:` (which otpauth labels cannot hold)
 * become `-`, and it is cut to 100 characters.
 */
function defaultIssuer(domain: string): string {
  const host = domain.startsWith('[')
    ? domain.slice(1, Math.max(1, domain.indexOf(']')))
    : domain.replace(/:\d*$/, '');
  return host.replaceAll(':', '-').slice(0, 100);
}

/**
 * Validate the `mfa` option (TypeError `createEvrmoreAuth: mfa…` with the exact problem);
 * `null` when MFA is not configured.
 *
 * @example
 * ```ts
 * resolveMfaConfig({ encryptionKeys: [] }, defaults); // TypeError: … must be a non-empty array …
 * ```
 */
export function resolveMfaConfig(
  mfa: unknown,
  defaults: { domain: string; randomBytes: RandomBytes },
): ResolvedMfaConfig | null {
  if (mfa === undefined) return null;
  if (typeof mfa !== 'object' || mfa === null || Array.isArray(mfa))
    throw new TypeError(`${P} must be an object { encryptionKeys, … }`);
  const c = mfa as Record<string, unknown>;
  const known = [
    'encryptionKeys',
    'issuer',
    'window',
    'backupCodeCount',
    'backupCodesLowThreshold',
    'tokenTtlSeconds',
    'maxAttemptsPerToken',
    'bindUserAgent',
  ];
  for (const key of Object.keys(c))
    if (!known.includes(key)) throw new TypeError(`${P}.${key} is not a known option`);
  if (c.encryptionKeys === undefined)
    throw new TypeError(
      `${P}.encryptionKeys is required: MFA secrets are only stored encrypted (32 random bytes per key)`,
    );
  const box = createSecretBox({
    keys: c.encryptionKeys as MfaEncryptionKey[],
    randomBytes: defaults.randomBytes,
    errorPrefix: `${P}.encryptionKeys`,
  });
  const issuer = c.issuer ?? defaultIssuer(defaults.domain);
  if (
    typeof issuer !== 'string' ||
    issuer.length === 0 ||
    issuer.length > 100 ||
    issuer.includes(':')
  )
    throw new TypeError(`${P}.issuer must be 1-100 characters without ":"`);
  const bindUserAgent = c.bindUserAgent ?? true;
  if (typeof bindUserAgent !== 'boolean')
    throw new TypeError(`${P}.bindUserAgent must be a boolean`);
  const backupCodeCount = int('backupCodeCount', c.backupCodeCount, 10, 5, 20);
  return {
    box,
    issuer,
    window: int('window', c.window, 1, 0, 2),
    backupCodeCount,
    backupCodesLowThreshold: int(
      'backupCodesLowThreshold',
      c.backupCodesLowThreshold,
      3,
      0,
      backupCodeCount,
    ),
    tokenTtlSeconds: int('tokenTtlSeconds', c.tokenTtlSeconds, 300, 60, 900),
    maxAttemptsPerToken: int('maxAttemptsPerToken', c.maxAttemptsPerToken, 5, 1, 10),
    bindUserAgent,
  };
}
