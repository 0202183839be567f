// The mfa token of a sign-in that still needs its second factor: random, short-lived, single-use,
// bound to the verified challenge, the address and (by default) the user agent. It is no JWT and
// is accepted nowhere but `POST /auth/mfa/verify`; the store keeps only its hash.
import type { EvrmoreAuthError } from '@evrmore-auth/core';
import type { MfaRequiredResponse } from '@evrmore-auth/core';
import { randomToken, sha256Base64Url } from '../crypto.js';
import { authError } from '../errors.js';
import type { RequestContext } from '../http/request.js';
import type { AuthRuntime } from '../runtime.js';

/**
 * What `/auth/verify` produces for an enrolled address: the 200 body, no cookies, no session.
 *
 * @example
 * ```ts
 * const result = await signIn(runtime, { message, signature, context });
 * if ('mfaRequired' in result) return Response.json(result.mfaRequired);
 * ```
 */
export interface MfaPendingResult {
  /** The JSON body to answer with: the MFA token and enrolled methods. */
  mfaRequired: MfaRequiredResponse;
  /** `set-cookie` values to send with it (none today: the cookies come with the tokens). */
  setCookies: string[];
}

/**
 * What the store keeps (as JSON) under `mfa-token:<base64url(SHA-256(token))>`.
 *
 * @example
 * ```ts
 * const { state } = await takeMfaToken(rt, { token, context });
 * state.address; // the address whose signature was verified
 * ```
 */
export interface MfaTokenState {
  address: string;
  /** Nonce of the verified challenge the token continues. */
  nonce: string;
  /** base64url(SHA-256(user agent)), or null when not bound. */
  ua: string | null;
  /** Wrong codes tried with this token so far. */
  attempts: number;
  expiresAt: number;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const storeKey = async (token: string): Promise<string> =>
  `mfa-token:${await sha256Base64Url(token)}`;

/**
 * Begin the second step of a sign-in whose signature checked out: store a fresh mfa token and
 * return the `{ mfaRequired: true, mfaToken, methods }` body. Fails closed (503) when MFA is not
 * configured on this server but the address is enrolled.
 *
 * @example
 * ```ts
 * if (record?.enabled) return startMfaSignIn(rt, { address, nonce: fields.nonce, context });
 * ```
 */
export async function startMfaSignIn(
  rt: AuthRuntime,
  options: { address: string; nonce: string; context: RequestContext },
): Promise<MfaPendingResult> {
  const m = rt.mfa;
  if (m === null)
    throw authError('unavailable', {
      detail: 'this address uses a second factor, which is not configured on this server',
    });
  const { address, nonce, context } = options;
  const token = randomToken(rt.config.randomBytes, 32);
  const expiresAt = rt.config.now() + m.tokenTtlSeconds * 1000;
  const state: MfaTokenState = {
    address,
    nonce,
    ua: m.bindUserAgent ? await sha256Base64Url(context.userAgent ?? '') : null,
    attempts: 0,
    expiresAt,
  };
  await rt.store.putOnce(await storeKey(token), JSON.stringify(state), expiresAt);
  return {
    mfaRequired: { mfaRequired: true, mfaToken: token, methods: ['totp', 'backup_code'] },
    setCookies: [],
  };
}

/**
 * Take an mfa token out of the store (it is gone afterwards; {@link putMfaTokenBack} returns it
 * after a wrong code). Throws `token_invalid` for an unknown, used, expired or foreign token.
 *
 * @example
 * ```ts
 * const state = await takeMfaToken(rt, { token: body.mfaToken, context });
 * ```
 */
export async function takeMfaToken(
  rt: AuthRuntime,
  options: { token: string; context: RequestContext },
): Promise<{ key: string; state: MfaTokenState }> {
  const dead = (): EvrmoreAuthError =>
    authError('token_invalid', {
      detail: 'the mfa token is unknown, expired or used up: sign in again',
    });
  if (!TOKEN.test(options.token)) throw dead();
  const key = await storeKey(options.token);
  const raw = await rt.store.takeOnce(key);
  if (raw === null) throw dead();
  let state: MfaTokenState;
  try {
    state = JSON.parse(raw) as MfaTokenState;
  } catch {
    throw dead();
  }
  if (typeof state?.address !== 'string' || !(rt.config.now() < state.expiresAt)) throw dead();
  if (state.ua !== null && state.ua !== (await sha256Base64Url(options.context.userAgent ?? '')))
    throw dead();
  return { key, state };
}

/**
 * Store a taken token again (same key and expiry) with its attempt count; `false` when its
 * attempts are used up (it stays burned).
 *
 * @example
 * ```ts
 * await putMfaTokenBack(rt, key, { ...state, attempts: state.attempts + 1 });
 * ```
 */
export async function putMfaTokenBack(
  rt: AuthRuntime,
  key: string,
  state: MfaTokenState,
): Promise<boolean> {
  const m = rt.mfa;
  if (m === null || state.attempts >= m.maxAttemptsPerToken) return false;
  if (!(rt.config.now() < state.expiresAt)) return false;
  await rt.store.putOnce(key, JSON.stringify(state), state.expiresAt);
  return true;
}
