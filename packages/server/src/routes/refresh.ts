// POST /refresh: cookie-authenticated, so only from an allowed origin (or our client's header).
import { EvrmoreAuthError } from '@evrmore-auth/core';
import { authError } from '../errors.js';
import { readJsonBody } from '../http/body.js';
import { clearCookies, readCookie } from '../http/cookies.js';
import { baseHeaders, problemReply, respond } from '../http/reply.js';
import type { RequestContext } from '../http/request.js';
import type { Route } from '../http/router.js';
import { refreshSession } from '../refresh-rotation.js';
import { addNonceHeader } from '../dpop/check.js';
import type { AuthRuntime } from '../runtime.js';
import { EmptyBodySchema, parseBody } from '../schemas.js';
import { rethrowRateLimited } from './route-events.js';

/** A cookie-authenticated call comes from an allowed `Origin`, or (no Origin) carries
 *  `x-requested-with: evrmore-auth`; else `origin_forbidden`. */
function checkCookieCallOrigin(ctx: RequestContext): void {
  // ctx.origin is the Origin header when it is an allowed origin (request-context.ts), else null.
  if (ctx.request.headers.get('origin') !== null) {
    if (ctx.origin === null) throw authError('origin_forbidden');
    return;
  }
  if (ctx.request.headers.get('x-requested-with') !== 'evrmore-auth')
    throw authError('origin_forbidden');
}

export function refreshRoutes(rt: AuthRuntime): Route[] {
  const { config } = rt;
  return [
    {
      pattern: /^\/refresh$/,
      methods: {
        POST: async (ctx) => {
          checkCookieCallOrigin(ctx);
          parseBody(EmptyBodySchema, await readJsonBody(ctx.request, { allowEmpty: true }));
          try {
            const result = await refreshSession(rt, {
              refreshToken: readCookie(ctx.request, config.cookies.refreshName),
              fingerprint: readCookie(ctx.request, config.cookies.fingerprintName),
              context: ctx,
            });
            const reply = respond(ctx, 200, result.tokens, result.setCookies);
            await addNonceHeader(rt.dpop, reply.headers, config.now());
            return reply;
          } catch (err) {
            // A refused refresh clears the cookies that cannot work any more.
            if (
              err instanceof EvrmoreAuthError &&
              (err.code === 'refresh_invalid' ||
                err.code === 'refresh_reused' ||
                err.code === 'fingerprint_mismatch')
            )
              return problemReply(err, baseHeaders(ctx), clearCookies(config));
            return rethrowRateLimited(rt, ctx, 'refresh', err);
          }
        },
      },
    },
  ];
}
