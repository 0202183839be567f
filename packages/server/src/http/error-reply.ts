// Errors → problem+json replies, in one place: EvrmoreAuthError as its problem (a store failure,
// StoreUnavailableError, is one: 503 `unavailable`, logged with its cause), anything else as a
// logged 500. Bearer-protected routes add RFC 6750's WWW-Authenticate.
import { EvrmoreAuthError, type ErrorCode } from '@evrmore-auth/core';
import type { ResolvedConfig } from '../config.js';
import type { PinoLikeLogger } from '../events.js';
import { ClientIpUnknownError } from '../rate-limit.js';
import { DPoPError, dpopChallenge } from '../dpop/errors.js';
import { baseHeaders, problemReply, type Reply } from './reply.js';
import type { RequestContext } from './request.js';

/** How an error reply is made. `bearer`: the request was to a bearer-protected resource
 *  (`route`: one of the package's routes, whose 400s are `invalid_request` too), or the error came
 *  from checking bearer credentials (`credentials`: `requireAuth`, `errorResponse`). */
export interface ErrorReplyOptions {
  bearer?: 'route' | 'credentials' | undefined;
}

export type ErrorReplier = (
  error: unknown,
  ctx: Pick<RequestContext, 'https' | 'requestId' | 'origin'> &
    Partial<Pick<RequestContext, 'request'>>,
  options?: ErrorReplyOptions,
) => Reply;

/** RFC 6750 §3.1 error of each code a bearer-protected resource answers. */
const BEARER_ERRORS: Partial<Record<ErrorCode, string | null>> = {
  token_missing: null,
  token_invalid: 'invalid_token',
  token_expired: 'invalid_token',
  token_revoked: 'invalid_token',
  fingerprint_mismatch: 'invalid_token',
  api_key_invalid: 'invalid_token',
  api_key_expired: 'invalid_token',
  api_key_revoked: 'invalid_token',
  insufficient_scope: 'insufficient_scope',
  invalid_request: 'invalid_request',
};

/** The codes whose answer on a bearer-protected route carries `WWW-Authenticate`. */
export const BEARER_CHALLENGE_CODES: ReadonlySet<ErrorCode> = new Set(
  Object.keys(BEARER_ERRORS) as ErrorCode[],
);

/**
 * The `WWW-Authenticate` value (RFC 6750 §3) of an error from a bearer-protected resource, or
 * `undefined` when the error is not about the bearer credentials: `Bearer` when the request had
 * none, `Bearer error="invalid_token"` for a bad, expired or revoked token (or a fingerprint that
 * does not match it), `error="insufficient_scope"` (403), `error="invalid_request"` (400).
 */
export function bearerChallenge(
  error: EvrmoreAuthError,
  scope: 'route' | 'credentials',
): string | undefined {
  if (error.code === 'invalid_request' && scope !== 'route') return undefined;
  const code = BEARER_ERRORS[error.code];
  if (code === undefined) return undefined;
  return code === null ? 'Bearer' : `Bearer error="${code}"`;
}

/**
 * The `WWW-Authenticate` of a protected resource's refusal when DPoP is on (RFC 9449 §7.1): the
 * `DPoP` scheme for a DPoP refusal or a request that used it; no credentials: both schemes.
 */
function resourceChallenge(
  error: EvrmoreAuthError,
  scope: 'route' | 'credentials',
  algorithms: string[],
  request: { headers: { get(name: string): string | null } } | undefined,
): string | undefined {
  if (error.code === 'invalid_request' && scope !== 'route') return undefined;
  const scheme = request?.headers.get('authorization')?.trimStart().slice(0, 5).toLowerCase();
  if ((error instanceof DPoPError && error.resource) || scheme === 'dpop ')
    return dpopChallenge(error, algorithms);
  const bearer = bearerChallenge(error, scope);
  if (error.code === 'token_missing') return `${bearer!}, ${dpopChallenge(error, algorithms)!}`;
  return bearer;
}

function logError(
  logger: PinoLikeLogger | undefined,
  err: unknown,
  ctx: { requestId?: string },
): void {
  const e =
    err instanceof Error
      ? { name: err.name, message: err.message, stack: err.stack }
      : { value: String(err) };
  if (logger) logger.error({ err: e, requestId: ctx.requestId }, 'evrmore-auth: internal error');
  else console.error('evrmore-auth: internal error', ctx.requestId ?? '', err);
}

const INTERNAL_ERROR = JSON.stringify({
  type: 'about:blank',
  title: 'Internal server error',
  status: 500,
  code: 'internal_error',
});

/** The error replier of one auth instance (its logger, its once-a-minute log throttle). */
export function createErrorReply(
  config: Pick<ResolvedConfig, 'now' | 'dpop'>,
  logger: PinoLikeLogger | undefined,
): ErrorReplier {
  let lastIpUnknownLog = -Infinity;
  return (error, ctx, options = {}) => {
    const headers = baseHeaders(ctx);
    let err: EvrmoreAuthError;
    if (error instanceof EvrmoreAuthError) {
      // A store failure is a StoreUnavailableError (an EvrmoreAuthError `unavailable`): 503,
      // logged with the backend's error. The one place a store failure becomes a reply.
      err = error;
      if (err.code === 'unavailable') logError(logger, err.cause ?? err, ctx);
    } else {
      // A missing client IP is the deployment's error, not the client's: its message says how to
      // fix it; logged at most once a minute (every request of such a deployment has it).
      const t = config.now();
      if (!(error instanceof ClientIpUnknownError) || t - lastIpUnknownLog >= 60_000) {
        if (error instanceof ClientIpUnknownError) lastIpUnknownLog = t;
        logError(logger, error, ctx);
      }
      headers['content-type'] = 'application/problem+json';
      return { status: 500, headers, cookies: [], body: INTERNAL_ERROR };
    }
    if (err instanceof DPoPError && err.nonce !== undefined) headers['dpop-nonce'] = err.nonce;
    if (options.bearer) {
      const challenge =
        config.dpop === null
          ? bearerChallenge(err, options.bearer)
          : resourceChallenge(err, options.bearer, config.dpop.algorithms, ctx.request);
      if (challenge !== undefined) headers['www-authenticate'] = challenge;
    }
    return problemReply(err, headers);
  };
}
