// @evrmore-auth/server/resource: an API on another origin accepting DPoP-bound access tokens.
export { createResourceServer, type ResourceServer } from './resource/server.js';
export type { ResourceServerOptions } from './resource/options.js';
export type { AuthenticateOptions, AuthenticateRequest, AuthIdentity } from './authenticate.js';
export type { DPoPConfig, ResolvedDPoPConfig } from './dpop/config.js';
export type { AuthEvent, AuthEventType, PinoLikeLogger } from './events.js';
