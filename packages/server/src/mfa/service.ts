// MFA operations: TOTP enrolment (setup, enable), disable, second-factor sign-in, re-encryption.
import {
  EvrmoreAuthError,
  type MfaMethod,
  type TotpEnableResponse,
  type TotpSetupResponse,
} from '@evrmore-auth/core';
import type { AuthIdentity } from '../authenticate.js';
import { authError } from '../errors.js';
import type { RequestContext } from '../http/request.js';
import { eventBase, type AuthRuntime } from '../runtime.js';
import { completeSignIn, type SignInResult } from '../sign-in.js';
import { proofRequestOf, readTokenRequestProof } from '../dpop/check.js';
import type { MfaRecord } from '../store.js';
import { containsHash, generateBackupCodes, hashBackupCode } from './backup-codes.js';
import type { ResolvedMfaConfig } from './config.js';
import { putMfaTokenBack, takeMfaToken } from './mfa-token.js';
import { SecretBoxError } from './secret-box.js';
import { generateTotpSecret, matchTotpCode, totpSecretBase32, totpUri } from './totp.js';

type Purpose = 'totp' | 'pending';
/** Additional authenticated data: a sealed secret only opens for its address and purpose. */
const aad = (address: string, purpose: Purpose): string =>
  `evrmore-auth mfa v1\n${purpose}\n${address}`;

function requireMfa(rt: AuthRuntime): ResolvedMfaConfig {
  const m = rt.mfa;
  if (m === null) throw authError('not_found', { detail: 'MFA is not configured on this server' });
  return m;
}

async function openSecret(
  m: ResolvedMfaConfig,
  sealed: string,
  address: string,
  purpose: Purpose,
): Promise<Uint8Array> {
  try {
    return await m.box.open(sealed, aad(address, purpose));
  } catch (err) {
    // A key was removed too early or the record was tampered with: fail closed, log the cause.
    if (err instanceof SecretBoxError)
      throw authError('unavailable', {
        detail: 'the second factor cannot be checked right now',
        cause: err,
      });
    throw err;
  }
}

/**
 * Options of the MFA operations: who asks, from which request.
 *
 * @example
 * ```ts
 * await enableTotp(rt, { address: identity.address, code: '492039', context });
 * ```
 */
export interface MfaOperationOptions {
  address: string;
  context: RequestContext;
}

/**
 * `POST /auth/mfa/totp/setup`: a new pending secret (sealed at rest), returned once with its
 * `otpauth://` URI. Replaces an earlier unconfirmed one; refused (`invalid_request`) while TOTP is
 * enabled (disable it first, with a code).
 *
 * @example
 * ```ts
 * const { secret, uri } = await setupTotp(rt, { address, context });
 * ```
 */
export async function setupTotp(
  rt: AuthRuntime,
  options: MfaOperationOptions,
): Promise<TotpSetupResponse> {
  const m = requireMfa(rt);
  const { address } = options;
  const existing = await rt.store.getMfa(address);
  if (existing?.enabled)
    throw authError('invalid_request', {
      detail: 'TOTP is already enabled; disable it (with a code) before setting it up again',
    });
  const secret = generateTotpSecret(rt.config.randomBytes);
  const record: MfaRecord = {
    address,
    totpSecretEnc: null,
    pendingSecretEnc: await m.box.seal(secret, aad(address, 'pending')),
    enabled: false,
    backupCodeHashes: [],
    lastTotpStep: existing?.lastTotpStep ?? 0,
    updatedAt: rt.config.now(),
  };
  await rt.store.putMfa(record);
  return {
    secret: totpSecretBase32(secret),
    uri: totpUri({ secret, issuer: m.issuer, label: address }),
  };
}

async function failCode(
  rt: AuthRuntime,
  options: MfaOperationOptions & { stage: string },
): Promise<never> {
  const { address, context } = options;
  await rt.rateLimits.recordFailure('mfa', { ip: context.ip, address });
  rt.events.emit({
    type: 'mfa.failed',
    ...eventBase(context),
    address,
    code: 'mfa_invalid',
    detail: { stage: options.stage },
  });
  throw authError('mfa_invalid', { detail: 'the code is not valid' });
}

