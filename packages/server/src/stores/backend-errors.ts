// The one store-failure rule: a backend failure (connection refused or reset, timeout, a driver or
// database error) becomes StoreUnavailableError, which the router answers with 503 `unavailable`.
// The Redis and Postgres stores run every backend call through `guard`, wrap their rate limiters
// with `failClosedLimiter`, and rate-limit.ts reads limiter rejections with `isLimiterRes` and
// `backendFailure`: one rule, in this file.

import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterRes } from './rate-limiter-flexible.js';
import { StoreUnavailableError } from '../store.js';

/**
 * Whether an error is a bug (ours, or a caller's bad argument to a driver) rather than the backend
 * failing: such errors keep their type, so the server answers 500 and logs them instead of
 * reporting an outage. Either way the request is refused.
 */
function isBug(err: unknown): boolean {
  return (
    err instanceof TypeError ||
    err instanceof RangeError ||
    err instanceof ReferenceError ||
    err instanceof SyntaxError
  );
}

/**
 * The error to throw for a failed backend call: a StoreUnavailableError (as is, or wrapping the
 * backend's error as its `cause`), or the error itself when it is a bug (see {@link isBug}). The
 * message names the store only: never the backend's message, which can carry hosts or URLs.
 */
export function backendFailure(store: string, err: unknown): unknown {
  if (err instanceof StoreUnavailableError || isBug(err)) return err;
  return new StoreUnavailableError(`${store} store unavailable`, { cause: err });
}

/** Runs a backend call; its failure rejects as {@link backendFailure} says. */
export async function guard<T>(store: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw backendFailure(store, err);
  }
}

/**
 * Whether a rejection is rate-limiter-flexible's "points spent" result rather than a backend
 * error. Duck-typed as well as `instanceof`, so a store built with another copy of the library
 * (dual CJS/ESM install) is not mistaken for an outage.
 */
export function isLimiterRes(value: unknown): value is RateLimiterRes {
  if (value instanceof RateLimiterRes) return true;
  if (typeof value !== 'object' || value === null || value instanceof Error) return false;
  const v = value as Partial<RateLimiterRes>;
  return typeof v.msBeforeNext === 'number' && typeof v.remainingPoints === 'number';
}

/** The limiter operations that reach the backend (rate-limiter-flexible's public API). */
const LIMITER_OPERATIONS = [
  'consume',
  'penalty',
  'reward',
  'block',
  'get',
  'set',
  'delete',
] as const;

/**
 * A view of a rate-limiter-flexible limiter whose operations reject with StoreUnavailableError
 * when the backend fails (they still reject with a RateLimiterRes when points are spent).
 * Wraps the public methods only; the limiter itself is untouched and still does the work.
 * `before` runs ahead of each operation (the Redis store waits there for a reconnecting client).
 */
export function failClosedLimiter<T extends RateLimiterAbstract>(
  store: string,
  limiter: T,
  before?: () => Promise<void>,
): T {
  const view = Object.create(limiter) as Record<string, unknown>;
  for (const name of LIMITER_OPERATIONS) {
    const operation = limiter[name] as (...args: unknown[]) => Promise<unknown>;
    view[name] = async (...args: unknown[]) => {
      try {
        if (before) await before();
        return await operation.apply(limiter, args);
      } catch (err) {
        throw isLimiterRes(err) ? err : backendFailure(store, err);
      }
    };
  }
  return view as T;
}
