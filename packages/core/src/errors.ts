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
  invalid_request: 400,
  invalid_address: 400,
  wrong_network: 400,
  invalid_message: 400,
  invalid_signature_encoding: 400,
  invalid_signature: 401,
  challenge_unknown: 401,
  challenge_expired: 401,
  message_mismatch: 401,
  token_missing: 401,
  token_invalid: 401,
  token_expired: 401,
  token_revoked: 401,
  fingerprint_mismatch: 401,
  refresh_invalid: 401,
  refresh_reused: 401,
  mfa_invalid: 401,
  origin_forbidden: 403,
  insufficient_scope: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
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
 * Short human titles for the problem+json `title` member; never contain request data.
 *
 * @example
 * ```ts
 * ERROR_TITLES.rate_limited; // human title for the problem+json body
 * ```
 */
export const ERROR_TITLES: Readonly<Record<ErrorCode, string>> = {
  invalid_request: 'The request is malformed',
  invalid_address: 'The address is not a valid Evrmore P2PKH address',
  wrong_network: 'The address or message belongs to another network',
  invalid_message: 'The sign-in message is malformed',
  invalid_signature_encoding: 'The signature is not a 65-byte base64 compact signature',
  invalid_signature: 'The signature does not match the address and message',
  challenge_unknown: 'The challenge is unknown or already used',
  challenge_expired: 'The challenge has expired',
  message_mismatch: 'The message differs from the issued challenge',
  token_missing: 'An access token is required',
  token_invalid: 'The access token is invalid',
  token_expired: 'The access token has expired',
  token_revoked: 'The session has been revoked',
  fingerprint_mismatch: 'The token fingerprint does not match',
  refresh_invalid: 'The refresh token is invalid or expired',
  refresh_reused: 'The refresh token was already used; the session has been revoked',
  mfa_invalid: 'The second-factor code or token is invalid',
  origin_forbidden: 'The request origin is not allowed',
  insufficient_scope: 'The token lacks the required permissions',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  payload_too_large: 'The request body is too large',
  unsupported_media_type: 'The request body must be application/json',
  rate_limited: 'Too many requests',
  unavailable: 'The service is temporarily unavailable',
};

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
 * const problem: ProblemDetails = new EvrmoreAuthError('challenge_expired').toProblem();
 * problem.status; // 401
 * ```
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
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
  /** The underlying error, kept for logs; never serialised into a response. */
  cause?: unknown;
  /** Seconds after which a retry may succeed (sent as `retry-after` with 429). */
  retryAfter?: number;
}

/**
 * The one error class of evrmore-auth: a stable `code` from the protocol and its HTTP `status`.
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
  override readonly name: string = 'EvrmoreAuthError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, options: EvrmoreAuthErrorOptions = {}) {
    super(
      options.detail ?? ERROR_TITLES[code],
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.detail = options.detail;
    this.retryAfter = options.retryAfter;
  }

  /** The problem+json body for this error (no stack, no cause). */
  toProblem(): ProblemDetails {
    const problem: ProblemDetails = {
      type: problemType(this.code),
      title: ERROR_TITLES[this.code],
      status: this.status,
      code: this.code,
    };
    if (this.detail !== undefined) problem.detail = this.detail;
    return problem;
  }
}