/** The MFA limits: per IP (unless already spent for this request), then per address. */
async function checkLimits(
  rt: AuthRuntime,
  options: { address?: string; context: RequestContext; ipSpent?: boolean },
): Promise<void> {
  const { address, context } = options;
  try {
    if (options.ipSpent !== true) await rt.rateLimits.check('mfa', { ip: context.ip });
    if (address !== undefined) await rt.rateLimits.checkAddress('mfa', { ip: context.ip, address });
  } catch (err) {
    if (err instanceof EvrmoreAuthError && err.code === 'rate_limited')
      rt.events.emit({
        type: 'rate_limited',
        ...eventBase(context),
        ...(address === undefined ? {} : { address }),
        code: 'rate_limited',
        detail: { route: 'mfa' },
      });
    throw err;
  }
}

/**
 * `POST /auth/mfa/totp/enable`: confirm the pending secret with a current code; returns the
 * backup codes (only their hashes are stored). Emits `mfa.enrolled`.
 *
 * @example
 * ```ts
 * const { backupCodes } = await enableTotp(rt, { address, code: '492039', context });
 * ```
 */
export async function enableTotp(
  rt: AuthRuntime,
  options: MfaOperationOptions & { code: string },
): Promise<TotpEnableResponse> {
  const m = requireMfa(rt);
  const { address, context } = options;
  const record = await rt.store.getMfa(address);
  if (!record || record.enabled || record.pendingSecretEnc === null)
    throw authError('invalid_request', {
      detail: 'no TOTP setup is pending: call /mfa/totp/setup first',
    });
  await checkLimits(rt, options);
  const secret = await openSecret(m, record.pendingSecretEnc, address, 'pending');
  const step = matchTotpCode({
    secret,
    code: options.code.trim(),
    timestamp: rt.config.now(),
    window: m.window,
  });
  // useTotpStep makes the confirmation atomic: of concurrent enables with one code, one wins.
  if (step === null || !(await rt.store.useTotpStep(address, step)))
    return failCode(rt, { ...options, stage: 'enable' });
  await rt.rateLimits.recordSuccess('mfa', { ip: context.ip, address });
  const backupCodes = generateBackupCodes(rt.config.randomBytes, m.backupCodeCount);
  const hashes = await Promise.all(backupCodes.map((c) => hashBackupCode(address, c)));
  await rt.store.putMfa({
    address,
    totpSecretEnc: await m.box.seal(secret, aad(address, 'totp')),
    pendingSecretEnc: null,
    enabled: true,
    backupCodeHashes: hashes as string[],
    lastTotpStep: step,
    updatedAt: rt.config.now(),
  });
  rt.events.emit({
    type: 'mfa.enrolled',
    ...eventBase(context),
    address,
    detail: { method: 'totp', backupCodes: backupCodes.length },
  });
  return { backupCodes };
}

/**
 * Check a TOTP or backup code for an enrolled address; each TOTP step and each backup code is
 * accepted once. A wrong code counts towards lock-out, emits `mfa.failed` and throws
 * `mfa_invalid`. Emits `mfa.backup_code_used` / `mfa.backup_codes_low`. Re-seals the secret with
 * the newest key when an older one sealed it.
 *
 * @example
 * ```ts
 * const method = await checkSecondFactor(rt, { address, code, context, stage: 'signin' });
 * ```
 */
