// The runtime the routes share, built once by createEvrmoreAuth. Internal.
import type { LocalRevocations } from './revocations.js';
import type { LRUCache } from 'lru-cache';
import type { ClaimsProvider, ResolvedConfig } from './config.js';
import type { EventSink, PinoLikeLogger } from './events.js';
import type { RequestContext } from './http/request.js';
import type { LoadedKey } from './keys.js';
import type { ResolvedMfaConfig } from './mfa/config.js';
import type { RateLimits } from './rate-limit.js';
import type { AuthStore } from './store.js';
import type { PerformanceCaches } from './token-cache.js';
import type { DPoPRuntime } from './dpop/runtime.js';
import type { ApiKeysRuntime } from './api-keys/service.js';
import type { IpGate } from './access/ip-lists.js';
import type { ResolvedRoles } from './access/roles.js';

/**
 * Everything a route needs; built once by `createEvrmoreAuth`. Internal: not exported from the
 * package root.
 */
export interface AuthRuntime {
  config: ResolvedConfig;
  /** The store. Its failures reject with `StoreUnavailableError`; the router answers 503. */
  store: AuthStore;
  /** This instance's revocations (the session cache and the WebSocket core listen). */
  revocations: LocalRevocations;
  events: EventSink;
  rateLimits: RateLimits;
  /** The loaded keys (newest first). */
  keys(): Promise<LoadedKey[]>;
  /** The application's claims provider (`claims` in the configuration). */
  claims: ClaimsProvider | undefined;
  logger: PinoLikeLogger | undefined;
  /** The second factor's configuration (`mfa`, validated); `null` when MFA is not configured. */
  mfa: ResolvedMfaConfig | null;
  /** `authenticate`'s verified-token and session caches (`tokenCache`, `sessionCheck`). */
  caches: PerformanceCaches;
  /** DPoP's settings, nonces and replay cache; `null` when DPoP is off. */
  dpop: DPoPRuntime | null;
  /** API keys' store and last-use throttle; `null` when API keys are off. */
  apiKeys: ApiKeysRuntime | null;
  /** The roles map (`roles`, `defaultRoles`, `rolesOf`); `null` without one. */
  roles: ResolvedRoles | null;
  /** The IP allow/deny lists. */
  ipGate: IpGate;
  /** Sessions whose activity this instance recorded lately (id → epoch ms); see session-policy.ts. */
  activity: LRUCache<string, number>;
}

/** Event fields of a request. */
export function eventBase(ctx: RequestContext): {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
} {
  return { requestId: ctx.requestId, ip: ctx.ip, userAgent: ctx.userAgent };
}
