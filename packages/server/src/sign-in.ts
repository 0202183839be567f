// POST /auth/verify: consume the challenge, verify the signature, then complete the sign-in.
import {
  EvrmoreAuthError,
  parseSignInMessage,
  verifyMessage,
  type SignInMessageFields,
  type TokenResponse,
} from '@evrmore-auth/core';
import { randomToken, sha256Base64Url } from './crypto.js';
import { authError } from './errors.js';
import { fingerprintCookie, refreshCookies, sessionCookies } from './http/cookies.js';
import type { RequestContext } from './http/request.js';
import { startMfaSignIn, type MfaPendingResult } from './mfa/mfa-token.js';
import { hashRefreshToken, newRefreshToken } from './refresh-token.js';
import { eventBase, type AuthRuntime } from './runtime.js';
import { loadClaims, mintTokenResponse } from './token-response.js';
import type { SessionRecord } from './store.js';
import { proofRequestOf, readTokenRequestProof, spendProof } from './dpop/check.js';
import type { VerifiedProof } from './dpop/proof.js';

/**
 * Options of {@link verifySignedChallenge} and {@link signIn}.
 *
 * @example
 * ```ts
 * const options: SignInOptions = { message, signature, context };
 * ```
 */
export interface SignInOptions {
  message: string;
  signature: string;
  context: RequestContext;
}

function parseTime(value: string | undefined): number {
  return value === undefined ? NaN : Date.parse(value);
}

/**
 * Check a signed challenge (the caller has spent the per-IP `verify` budget): parse (`invalid_message`), consume the nonce atomically before any
 * signature work (`challenge_unknown`, `challenge_expired`), compare byte for byte
 * (`message_mismatch`), check domain/URI/chain/address/times against what was issued, then verify
 * the signature (`invalid_signature_encoding`, `invalid_signature`, `wrong_network`). Returns the
 * verified address; creates no session (that is {@link completeSignIn}; the whole sign-in is
 * {@link signIn}).
 *
 * @example
 * ```ts
 * const { address } = await verifySignedChallenge(runtime, { message, signature, context });
 * ```
 */
export async function verifySignedChallenge(
  rt: AuthRuntime,
  options: SignInOptions,
): Promise<{ address: string; fields: SignInMessageFields }> {
  const { message, signature, context } = options;
  const { config } = rt;
  let fields: SignInMessageFields;
  try {
    fields = parseSignInMessage(message);
  } catch (err) {
    if (err instanceof EvrmoreAuthError) throw err;
    throw authError('invalid_message', { cause: err });
  }

  // Spend the nonce first: a nonce is used up by its first attempt, valid or not.
  const record = await rt.store.consumeChallenge(fields.nonce);
  // A message made for another network or site gets the matching code (whether or not its nonce
  // happens to be known here).
  if (fields.chainId !== config.network.chainId)
    throw authError('wrong_network', {
      detail: `the message is for ${fields.chainId.slice(0, 65)}, this server signs in on ${config.network.chainId}`,
    });
  if (fields.domain !== config.domain || fields.uri !== config.uri)
    throw authError('message_mismatch', {
      detail: 'the message names another domain or URI',
    });
  if (record === null) throw authError('challenge_unknown');
  const now = config.now();
  const tolerance = config.clockToleranceSeconds * 1000;
  if (now >= record.expiresAt) throw authError('challenge_expired');
  if (record.message !== message) throw authError('message_mismatch');
  // The stored record must agree with the configuration in force (it may predate a change).
  if (
    record.chainId !== config.network.chainId ||
    record.domain !== config.domain ||
    record.uri !== config.uri
  )
    throw authError('message_mismatch', {
      detail: 'the challenge predates a configuration change',
    });
  if (fields.address !== record.address) throw authError('message_mismatch');
  const issuedAt = parseTime(fields.issuedAt);
  const expiresAt = parseTime(fields.expirationTime);
  const notBefore = fields.notBefore === undefined ? -Infinity : parseTime(fields.notBefore);
  if (!(issuedAt <= now + tolerance) || !(issuedAt === record.issuedAt))
    throw authError('message_mismatch');
  if (!(expiresAt === record.expiresAt)) throw authError('message_mismatch');
  if (now >= expiresAt) throw authError('challenge_expired');
  if (!(notBefore <= now + tolerance))
    throw authError('challenge_unknown', { detail: 'the message is not valid yet' });
  // Only now, with a challenge issued for this address consumed, does the address's budget (and
  // lock-out) come in: keyed by IP + address, so another network's failures never count here.
  await rt.rateLimits.checkAddress('verify', { ip: context.ip, address: record.address });

  const result = verifyMessage({
    address: record.address,
    message,
    signature,
    network: config.network,
    backend: config.backend,
  });
  if (!result.valid) {
    if (result.reason === 'invalid_signature') {
      await rt.rateLimits.recordFailure('signature', { ip: context.ip, address: record.address });
    }
    throw authError(result.reason, { detail: result.message });
  }
  await rt.rateLimits.recordSuccess('signature', { ip: context.ip, address: record.address });
  return { address: record.address, fields };
}

/**
 * What a completed sign-in produced: the token response, the cookies to set and the session.
 *
 * @example
 * ```ts
 * const { tokens, setCookies } = await completeSignIn(runtime, { address, context });
 * ```
 */
