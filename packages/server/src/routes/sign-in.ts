// POST /verify: the whole sign-in (or the second-factor step's `mfaRequired`).
import { readJsonBody } from '../http/body.js';
import { respond } from '../http/reply.js';
import type { Route } from '../http/router.js';
import type { AuthRuntime } from '../runtime.js';
import { parseBody, VerifyBodySchema } from '../schemas.js';
import { signIn } from '../sign-in.js';
import { addNonceHeader } from '../dpop/check.js';
import { rethrowSignInFailure } from './route-events.js';
import { checkSignInOrigin } from '../http/csrf.js';

export function signInRoutes(rt: AuthRuntime): Route[] {
  return [
    {
      pattern: /^\/verify$/,
      methods: {
        POST: async (ctx) => {
          let submitted: unknown;
          // Cookie mode: no sign-in planted by another site (login CSRF).
          if (rt.config.sessionCookie !== null) checkSignInOrigin(rt.config, ctx.request);
          try {
            const { message, signature } = parseBody(
              VerifyBodySchema,
              await readJsonBody(ctx.request, { allowEmpty: false }),
            );
            submitted = message;
            const result = await signIn(rt, { message, signature, context: ctx });
            const body = 'mfaRequired' in result ? result.mfaRequired : result.tokens;
            const reply = respond(ctx, 200, body, result.setCookies);
            await addNonceHeader(rt.dpop, reply.headers, rt.config.now());
            return reply;
          } catch (err) {
            return rethrowSignInFailure(rt, ctx, err, submitted);
          }
        },
      },
    },
  ];
}
