// PLACEHOLDER by server-core (interface of notes/INTERFACES.md); the server-edges helper owns this
// file and replaces the body with rate-limiter-flexible limiters and progressive lock-out.
import type { AuthStore } from './store.js';

export interface RateLimitRule {
  points: number;
  duration: number;
}
export interface RateLimitConfig {
  enabled?: boolean;
  challenge?: { perIp?: RateLimitRule; perAddress?: RateLimitRule };
  verify?: { perIp?: RateLimitRule; perAddress?: RateLimitRule };
  refresh?: { perIp?: RateLimitRule };
  mfa?: { perAddress?: RateLimitRule };
  lockout?: { freeFailures?: number; baseSeconds?: number; maxSeconds?: number };
}
export type RateLimitRoute = 'challenge' | 'verify' | 'refresh' | 'mfa';
export interface RateLimitKey {
  ip: string | null;
  address?: string;
}
export interface RateLimits {
  check(route: RateLimitRoute, key: RateLimitKey): Promise<void>;
  recordFailure(kind: 'signature' | 'mfa', key: RateLimitKey): Promise<void>;
  recordSuccess(kind: 'signature' | 'mfa', key: RateLimitKey): Promise<void>;
}
export function createRateLimits(_store: AuthStore, _config?: RateLimitConfig): RateLimits {
  return {
    check: () => Promise.resolve(),
    recordFailure: () => Promise.resolve(),
    recordSuccess: () => Promise.resolve(),
  };
}
