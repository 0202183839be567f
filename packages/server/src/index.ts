// @evrmore-auth/server: challenges, signature verification, fingerprinted JWTs, refresh rotation,
// sessions, replay protection. Adapters and the Redis/Postgres stores are subpath exports.
export { createEvrmoreAuth, type EvrmoreAuth, type HandlerContext } from './auth.js';
export {
  resolveConfig,
  RESERVED_CLAIMS,
  type AccessTokenClaims,
  type CookieConfig,
  type EvrmoreAuthConfig,
  type ExtraClaims,
  type ResolvedConfig,
  type SignInHookContext,
} from './config.js';
export {
  authenticateRequest,
  type AuthenticateOptions,
  type AuthIdentity,
} from './authenticate.js';
export { issueChallenge, type IssueChallengeOptions } from './challenge.js';
export {
  completeSignIn,
  signIn,
  verifySignIn,
  type SignInResult,
  type VerifySignInOptions,
} from './sign-in.js';
export {
  refreshSession,
  type RefreshResult,
  type RefreshSessionOptions,
} from './refresh-rotation.js';
export { getCurrentSession, listSessions, revokeOtherSessions, revokeSession } from './sessions.js';
export {
  checkFingerprint,
  issueAccessToken,
  verifyAccessToken,
  type IssueAccessTokenOptions,
  type VerifyAccessTokenOptions,
} from './tokens.js';
export {
  generateEphemeralKeys,
  loadKeys,
  toJwks,
  validateKeyConfigs,
  type KeyConfig,
  type LoadedKey,
  type SigningAlgorithm,
} from './keys.js';
export {
  applySecurityHeaders,
  fromWebRequest,
  MAX_BODY_BYTES,
  readCookie,
  readJsonBody,
  serializeCookie,
  toResponse,
  type AuthRequest,
  type CookieOptions,
  type HeaderReader,
  type Reply,
  type RequestContext,
} from './http.js';
export { clientIp, type TrustedProxies } from './proxy.js';
export { guardStore, isLive, toSessionInfo, type AuthRuntime } from './runtime.js';
export {
  sha256Base64Url,
  timingSafeEqualString,
  webRandomBytes,
  type RandomBytes,
} from './crypto.js';
export { ChallengeBodySchema, EmptyBodySchema, VerifyBodySchema, parseBody } from './schemas.js';
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export {
  createEventSink,
  type AuthEvent,
  type AuthEventType,
  type EventSink,
  type EventSinkOptions,
  type PinoLikeLogger,
} from './events.js';
export {
  createRateLimits,
  type RateLimitConfig,
  type RateLimitKey,
  type RateLimitRoute,
  type RateLimitRule,
  type RateLimits,
} from './rate-limit.js';
export * from './store.js';
export * from './mfa/index.js';
export { EvrmoreAuthError, type ErrorCode, type ProblemDetails } from '@evrmore-auth/core';
