// The `/mfa/*` routes, mounted by createEvrmoreAuth next to its own routes.
import * as v from 'valibot';
import { authenticateRequest } from '../authenticate.js';
import { readJsonBody } from '../http/body.js';
import { respond } from '../http/reply.js';
import type { RequestContext } from '../http/request.js';
import type { Route } from '../http/router.js';
import type { AuthRuntime } from '../runtime.js';
import { EmptyBodySchema, parseBody } from '../schemas.js';
import { disableTotp, enableTotp, setupTotp, verifyMfaSignIn } from './service.js';
import { addNonceHeader } from '../dpop/check.js';
import { checkSignInOrigin } from '../http/csrf.js';

/**
 * `POST /auth/mfa/verify` body.
 *
 * @example
 * ```ts
 * v.parse(MfaVerifyBodySchema, { mfaToken, code: '492039' });
 * ```
 */
export const MfaVerifyBodySchema = v.strictObject({
  mfaToken: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  code: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
});

/**
 * `POST /auth/mfa/totp/enable` and `/disable` body.
 *
 * @example
 * ```ts
 * v.parse(MfaCodeBodySchema, { code: '492039' });
 * ```
 */
export const MfaCodeBodySchema = v.strictObject({
  code: v.pipe(v.string(), v.minLength(1), v.maxLength(64)),
});

/**
 * The MFA routes (paths relative to the base path). Without `mfa` configuration every one
 * answers 404 `not_found`.
 *
 * @example
 * ```ts
 * const routes = [...coreRoutes, ...mfaRoutes(rt)];
 * ```
 */
export function mfaRoutes(rt: AuthRuntime): Route[] {
  const body = async (ctx: RequestContext): Promise<unknown> =>
    readJsonBody(ctx.request, { allowEmpty: false });
  return [
    {
      pattern: /^\/mfa\/verify$/,
      methods: {
        POST: async (ctx) => {
          if (rt.config.sessionCookie !== null) checkSignInOrigin(rt.config, ctx.request);
          const { mfaToken, code } = parseBody(MfaVerifyBodySchema, await body(ctx));
          const result = await verifyMfaSignIn(rt, { mfaToken, code, context: ctx });
          const reply = respond(ctx, 200, result.tokens, result.setCookies);
          await addNonceHeader(rt.dpop, reply.headers, rt.config.now());
          return reply;
        },
      },
    },
    {
      pattern: /^\/mfa\/totp\/setup$/,
      bearer: true,
      methods: {
        POST: async (ctx) => {
          const identity = await authenticateRequest(rt, ctx.request, {}, ctx);
          parseBody(EmptyBodySchema, await readJsonBody(ctx.request, { allowEmpty: true }));
          return respond(
            ctx,
            200,
            await setupTotp(rt, { address: identity.address, context: ctx }),
          );
        },
      },
    },
    {
      pattern: /^\/mfa\/totp\/enable$/,
      bearer: true,
      methods: {
        POST: async (ctx) => {
          const identity = await authenticateRequest(rt, ctx.request, {}, ctx);
          const { code } = parseBody(MfaCodeBodySchema, await body(ctx));
          return respond(
            ctx,
            200,
            await enableTotp(rt, { address: identity.address, code, context: ctx }),
          );
        },
      },
    },
    {
      pattern: /^\/mfa\/totp\/disable$/,
      bearer: true,
      methods: {
        POST: async (ctx) => {
          const identity = await authenticateRequest(rt, ctx.request, {}, ctx);
          const { code } = parseBody(MfaCodeBodySchema, await body(ctx));
          await disableTotp(rt, { address: identity.address, code, context: ctx });
          return respond(ctx, 204, null);
        },
      },
    },
  ];
}
