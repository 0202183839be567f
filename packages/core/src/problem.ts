// Problem+json (RFC 9457) rendering of protocol errors: the titles table, the `type` URI and the
// body a server answers. Kept apart from EvrmoreAuthError (errors.ts) so that a browser bundle,
// which only reads errors, carries none of it.
import type { ErrorCode, EvrmoreAuthError } from './errors.js';

/**
 * Short human titles for the problem+json `title` member; never contain request data. The server
 * renders them (and passes them as an error's `title`, its `message` when there is no detail); a
 * client reads the title from the problem document it receives.
 *
 * @example
 * ```ts
 * ERROR_TITLES.rate_limited; // human title for the problem+json body
 * ```
 */
export const ERROR_TITLES: Readonly<Record<ErrorCode, string>> = {
  invalid_request: 'Malformed request',
  invalid_address: 'Not an Evrmore address',
  wrong_network: 'Wrong network',
  invalid_message: 'Malformed sign-in message',
  invalid_signature_encoding: 'Malformed signature',
  invalid_signature: 'Signature does not match',
  challenge_unknown: 'Unknown challenge',
  challenge_expired: 'Challenge expired',
  message_mismatch: 'Message differs from the challenge',
  token_missing: 'Access token required',
  token_invalid: 'Invalid access token',
  token_expired: 'Access token expired',
  token_revoked: 'Session revoked',
  fingerprint_mismatch: 'Fingerprint mismatch',
  refresh_invalid: 'Invalid refresh token',
  refresh_reused: 'Refresh token reused; session revoked',
  mfa_invalid: 'Invalid second factor',
  dpop_proof_invalid: 'Invalid DPoP proof',
  use_dpop_nonce: 'DPoP nonce required',
  dpop_required: 'DPoP proof required',
  dpop_key_mismatch: 'DPoP key mismatch',
  api_key_invalid: 'Invalid API key',
  api_key_expired: 'API key expired',
  api_key_revoked: 'API key revoked',
  origin_forbidden: 'Origin not allowed',
  csrf_rejected: 'Cross-site request refused',
  insufficient_scope: 'Insufficient permissions',
  api_key_ip_forbidden: 'API key not allowed from this IP',
  ip_denied: 'IP address refused',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  session_limit_reached: 'Too many sessions',
  payload_too_large: 'Body too large',
  unsupported_media_type: 'Body must be JSON',
  rate_limited: 'Too many requests',
  unavailable: 'Temporarily unavailable',
};

/**
 * The `type` URI of a problem document for `code`.
 *
 * @example
 * ```ts
 * problemType('invalid_signature'); // the problem+json `type` URI of the code
 * ```
 */
export function problemType(code: ErrorCode): string {
  return `urn:evrmore-auth:error:${code}`;
}

/**
 * An RFC 9457 problem document as every error response of the protocol carries it.
 *
 * @example
 * ```ts
 * const problem: ProblemDetails = toProblem(new EvrmoreAuthError('challenge_expired'));
 * problem.status; // 401
 * ```
 */
export interface ProblemDetails {
  /** URI naming the problem kind: `urn:evrmore-auth:error:{code}`. */
  type: string;
  /** Short human summary of the code (the same for every occurrence). */
  title: string;
  /** The HTTP status of the response. */
  status: number;
  /** The stable machine-readable error code; branch on this. */
  code: ErrorCode;
  /** What was wrong in this request, safe to show; absent when the title says it all. */
  detail?: string;
}

/**
 * The problem+json body of `error` (no stack, no cause): `type`, `title` (from
 * {@link ERROR_TITLES}), `status`, `code`, and `detail` when the error has one.
 *
 * @example
 * ```ts
 * import { EvrmoreAuthError, toProblem } from '@evrmore-auth/core';
 * const body = JSON.stringify(toProblem(new EvrmoreAuthError('rate_limited', { retryAfter: 30 })));
 * ```
 */
export function toProblem(error: EvrmoreAuthError): ProblemDetails {
  const problem: ProblemDetails = {
    type: problemType(error.code),
    title: ERROR_TITLES[error.code],
    status: error.status,
    code: error.code,
  };
  if (error.detail !== undefined) problem.detail = error.detail;
  return problem;
}
