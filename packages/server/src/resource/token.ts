// The access token at a resource server: the auth server's JWT, verified with jose against its
// JWKS (the resource server holds no key of its own).
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AccessTokenClaims } from '../config.js';
import { authError } from '../errors.js';
import {
  accessTokenClaims,
  accessTokenVerifyOptions,
  tokenInvalid,
  readTokenHeader,
} from '../tokens.js';

/** What the auth server signs with, public-key algorithms only (an HS256 key is no JWKS's). */
const ALGORITHMS = ['EdDSA', 'Ed25519', 'ES256'];

/** Refusals about the token itself (jose's messages are not sent). */
const INVALID = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  'ERR_JWS_INVALID',
  'ERR_JWT_INVALID',
  'ERR_JWT_CLAIM_VALIDATION_FAILED',
  'ERR_JOSE_ALG_NOT_ALLOWED',
  'ERR_JOSE_NOT_SUPPORTED',
]);

/**
 * Verify an access token with the auth server's keys: header `typ: at+jwt`, `iss`, `aud`, times,
 * the claims the auth server always sets, and `cnf` (one `jkt`) when present. Throws
 * `EvrmoreAuthError` `token_invalid` or `token_expired`, or `unavailable` (503) when the JWKS
 * cannot be fetched: a resource server that cannot learn the keys fails closed.
 */
export async function verifyResourceToken(
  token: string,
  jwks: JWTVerifyGetKey,
  options: { issuer: string; audience: string; clockToleranceSeconds: number; now: number },
): Promise<AccessTokenClaims> {
  readTokenHeader(token);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, jwks, {
      algorithms: ALGORITHMS,
      ...accessTokenVerifyOptions(options),
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw authError('token_expired', { cause: err });
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && INVALID.has(code)) throw tokenInvalid(err);
    // A JWKS timeout, a network error or a bad JWKS answer: not the caller's fault.
    throw authError('unavailable', {
      detail: 'the auth server keys could not be loaded',
      cause: err,
    });
  }
  return accessTokenClaims(payload);
}
