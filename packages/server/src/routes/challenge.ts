// POST /challenge.
import { issueChallenge } from '../challenge.js';
import { readJsonBody } from '../http/body.js';
import { respond } from '../http/reply.js';
import type { Route } from '../http/router.js';
import type { AuthRuntime } from '../runtime.js';
import { ChallengeBodySchema, parseBody } from '../schemas.js';
import { rethrowRateLimited } from './route-events.js';

export function challengeRoutes(rt: AuthRuntime): Route[] {
  return [
    {
      pattern: /^\/challenge$/,
      methods: {
        POST: async (ctx) => {
          const { address } = parseBody(
            ChallengeBodySchema,
            await readJsonBody(ctx.request, { allowEmpty: false }),
          );
          const body = await issueChallenge(rt, { address, context: ctx }).catch((e: unknown) =>
            rethrowRateLimited(rt, ctx, 'challenge', e),
          );
          return respond(ctx, 201, body);
        },
      },
    },
  ];
}
