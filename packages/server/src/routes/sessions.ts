// GET /session, GET and DELETE /sessions, DELETE /sessions/{id}: bearer-protected.
import { authenticateRequest } from '../authenticate.js';
import { authError } from '../errors.js';
import { respond } from '../http/reply.js';
import type { Route } from '../http/router.js';
import type { AuthRuntime } from '../runtime.js';
import { SESSION_ID_PATTERN } from '../schemas.js';
import {
  getCurrentSession,
  listSessions,
  revokeOtherSessions,
  revokeSession,
} from '../sessions.js';

export function sessionRoutes(rt: AuthRuntime): Route[] {
  return [
    {
      pattern: /^\/session$/,
      bearer: true,
      methods: {
        GET: async (ctx) =>
          respond(
            ctx,
            200,
            await getCurrentSession(rt, await authenticateRequest(rt, ctx.request, {}, ctx)),
          ),
      },
    },
    {
      pattern: /^\/sessions$/,
      bearer: true,
      methods: {
        GET: async (ctx) =>
          respond(
            ctx,
            200,
            await listSessions(rt, await authenticateRequest(rt, ctx.request, {}, ctx)),
          ),
        DELETE: async (ctx) => {
          const identity = await authenticateRequest(rt, ctx.request, {}, ctx);
          const scope = new URL(ctx.request.url).searchParams.getAll('scope');
          if (scope.length !== 1 || scope[0] !== 'others')
            throw authError('invalid_request', {
              detail: 'DELETE /sessions needs ?scope=others',
            });
          await revokeOtherSessions(rt, identity, ctx);
          return respond(ctx, 204, null);
        },
      },
    },
    {
      pattern: new RegExp(`^/sessions/(${SESSION_ID_PATTERN})$`),
      bearer: true,
      methods: {
        DELETE: async (ctx, [id]) => {
          const identity = await authenticateRequest(rt, ctx.request, {}, ctx);
          await revokeSession(rt, identity, id!, ctx);
          return respond(ctx, 204, null);
        },
      },
    },
  ];
}
