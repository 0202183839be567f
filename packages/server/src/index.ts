// @evrmore-auth/server: challenges, signature verification, fingerprinted JWTs, refresh rotation,
// sessions, replay protection. Adapters and the Redis/Postgres stores are subpath exports.
// The root exports what an integrator uses (four values: createEvrmoreAuth, createMemoryStore and
// the two error classes) and the types of their signatures; everything else is internal.
export {
  createEvrmoreAuth,
  type EvrmoreAuth,
  type HandlerContext,
  type PublicConfig,
} from './create-auth.js';
export type {
  AccessTokenClaims,
  ClaimsContext,
  ClaimsProvider,
  CookieConfig,
  EvrmoreAuthConfig,
  ExtraClaims,
  ResolvedConfig,
  SessionCookieConfig,
} from './config.js';
export type { CookieSession, GetSessionOptions } from './cookie-session.js';
export type {
  AuthenticateOptions,
  AuthenticateRequest,
  AuthIdentity,
  RegisteredClaims,
} from './authenticate.js';
export type { DPoPConfig, ResolvedDPoPConfig } from './dpop/config.js';
export type { ResolvedSessionPolicy, SessionPolicyConfig } from './session-policy.js';
export type { SignInResult } from './sign-in.js';
export type { RefreshResult } from './refresh-rotation.js';
export type { MfaPendingResult } from './mfa/mfa-token.js';
export type { HeaderReader } from './http/request.js';
export type { TrustedProxies } from './proxy.js';
export type { RandomBytes } from './crypto.js';
export type { SessionCheckConfig, TokenCacheConfig } from './token-cache.js';
export type { LockoutRule, RateLimitConfig, RateLimitRule } from './rate-limit.js';
export type { MfaConfig, MfaEncryptionKey } from './mfa/index.js';
export type { ApiKeysConfig, ResolvedApiKeysConfig } from './api-keys/config.js';
export type { ApiKeys, CreateApiKeyInput, CreatedApiKey } from './api-keys/service.js';
export type { KeyConfig, SigningAlgorithm } from './keys.js';
export type { RolesConfig, RolesProvider } from './access/roles.js';
export {
  InvalidIpRangeError,
  type IpListName,
  type IpLists,
  type IpListsConfig,
  type IpListStore,
  type IpRule,
  type IpRuleOptions,
  type StoredIpRule,
} from './access/ip-lists.js';
export {
  StoreUnavailableError,
  type ApiKeyRecord,
  type ApiKeyStore,
  type AuthStore,
  type ChallengeRecord,
  type ChallengeStore,
  type CreateSessionResult,
  type MfaRecord,
  type MfaStore,
  type RateLimiterOptions,
  type RotateRefreshInput,
  type RotateRefreshResult,
  type SessionLimit,
  type SessionRecord,
  type SessionStore,
} from './store.js';
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export type { AuthEvent, AuthEventType, EventSinkOptions, PinoLikeLogger } from './events.js';
export { EvrmoreAuthError, type ErrorCode, type ProblemDetails } from '@evrmore-auth/core';
