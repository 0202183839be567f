// Audit events of refused route calls (rate limits, failed sign-ins), emitted before rethrowing.
import { EvrmoreAuthError, parseSignInMessage } from '@evrmore-auth/core';
import type { RequestContext } from '../http/request.js';
import { eventBase, type AuthRuntime } from '../runtime.js';

/** Emit `rate_limited` for a rate-limit refusal of `route`, then rethrow `err`. */
export function rethrowRateLimited(
  rt: AuthRuntime,
  ctx: RequestContext,
  route: string,
  err: unknown,
): never {
  if (err instanceof EvrmoreAuthError && err.code === 'rate_limited')
    rt.events.emit({ type: 'rate_limited', ...eventBase(ctx), code: err.code, detail: { route } });
  throw err;
}

/** Emit `signin.failed` (or `rate_limited`) for a refused sign-in, then rethrow `err`. The
 *  claimed address is included (for per-address anomaly detection) when the message parses. */
export function rethrowSignInFailure(
  rt: AuthRuntime,
  ctx: RequestContext,
  err: unknown,
  message: unknown,
): never {
  if (err instanceof EvrmoreAuthError) {
    let address: string | undefined;
    try {
      if (typeof message === 'string') address = parseSignInMessage(message).address;
    } catch {
      address = undefined;
    }
    const base = {
      ...eventBase(ctx),
      ...(address === undefined ? {} : { address }),
      code: err.code,
    };
    if (err.code === 'rate_limited')
      rt.events.emit({ type: 'rate_limited', ...base, detail: { route: 'verify' } });
    else rt.events.emit({ type: 'signin.failed', ...base });
  }
  throw err;
}