export async function checkSecondFactor(
  rt: AuthRuntime,
  options: MfaOperationOptions & { code: string; stage: string; record?: MfaRecord },
): Promise<MfaMethod> {
  const m = requireMfa(rt);
  const { address, context } = options;
  const record = options.record ?? (await rt.store.getMfa(address));
  if (!record?.enabled || record.totpSecretEnc === null)
    return failCode(rt, { ...options, stage: options.stage });
  const code = options.code.trim();
  const now = rt.config.now();
  let method: MfaMethod | null = null;
  if (/^[0-9]{6}$/.test(code)) {
    const secret = await openSecret(m, record.totpSecretEnc, address, 'totp');
    const step = matchTotpCode({ secret, code, timestamp: now, window: m.window });
    if (step !== null && (await rt.store.useTotpStep(address, step))) {
      method = 'totp';
      if (m.box.keyIdOf(record.totpSecretEnc) !== m.box.currentKeyId)
        await reseal(rt, m, address, record.totpSecretEnc, secret);
    }
  } else {
    const hash = await hashBackupCode(address, code);
    if (
      hash !== null &&
      containsHash(record.backupCodeHashes, hash) &&
      (await rt.store.consumeBackupCode(address, hash))
    )
      method = 'backup_code';
  }
  if (method === null) return failCode(rt, { ...options, stage: options.stage });
  await rt.rateLimits.recordSuccess('mfa', { ip: context.ip, address });
  if (method === 'backup_code') {
    const remaining = (await rt.store.getMfa(address))?.backupCodeHashes.length ?? 0;
    rt.events.emit({
      type: 'mfa.backup_code_used',
      ...eventBase(context),
      address,
      detail: { remaining, stage: options.stage },
    });
    if (remaining <= m.backupCodesLowThreshold)
      rt.events.emit({
        type: 'mfa.backup_codes_low',
        ...eventBase(context),
        address,
        detail: { remaining },
      });
  }
  return method;
}

/** Re-seal with the newest key, keeping whatever the store changed meanwhile (steps, codes). */
async function reseal(
  rt: AuthRuntime,
  m: ResolvedMfaConfig,
  address: string,
  sealed: string,
  secret: Uint8Array,
): Promise<boolean> {
  const fresh = await rt.store.getMfa(address);
  if (!fresh?.enabled || fresh.totpSecretEnc !== sealed) return false;
  await rt.store.putMfa({
    ...fresh,
    totpSecretEnc: await m.box.seal(secret, aad(address, 'totp')),
    updatedAt: rt.config.now(),
  });
  return true;
}

/**
 * Re-seal an address's TOTP secret (and a pending one) with the newest encryption key now,
 * instead of waiting for its next use. Returns whether anything changed. Run it over every
 * enrolled address before removing an old key from `mfa.encryptionKeys`.
 *
 * @example
 * ```ts
 * for (const address of await db.enrolledAddresses()) await reencryptMfaSecrets(auth.runtime, address);
 * ```
 */
export async function reencryptMfaSecrets(rt: AuthRuntime, address: string): Promise<boolean> {
  const m = requireMfa(rt);
  const record = await rt.store.getMfa(address);
  if (record === null) return false;
  let changed = false;
  const next = { ...record };
  if (record.totpSecretEnc !== null && m.box.keyIdOf(record.totpSecretEnc) !== m.box.currentKeyId) {
    const secret = await openSecret(m, record.totpSecretEnc, address, 'totp');
    next.totpSecretEnc = await m.box.seal(secret, aad(address, 'totp'));
    changed = true;
  }
  if (
    record.pendingSecretEnc !== null &&
    m.box.keyIdOf(record.pendingSecretEnc) !== m.box.currentKeyId
  ) {
    const secret = await openSecret(m, record.pendingSecretEnc, address, 'pending');
    next.pendingSecretEnc = await m.box.seal(secret, aad(address, 'pending'));
    changed = true;
  }
  if (!changed) return false;
  // Keep the freshest replay state: never move lastTotpStep back or revive a used backup code.
  const fresh = await rt.store.getMfa(address);
  if (fresh === null) return false;
  await rt.store.putMfa({
    ...fresh,
    totpSecretEnc:
      fresh.totpSecretEnc === record.totpSecretEnc ? next.totpSecretEnc : fresh.totpSecretEnc,
    pendingSecretEnc:
      fresh.pendingSecretEnc === record.pendingSecretEnc
        ? next.pendingSecretEnc
        : fresh.pendingSecretEnc,
    updatedAt: rt.config.now(),
  });
  return true;
}

