// The route table of an auth instance (paths relative to the base path), in dispatch order.
import type { Route } from '../http/router.js';
import { mfaRoutes } from '../mfa/routes.js';
import { apiKeyRoutes } from '../api-keys/routes.js';
import type { AuthRuntime } from '../runtime.js';
import { challengeRoutes } from './challenge.js';
import { jwksRoutes } from './jwks.js';
import { logoutRoutes } from './logout.js';
import { openapiRoutes } from './openapi.js';
import { refreshRoutes } from './refresh.js';
import { sessionRoutes } from './sessions.js';
import { signInRoutes } from './sign-in.js';

export function authRoutes(rt: AuthRuntime): Route[] {
  return [
    ...challengeRoutes(rt),
    ...signInRoutes(rt),
    ...refreshRoutes(rt),
    ...logoutRoutes(rt),
    ...sessionRoutes(rt),
    ...jwksRoutes(rt),
    ...mfaRoutes(rt),
    ...apiKeyRoutes(rt),
    ...openapiRoutes(rt),
  ];
}
