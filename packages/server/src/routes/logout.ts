// POST /logout: revoke the caller's session and clear its cookies (bearer-protected).
import { EvrmoreAuthError } from '@evrmore-auth/core';
import { authenticateRequest } from '../authenticate.js';
import { readJsonBody } from '../http/body.js';
import { clearCookies } from '../http/cookies.js';
import { respond } from '../http/reply.js';
import type { Route } from '../http/router.js';
import type { AuthRuntime } from '../runtime.js';
import { EmptyBodySchema, parseBody } from '../schemas.js';
import { revokeSession } from '../sessions.js';

export function logoutRoutes(rt: AuthRuntime): Route[] {
  return [
    {
      pattern: /^\/logout$/,
      bearer: true,
      methods: {
        POST: async (ctx) => {
          const identity = await authenticateRequest(rt, ctx.request, {}, ctx);
          parseBody(EmptyBodySchema, await readJsonBody(ctx.request, { allowEmpty: true }));
          await revokeSession(rt, identity, identity.sessionId, ctx, 'logout').catch(
            (e: unknown) => {
              if (!(e instanceof EvrmoreAuthError && e.code === 'not_found')) throw e;
            },
          );
          return respond(ctx, 204, null, clearCookies(rt.config));
        },
      },
    },
  ];
}