export interface SignInResult {
  /** The JSON body to answer with. */
  tokens: TokenResponse;
  /** `set-cookie` values: fingerprint cookie and refresh cookie (and the session cookie in
   *  cookie mode). */
  setCookies: string[];
  /** The session created. */
  session: SessionRecord;
}

/**
 * Finish a sign-in whose signature (and second factor, when enrolled) checked out: ask
 * the claims provider for claims, create the session with a fresh fingerprint and refresh token, issue the
 * access token.
 *
 * @example
 * ```ts
 * const { tokens, setCookies } = await completeSignIn(runtime, { address, context });
 * ```
 */
export async function completeSignIn(
  rt: AuthRuntime,
  options: {
    address: string;
    context: RequestContext;
    /** The request's DPoP proof, read before the sign-in's single-use steps; `undefined`: read
     *  it from `context` now. */
    dpopProof?: VerifiedProof | null;
  },
): Promise<SignInResult> {
  const { address, context } = options;
  const { config } = rt;
  const dpopProof =
    options.dpopProof !== undefined
      ? options.dpopProof
      : await readTokenRequestProof(rt.dpop, proofRequestOf(context), {
          now: config.now(),
          clockToleranceSeconds: config.clockToleranceSeconds,
        });
  // One network cannot fill the store's session cap with throw-away keys.
  await rt.rateLimits.check('newSessions', { ip: context.ip });
  // The proof's jti is spent only now, past the rate limits: a stranger cannot fill the cache.
  if (dpopProof !== null && rt.dpop !== null)
    await spendProof(rt.dpop, dpopProof, false, config.now());
  const sessionId = randomToken(config.randomBytes, 16);
  const claims = await loadClaims(rt, {
    address,
    reason: 'sign-in',
    sessionId,
    ip: context.ip,
    userAgent: context.userAgent,
  });
  const fingerprint = randomToken(config.randomBytes, 32);
  const refreshToken = newRefreshToken(config.randomBytes, sessionId);
  const now = config.now();
  const expiresAt = now + config.refreshAbsoluteTtlSeconds * 1000;
  const session: SessionRecord = {
    id: sessionId,
    address,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
    idleExpiresAt: Math.min(expiresAt, now + config.sessionPolicy.idleWindowMs),
    userAgent: context.userAgent,
    ip: context.ip,
    fingerprintHash: await sha256Base64Url(fingerprint),
    revokedAt: null,
    revokedReason: null,
    // RFC 9449 §5: the binding is made here, at sign-in, and a refresh keeps it.
    dpopJkt: dpopProof?.jkt ?? null,
  };
  const { limit } = config.sessionPolicy;
  const created = await rt.store.createSession(
    session,
    await hashRefreshToken(refreshToken),
    limit ?? undefined,
  );
  if (limit !== null) {
    if (created === undefined)
      throw new TypeError(
        `createEvrmoreAuth: sessionPolicy.maxSessionsPerAddress needs a store whose createSession enforces a SessionLimit (${rt.store.name} returned nothing)`,
      );
    // The route's `signin.failed` event carries the code.
    if (!created.created)
      throw authError('session_limit_reached', {
        detail: `this address already has ${limit.max} active session${limit.max === 1 ? '' : 's'}: sign out of one first`,
      });
    for (const evicted of created.evicted) {
      // Sessions the cap evicted end here at once, like any other revocation.
      rt.revocations.tell({ sid: evicted });
      rt.events.emit({
        type: 'session.revoked',
        ...eventBase(context),
        address,
        sessionId: evicted,
        detail: { reason: 'session_limit' },
      });
    }
  }
  const tokens = await mintTokenResponse(rt, session, claims);
  rt.events.emit({ type: 'signin.succeeded', ...eventBase(context), address, sessionId });
  return {
    tokens,
    session,
    setCookies: [
      fingerprintCookie(config, fingerprint, session),
      ...refreshCookies(config, refreshToken, session),
      ...sessionCookies(config, tokens),
    ],
  };
}

/**
 * The whole `/auth/verify` step: {@link verifySignedChallenge}, the second-factor gate, then
 * {@link completeSignIn}.
 *
 * @example
 * ```ts
 * const result = await signIn(runtime, { message, signature, context });
 * ```
 */
export async function signIn(
  rt: AuthRuntime,
  options: SignInOptions,
): Promise<SignInResult | MfaPendingResult> {
  await rt.rateLimits.check('verify', { ip: options.context.ip });
  // The proof is checked past the per-IP budget and before the challenge is spent, so a
  // `use_dpop_nonce` answer can be retried with the same signed message.
  const dpopProof = await readTokenRequestProof(rt.dpop, proofRequestOf(options.context), {
    now: rt.config.now(),
    clockToleranceSeconds: rt.config.clockToleranceSeconds,
  });
  const { address, fields } = await verifySignedChallenge(rt, options);
  const mfa = await rt.store.getMfa(address);
  // An enrolled address gets an mfa token, no session; POST /auth/mfa/verify completes it.
  if (mfa?.enabled)
    return startMfaSignIn(rt, { address, nonce: fields.nonce, context: options.context });
  return completeSignIn(rt, { address, context: options.context, dpopProof });
}
