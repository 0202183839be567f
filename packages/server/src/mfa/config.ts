// MFA configuration: validated at start-up (createEvrmoreAuth), kept on the runtime (`rt.mfa`).
import * as v from 'valibot';
import { boolean, integer, options, parseOptions } from '../config/validate.js';
import type { RandomBytes } from '../crypto.js';
import { createSecretBox, type MfaEncryptionKey, type SecretBox } from './secret-box.js';

/**
 * The `mfa` option of `createEvrmoreAuth`: TOTP with backup codes. Without it the `/mfa/*`
 * routes answer 404 and an enrolled address cannot sign in (503, fail closed).
 *
 * Key rotation: put a new key FIRST in `encryptionKeys` and keep the old ones after it. New
 * secrets are sealed with the first key; every listed key still decrypts. A secret sealed with an
 * older key is re-sealed with the newest one the next time its owner uses a TOTP code, or at once
 * with `auth.reencryptMfaSecrets(address)`. Remove an old key only after every record has
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
  const c = parseOptions('createEvrmoreAuth', MFA_CONFIG, mfa, { root: 'mfa' });
  const box = createSecretBox({
    keys: c.encryptionKeys,
    randomBytes: defaults.randomBytes,
    errorPrefix: 'createEvrmoreAuth: mfa.encryptionKeys',
  });
  const issuer = c.issuer ?? defaultIssuer(defaults.domain);
  return { ...c, box, issuer };
}

const ISSUER = 'must be 1-100 characters without ":"';
/** The `mfa` option with its defaults (as documented on {@link MfaConfig}). */
const MFA_CONFIG = v.pipe(
  options(
    {
      // shapes and strength of the keys: createSecretBox
      encryptionKeys: v.custom<MfaEncryptionKey[]>(
        (x) => x !== undefined,
        'is required: MFA secrets are only stored encrypted (32 random bytes per key)',
      ),
      issuer: v.optional(
        v.pipe(
          v.string(ISSUER),
          v.minLength(1, ISSUER),
          v.maxLength(100, ISSUER),
          v.excludes(':', ISSUER),
        ),
      ),
      window: v.optional(integer(0, 2), 1),
      backupCodeCount: v.optional(integer(5, 20), 10),
      // from 0 to backupCodeCount: checked below
      backupCodesLowThreshold: v.optional(
        v.custom<number>(() => true),
        3,
      ),
      tokenTtlSeconds: v.optional(integer(60, 900), 300),
      maxAttemptsPerToken: v.optional(integer(1, 10), 5),
      bindUserAgent: v.optional(boolean, true),
    },
    'must be an object { encryptionKeys, … }',
  ),
  v.forward(
    v.check(
      (c) =>
        Number.isSafeInteger(c.backupCodesLowThreshold) &&
        c.backupCodesLowThreshold >= 0 &&
        c.backupCodesLowThreshold <= c.backupCodeCount,
      (issue) =>
        `must be an integer from 0 to ${(issue.input as { backupCodeCount: number }).backupCodeCount}`,
    ),
    ['backupCodesLowThreshold'],
  ),
);
