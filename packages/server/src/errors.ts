// The server's protocol errors carry their code's title: as `message` when they have no detail,
// the same text as the problem+json `title` the server answers (core's EvrmoreAuthError does not
// carry the titles table, so that the browser client does not bundle it).
import {
  ERROR_TITLES,
  EvrmoreAuthError,
  type ErrorCode,
  type EvrmoreAuthErrorOptions,
} from '@evrmore-auth/core';

/**
 * A new `EvrmoreAuthError` with the code's title ({@link ERROR_TITLES}) as its message when
 * `options` has no detail.
 *
 * @example
 * ```ts
 * throw authError('token_expired'); // message: 'Access token expired'
 * throw authError('invalid_request', { detail: 'address: required' }); // message: the detail
 * ```
 */
export function authError(
  code: ErrorCode,
  options: EvrmoreAuthErrorOptions = {},
): EvrmoreAuthError {
  return new EvrmoreAuthError(code, { title: ERROR_TITLES[code], ...options });
}
