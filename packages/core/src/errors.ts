// The protocol's error codes, their HTTP statuses and the one error class. Problem+json rendering
// (titles, toProblem) lives in problem.ts, which a client bundle does not import.

/**
 * HTTP status of every stable error code of the wire protocol (PROTOCOL.md section 6).
 *
 * @example
 * ```ts
 * import { ERROR_STATUS } from '@evrmore-auth/core';
 * ERROR_STATUS.rate_limited; // 429
 * ```
 */
export const ERROR_STATUS = {
  /** HTTP 400: the request body or parameters are malformed. */
  invalid_request: 400,
  /** HTTP 400: not a valid Evrmore P2PKH address. */
  invalid_address: 400,
  /** HTTP 400: the address or message belongs to another network. */
  wrong_network: 400,
  /** HTTP 400: the sign-in message does not parse. */
  invalid_message: 400,
  /** HTTP 400: the signature is not a 65-byte base64 compact signature. */
  invalid_signature_encoding: 400,
  /** HTTP 401: the signature does not match the address and message. */
  invalid_signature: 401,
  /** HTTP 401: the challenge is unknown or already used. */
  challenge_unknown: 401,
  /** HTTP 401: the challenge has expired. */
  challenge_expired: 401,
  /** HTTP 401: the signed message differs from the issued challenge. */
  message_mismatch: 401,
  /** HTTP 401: no access token was sent. */
  token_missing: 401,
  /** HTTP 401: the access token is malformed or its signature does not verify. */
  token_invalid: 401,
  /** HTTP 401: the access token has expired (refresh, then retry). */
  token_expired: 401,
  /** HTTP 401: the session behind the token was revoked. */
  token_revoked: 401,
  /** HTTP 401: the token's fingerprint cookie is missing or does not match. */
  fingerprint_mismatch: 401,
  /** HTTP 401: the refresh token is unknown or expired. */
  refresh_invalid: 401,
  /** HTTP 401: an already rotated refresh token was presented; the session is revoked. */
  refresh_reused: 401,
  /** HTTP 401: the second-factor code or MFA token is invalid. */
  mfa_invalid: 401,
  /** HTTP 400 at the token endpoints (401 at protected resources): the DPoP proof is malformed,
   *  badly signed, for another method or URL, too old, or replayed. */
  dpop_proof_invalid: 400,
  /** HTTP 400 at the token endpoints (401 at protected resources): send the proof again with the
   *  server's nonce from the `DPoP-Nonce` response header. */
  use_dpop_nonce: 400,
  /** HTTP 400: this server requires a DPoP proof at its token endpoints. */
  dpop_required: 400,
  /** HTTP 401: the DPoP proof was made with another key than the one the token or session is
   *  bound to. */
  dpop_key_mismatch: 401,
  /** HTTP 401: the API key is malformed, unknown, or its secret is wrong. */
  api_key_invalid: 401,
  /** HTTP 401: the API key has expired. */
  api_key_expired: 401,
  /** HTTP 401: the API key was revoked. */
  api_key_revoked: 401,
  /** HTTP 403: the request Origin is not in allowedOrigins. */
  origin_forbidden: 403,
  /** HTTP 403: a cookie-authenticated unsafe request (POST, PUT, PATCH, DELETE) came without an
   *  allowed `Origin` (cross-site request forgery refused). */
  csrf_rejected: 403,
  /** HTTP 403: the token lacks a required permission. */
  insufficient_scope: 403,
  /** HTTP 403: the API key may not be used from the client's IP address (its `ipAllowList`). */
  api_key_ip_forbidden: 403,
  /** HTTP 403: the client IP is on the deny list (or a route open only to the allow list). */
  ip_denied: 403,
  /** HTTP 404: no such route. */
  not_found: 404,
  /** HTTP 409: the address already has the most sessions the server allows
   *  (`sessionPolicy.maxSessionsPerAddress` with `onLimit: 'refuse'`); sign out of one first. */
  session_limit_reached: 409,
  /** HTTP 405: the route does not take this HTTP method. */
  method_not_allowed: 405,
  /** HTTP 413: the request body exceeds the size limit. */
  payload_too_large: 413,
  /** HTTP 415: the request body is not application/json. */
  unsupported_media_type: 415,
  /** HTTP 429: too many requests (see retry-after). */
  rate_limited: 429,
  /** HTTP 503: a store or backend is down; retry later. */
  unavailable: 503,
} as const;

/**
 * A stable, machine-readable error code of the wire protocol.
 *
 * @example
 * ```ts
 * const code: ErrorCode = 'invalid_signature';
 * ERROR_STATUS[code]; // 401
 * ```
 */
export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * Whether `value` is one of the protocol's error codes.
 *
 * @example
 * ```ts
 * if (isErrorCode(body.code)) console.log(ERROR_STATUS[body.code]);
 * ```
 */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}

/**
 * Options of {@link EvrmoreAuthError}.
 *
 * @example
 * ```ts
 * throw new EvrmoreAuthError('rate_limited', { retryAfter: 30, detail: 'too many attempts' });
 * ```
 */
export interface EvrmoreAuthErrorOptions {
  /** Human-readable detail safe to show to the caller. Never put secrets here. */
  detail?: string;
  /**
   * The code's human title (`ERROR_TITLES[code]`, or the `title` of a problem document received),
   * for `message` when there is no detail. This class does not carry the titles table, so that a
   * browser bundle which only reads errors does not ship it.
   * @default the code itself, for `message`
   */
  title?: string;
  /** The underlying error, kept for logs; never serialised into a response. */
  cause?: unknown;
  /** Seconds after which a retry may succeed (sent as `retry-after` with 429). */
  retryAfter?: number;
  /**
   * The HTTP status, for the codes whose status depends on where they occur (`dpop_proof_invalid`
   * and `use_dpop_nonce` are 400 at token endpoints, 401 at protected resources).
   * @default `ERROR_STATUS[code]`
   */
  status?: 400 | 401;
}

/**
 * The one error class of evrmore-auth: a stable `code` from the protocol and its HTTP `status`.
 * Its `message` is the detail, else the title given, else the code; `toProblem(error)` renders
 * its problem+json body.
 *
 * @example
 * ```ts
 * import { EvrmoreAuthError } from '@evrmore-auth/core';
 * try {
 *   await auth.authenticate(request);
 * } catch (err) {
 *   if (err instanceof EvrmoreAuthError && err.code === 'token_expired') {
 *     // refresh and retry
 *   }
 * }
 * ```
 */
export class EvrmoreAuthError extends Error {
  /** Always `EvrmoreAuthError` (or a subclass name). */
  override readonly name: string = 'EvrmoreAuthError';
  // Set by the constructor: `declare` emits no field definitions before it (bundle size).
  /** The stable protocol error code. */
  declare readonly code: ErrorCode;
  /** The HTTP status of the code (`ERROR_STATUS[code]`). */
  declare readonly status: number;
  /** Detail for the caller, safe to show; `undefined` when none was given. */
  declare readonly detail: string | undefined;
  /** Seconds until a retry may succeed (sent as `retry-after`), when known. */
  declare readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, options: EvrmoreAuthErrorOptions = {}) {
    super(
      options.detail ?? options.title ?? code,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
    this.detail = options.detail;
    this.retryAfter = options.retryAfter;
  }
}
