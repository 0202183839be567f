// The proof replay check (RFC 9449 §11.1): a proof's jti is accepted once while its iat is in the
// window, on every instance sharing the store. It rides on the store's rate limiter (one point per
// key, for the window): no new store operation, and every entry expires with the window.
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AuthStore } from '../store.js';
import { backendFailure, isLimiterRes } from '../stores/backend-errors.js';

/** Spends proof ids; `false` when the id was already spent (a replay). */
export interface ProofReplayCache {
  /** Record `jkt:jti`; `false` if it was seen within the window. Store failure: rejects with
   *  `StoreUnavailableError` (503, fail closed). */
  spend(jkt: string, jti: string): Promise<boolean>;
}

/** The replay cache on `store`'s limiter; entries live `windowSeconds`. */
export function createProofReplayCache(store: AuthStore, windowSeconds: number): ProofReplayCache {
  let limiter: RateLimiterAbstract | undefined;
  return {
    async spend(jkt, jti) {
      limiter ??= store.createRateLimiter({
        keyPrefix: 'ea:dpop',
        points: 1,
        duration: windowSeconds,
      });
      try {
        await limiter.consume(`${jkt}:${jti}`);
        return true;
      } catch (err) {
        if (isLimiterRes(err)) return false;
        throw backendFailure(store.name, err);
      }
    },
  };
}
