// Access tokens: fingerprinted JWTs (typ at+jwt) signed and verified with jose.
import type { EvrmoreAuthError } from '@evrmore-auth/core';
import {
  SignJWT,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import { RESERVED_CLAIMS, type AccessTokenClaims, type ExtraClaims } from './config.js';
import {
  randomToken,
  sha256Base64Url,
  sha256Base64UrlSync,
  timingSafeEqualString,
  type RandomBytes,
} from './crypto.js';
import { authError } from './errors.js';
import type { LoadedKey } from './keys.js';

/**
 * Options of {@link issueAccessToken}.
 *
 * @example
 * ```ts
 * const options: IssueAccessTokenOptions = { key, issuer, audience, address, sessionId, fingerprintHash, ttlSeconds: 900, now: Date.now(), randomBytes };
 * ```
 */
export interface IssueAccessTokenOptions {
  key: LoadedKey;
  issuer: string;
  audience: string;
  address: string;
  sessionId: string;
  /** base64url(SHA-256(fingerprint cookie)). */
  fingerprintHash: string;
  /** Application claims; reserved claim names are dropped. */
  claims?: ExtraClaims | undefined;
  /** The RFC 7638 thumbprint of the DPoP key the token is bound to (claim `cnf.jkt`); absent or
   *  `null`: a bearer token. */
  dpopJkt?: string | null | undefined;
  ttlSeconds: number;
  /** Epoch milliseconds. */
  now: number;
  randomBytes: RandomBytes;
}

/**
 * Sign an access token: header `{alg, typ: 'at+jwt', kid}`, claims iss, aud, sub, sid, jti, iat,
 * nbf, exp, fgp (and `cnf.jkt` for a DPoP-bound token) plus application claims (which never
 * override the reserved ones).
 *
 * @example
 * ```ts
 * const { token, expiresAt } = await issueAccessToken(options);
 * ```
 */
export async function issueAccessToken(
  options: IssueAccessTokenOptions,
): Promise<{ token: string; expiresAt: number }> {
  const { key } = options;
  if (!key.signKey) throw new Error('the signing key has no private part');
  const extra: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options.claims ?? {})) {
    if (RESERVED_CLAIMS.has(name) || name === '__proto__' || value === undefined) continue;
    extra[name] = value;
  }
  const iat = Math.floor(options.now / 1000);
  const exp = iat + options.ttlSeconds;
  const token = await new SignJWT({
    ...extra,
    sid: options.sessionId,
    fgp: options.fingerprintHash,
    ...(options.dpopJkt ? { cnf: { jkt: options.dpopJkt } } : {}),
  })
    .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.address)
    .setJti(randomToken(options.randomBytes, 16))
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .sign(key.signKey);
  return { token, expiresAt: exp * 1000 };
}

/**
 * Options of {@link verifyAccessToken}.
 *
 * @example
 * ```ts
 * const options: VerifyAccessTokenOptions = { keys, issuer, audience, clockToleranceSeconds: 30, now: Date.now() };
 * ```
 */
export interface VerifyAccessTokenOptions {
  keys: LoadedKey[];
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
  /** Epoch milliseconds. */
  now: number;
}

const FORBIDDEN_HEADERS = ['jku', 'x5u', 'jwk', 'x5c', 'x5t', 'x5t#S256', 'crit', 'b64'];

/**
 * Verify an access token's signature and claims (not the session or fingerprint: see
 * {@link checkFingerprint} and `authenticate`). Throws `EvrmoreAuthError` `token_invalid` or
 * `token_expired`; never exposes jose's messages.
 *
 * @example
 * ```ts
 * const claims = await verifyAccessToken(token, options);
 * claims.sid;
 * ```
 */
export async function verifyAccessToken(
  token: string,
  options: VerifyAccessTokenOptions,
): Promise<AccessTokenClaims> {
  const header = readTokenHeader(token);
  if (header.typ !== 'at+jwt') throw tokenInvalid();
  const key =
    typeof header.kid === 'string' ? options.keys.find((k) => k.kid === header.kid) : undefined;
  if (!key || header.alg !== key.alg) throw tokenInvalid();
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key.verifyKey, {
      algorithms: [key.alg],
      ...accessTokenVerifyOptions(options),
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw authError('token_expired', { cause: err });
    throw tokenInvalid(err);
  }
  return accessTokenClaims(payload);
}

/** `token_invalid`, keeping jose's error as `cause` (for logs; never sent). */
export const tokenInvalid = (cause?: unknown): EvrmoreAuthError =>
  authError('token_invalid', cause === undefined ? {} : { cause });

/** The claims every access token of ours carries (jose's `requiredClaims`). */
const REQUIRED_CLAIMS = ['sub', 'sid', 'jti', 'iat', 'nbf', 'exp', 'fgp'];

/**
 * What jose checks of every access token besides the key and algorithm: issuer, audience, `typ`
 * `at+jwt`, times with the clock tolerance, and the claims we always set.
 */
export function accessTokenVerifyOptions(options: {
  issuer: string;
  audience: string;
  clockToleranceSeconds: number;
  now: number;
}): JWTVerifyOptions {
  return {
    issuer: options.issuer,
    audience: options.audience,
    typ: 'at+jwt',
    clockTolerance: options.clockToleranceSeconds,
    currentDate: new Date(options.now),
    requiredClaims: REQUIRED_CLAIMS,
  };
}

/**
 * The protected header of `token`, a compact JWS of at most 8 KiB without any header that names
 * a key or key location chosen by the sender; else `token_invalid`.
 */
export function readTokenHeader(token: unknown): Record<string, unknown> {
  if (
    typeof token !== 'string' ||
    token.length > 8192 ||
    !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)
  )
    throw tokenInvalid();
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch (err) {
    throw tokenInvalid(err);
  }
  if (FORBIDDEN_HEADERS.some((h) => Object.hasOwn(header, h))) throw tokenInvalid();
  return header;
}

/** A verified payload as {@link AccessTokenClaims}, once its claims have the types we issue. */
export function accessTokenClaims(payload: JWTPayload): AccessTokenClaims {
  if (
    typeof payload.sub !== 'string' ||
    typeof payload.sid !== 'string' ||
    typeof payload.fgp !== 'string'
  )
    throw tokenInvalid();
  // A DPoP binding is one thumbprint; anything else under `cnf` is not a token of ours.
  if (payload.cnf !== undefined) {
    const cnf = payload.cnf as { jkt?: unknown } | null;
    if (
      typeof cnf !== 'object' ||
      cnf === null ||
      typeof cnf.jkt !== 'string' ||
      Object.keys(cnf).length !== 1
    )
      throw tokenInvalid();
  }
  return payload as AccessTokenClaims;
}

/**
 * Whether the fingerprint cookie value hashes to the token's `fgp` (constant-time compare).
 *
 * @example
 * ```ts
 * if (!(await checkFingerprint(cookieValue, claims.fgp))) throw new EvrmoreAuthError('fingerprint_mismatch');
 * ```
 */
export async function checkFingerprint(cookieValue: string | null, fgp: string): Promise<boolean> {
  if (cookieValue === null || cookieValue.length === 0 || cookieValue.length > 256) return false;
  const hash = sha256Base64UrlSync(cookieValue) ?? (await sha256Base64Url(cookieValue));
  return timingSafeEqualString(hash, fgp);
}
