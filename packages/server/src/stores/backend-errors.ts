// Shared by the Redis and Postgres stores: every backend failure surfaces as StoreUnavailableError
// (the server answers 503 `unavailable`), including failures inside rate-limiter-flexible.

import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { StoreUnavailableError } from '../store.js';

/** Wraps any backend error (connection refused, timeout, …) in a StoreUnavailableError. */
export function toUnavailable(store: string, err: unknown): StoreUnavailableError {
  if (err instanceof StoreUnavailableError) return err;
  return new StoreUnavailableError(`${store} store unavailable`, { cause: err });
}

/** Runs a backend call, mapping its failure to StoreUnavailableError. */
export async function guard<T>(store: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toUnavailable(store, err);
  }
}

type StoreMethods = Record<
  '_upsert' | '_get' | '_delete',
  (...args: unknown[]) => Promise<unknown>
>;

/**
 * rate-limiter-flexible rejects with the raw backend error when its store fails (and with a
 * RateLimiterRes when points are spent). This maps the former to StoreUnavailableError so callers
 * can tell "limited" from "backend down" with one `instanceof`.
 */
export function mapLimiterErrors<T extends RateLimiterAbstract>(
  store: string,
  limiter: T,
  before?: () => Promise<void>,
): T {
  const methods = limiter as unknown as StoreMethods;
  for (const name of ['_upsert', '_get', '_delete'] as const) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    methods[name] = async (...args: unknown[]) => {
      try {
        if (before) await before();
        return await original.apply(limiter, args);
      } catch (err) {
        throw toUnavailable(store, err);
      }
    };
  }
  return limiter;
}
