// POST /verify: the whole sign-in (or the second-factor step's `mfaRequired`).
import { readJsonBody } from '../http/body.js';
import { respond } from '../http/reply.js';
import type { Route } from '../http/router.js';
import type { AuthRuntime } from '../runtime.js';
import { parseBody, VerifyBodySchema } from '../schemas.js';
import { signIn } from '../sign-in.js';
import { rethrowSignInFailure } from './route-events.js';

export function signInRoutes(rt: AuthRuntime): Route[] {
  return [
    {
      pattern: /^\/verify$/,
      methods: {
        POST: async (ctx) => {
          let submitted: unknown;
          try {
            const { message, signature } = parseBody(
              VerifyBodySchema,
              await readJsonBody(ctx.request, { allowEmpty: false }),
            );
            submitted = message;
            const result = await signIn(rt, { message, signature, context: ctx });
            const body = 'mfaRequired' in result ? result.mfaRequired : result.tokens;
            return respond(ctx, 200, body, result.setCookies);
          } catch (err) {
            return rethrowSignInFailure(rt, ctx, err, submitted);
          }
        },
      },
    },
  ];
}
