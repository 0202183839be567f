// @evrmore-auth/server: challenges, signature verification, fingerprinted JWTs, refresh rotation,
// sessions, replay protection. Adapters and the Redis/Postgres stores are subpath exports.
// The root exports what an integrator uses; everything else is internal.
export { createEvrmoreAuth, type EvrmoreAuth, type HandlerContext } from './create-auth.js';
export type {
  AccessTokenClaims,
  ClaimsContext,
  ClaimsProvider,
  CookieConfig,
  EvrmoreAuthConfig,
  ExtraClaims,
} from './config.js';
export type { AuthenticateOptions, AuthIdentity, RegisteredClaims } from './authenticate.js';
export type { RateLimitConfig } from './rate-limit.js';
export type { MfaConfig, MfaEncryptionKey } from './mfa/index.js';
export type { KeyConfig, SigningAlgorithm } from './keys.js';
export {
  StoreUnavailableError,
  type AuthStore,
  type ChallengeRecord,
  type MfaRecord,
  type RotateRefreshInput,
  type RotateRefreshResult,
  type SessionRecord,
} from './store.js';
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export type { AuthEvent, AuthEventType, PinoLikeLogger } from './events.js';
export { EvrmoreAuthError, type ErrorCode, type ProblemDetails } from '@evrmore-auth/core';
