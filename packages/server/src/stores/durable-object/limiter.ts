// rate-limiter-flexible on the Durable Object: its documented custom-store base class, whose three
// storage primitives are requests to the object. The object computes each counter's window from
// its own clock at every request (no timers: an isolate's timers do not outlive a request), and
// its alarm drops counters whose window has ended.
import type * as Rlf from 'rate-limiter-flexible';
// By deep path, as in rate-limiter-flexible.ts (the package's index loads every backend).
import RateLimiterResFile from 'rate-limiter-flexible/lib/RateLimiterRes.js';
import RateLimiterStoreAbstractFile from 'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js';
import type { RateLimiterOptions } from '../../store.js';
import type { LimiterCounter } from './protocol.js';
import type { StoreCall } from './store.js';

const RateLimiterRes = RateLimiterResFile as typeof Rlf.RateLimiterRes;
const RateLimiterStoreAbstract =
  RateLimiterStoreAbstractFile as typeof Rlf.RateLimiterStoreAbstract;

/** The limiter class; rate-limiter-flexible calls the underscored methods. */
class DurableObjectLimiter extends RateLimiterStoreAbstract {
  readonly #call: StoreCall;
  readonly #points: number;

  constructor(call: StoreCall, options: RateLimiterOptions) {
    super({
      storeClient: call,
      keyPrefix: options.keyPrefix,
      points: options.points,
      duration: options.duration,
      blockDuration: options.blockDuration ?? 0,
    });
    this.#call = call;
    this.#points = options.points;
  }

  _getRateLimiterRes(_key: string, changedPoints: number, [points, msLeft]: LimiterCounter) {
    return new RateLimiterRes(
      Math.max(this.#points - points, 0),
      msLeft,
      points,
      points === changedPoints,
    );
  }

  _upsert(key: string, points: number, msDuration: number, forceExpire = false) {
    if (!Number.isInteger(points))
      return Promise.reject(new TypeError('rate limiter: points must be an integer'));
    return this.#call('limiterUpsert', [key, points, msDuration, forceExpire]);
  }

  _get(key: string) {
    return this.#call('limiterGet', [key]);
  }

  _delete(key: string) {
    return this.#call('limiterDelete', [key]);
  }
}

/** A rate limiter whose counters live in the object `call` reaches. */
export function durableObjectLimiter(
  call: StoreCall,
  options: RateLimiterOptions,
): Rlf.RateLimiterStoreAbstract {
  return new DurableObjectLimiter(call, options);
}
