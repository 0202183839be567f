// GET /jwks.json: the public keys.
import { respond } from '../http/reply.js';
import type { Route } from '../http/router.js';
import { toJwks } from '../keys.js';
import type { AuthRuntime } from '../runtime.js';

export function jwksRoutes(rt: AuthRuntime): Route[] {
  return [
    {
      pattern: /^\/jwks\.json$/,
      methods: {
        GET: async (ctx) => {
          const reply = respond(ctx, 200, toJwks(await rt.keys()));
          reply.headers['content-type'] = 'application/jwk-set+json';
          reply.headers['cache-control'] = 'no-store';
          return reply;
        },
      },
    },
  ];
}