/**
 * `POST /auth/mfa/totp/disable`: needs a current TOTP or an unused backup code; removes the
 * second factor (secret and backup codes). Emits `mfa.disabled`.
 *
 * @example
 * ```ts
 * await disableTotp(rt, { address, code: '492039', context });
 * ```
 */
export async function disableTotp(
  rt: AuthRuntime,
  options: MfaOperationOptions & { code: string },
): Promise<void> {
  requireMfa(rt);
  const { address, context } = options;
  const record = await rt.store.getMfa(address);
  if (!record?.enabled) throw authError('invalid_request', { detail: 'TOTP is not enabled' });
  await checkLimits(rt, options);
  const method = await checkSecondFactor(rt, { ...options, stage: 'disable', record });
  await rt.store.deleteMfa(address);
  rt.events.emit({ type: 'mfa.disabled', ...eventBase(context), address, detail: { method } });
}

/**
 * `POST /auth/mfa/verify`: finish a sign-in with its mfa token and a TOTP or backup code. A wrong
 * code answers `mfa_invalid` and the token stays usable until `maxAttemptsPerToken` wrong codes
 * (then it is burned); an unknown, used, expired or foreign token answers `token_invalid`. On
 * success the normal token response and cookies (through `completeSignIn`).
 *
 * @example
 * ```ts
 * const { tokens, setCookies } = await verifyMfaSignIn(rt, { mfaToken, code, context });
 * ```
 */
export async function verifyMfaSignIn(
  rt: AuthRuntime,
  options: { mfaToken: string; code: string; context: RequestContext },
): Promise<SignInResult> {
  requireMfa(rt);
  const { context } = options;
  // A stranger's guessed tokens spend the stranger's per-IP budget before any store work.
  await checkLimits(rt, { context });
  // The DPoP proof is checked past the per-IP budget, before the mfa token and the code are
  // spent (a `use_dpop_nonce` answer can be retried).
  const dpopProof = await readTokenRequestProof(rt.dpop, proofRequestOf(context), {
    now: rt.config.now(),
    clockToleranceSeconds: rt.config.clockToleranceSeconds,
  });
  let taken: Awaited<ReturnType<typeof takeMfaToken>>;
  try {
    taken = await takeMfaToken(rt, { token: options.mfaToken, context });
  } catch (err) {
    if (err instanceof EvrmoreAuthError && err.code === 'token_invalid')
      rt.events.emit({
        type: 'mfa.failed',
        ...eventBase(context),
        code: 'token_invalid',
        detail: { stage: 'signin' },
      });
    throw err;
  }
  const { key, state } = taken;
  const address = state.address;
  try {
    await checkLimits(rt, { address, context, ipSpent: true });
  } catch (err) {
    // Locked out or over the limit: the attempt does not count, the token stays as it was.
    await putMfaTokenBack(rt, key, state);
    throw err;
  }
  let method: MfaMethod;
  try {
    method = await checkSecondFactor(rt, { address, code: options.code, context, stage: 'signin' });
  } catch (err) {
    if (err instanceof EvrmoreAuthError && err.code === 'mfa_invalid')
      await putMfaTokenBack(rt, key, { ...state, attempts: state.attempts + 1 });
    else if (err instanceof EvrmoreAuthError && err.code === 'unavailable')
      await putMfaTokenBack(rt, key, state).catch(() => false);
    throw err;
  }
  const result = await completeSignIn(rt, { address, context, dpopProof });
  rt.events.emit({
    type: 'mfa.succeeded',
    ...eventBase(context),
    address,
    sessionId: result.session.id,
    detail: { method },
  });
  return result;
}

/**
 * Whether `identity`'s address has TOTP enabled (for account pages).
 *
 * @example
 * ```ts
 * const on = await isMfaEnabled(auth.runtime, identity);
 * ```
 */
export async function isMfaEnabled(rt: AuthRuntime, identity: AuthIdentity): Promise<boolean> {
  return (await rt.store.getMfa(identity.address))?.enabled === true;
}
