// Hono adapter (`@evrmore-auth/server/hono`): auth routes as middleware and a guard for app routes.
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AuthenticateOptions, AuthIdentity } from '../authenticate.js';
import type { ExtraClaims } from '../config.js';
import { guardRequest } from '../cookie-session.js';
import { internalsOf, type EvrmoreAuth } from '../create-auth.js';
import { toResponse } from '../http/reply.js';
import { fromWebRequest, type HeaderReader } from '../http/request.js';
import { fromNodeRequest, nodeHeaders, replyToNode } from './node.js';
import { validateGuardOptions } from '../access/roles.js';

/**
 * The Hono `Variables` the guard sets: `c.get('auth')` is the verified caller, with the claims
 * type of the auth instance (`createEvrmoreAuth<Claims>`).
 *
 * @example
 * ```ts
 * const app = new Hono<{ Variables: EvrmoreAuthVariables<{ roles: string[] }> }>();
 * ```
 */
export interface EvrmoreAuthVariables<Claims extends ExtraClaims = ExtraClaims> {
  /** The verified identity, set by `requireAuth` (`c.get('auth')`). */
  auth: AuthIdentity<Claims>;
}

/**
 * Options of {@link evrmoreAuth}.
 *
 * @example
 * ```ts
 * const options: HonoAuthOptions = { getIp: (c) => c.req.header('cf-connecting-ip') ?? null };
 * ```
 */
export interface HonoAuthOptions {
  /**
   * The TCP peer address of the request (the handler applies `trustedProxies` to it).
   * @default the socket address under `@hono/node-server` (`c.env.incoming.socket.remoteAddress`),
   * else `null`: set this on other runtimes (Bun: `c.env.requestIP(c.req.raw)?.address`) or
   * configure `trustedProxies`, since production refuses auth requests without a client IP
   */
  getIp?: (c: Context) => string | null | undefined;
}

function nodeSocketIp(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? null;
}

type NodeIncoming = Parameters<typeof fromNodeRequest>[0];

/**
 * The Node request under `@hono/node-server` (`c.env.incoming`; with `forBody`, only while
 * nothing has read its body). The routes then read it directly: through `c.req.raw` node-server
 * would first build a fetch `Request` and a web body stream (`pnpm bench signin-http`).
 */
function nodeIncoming(c: Context, forBody: boolean): NodeIncoming | null {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming as
    (NodeIncoming & { readableFlowing?: boolean | null }) | undefined;
  if (
    incoming === undefined ||
    !Array.isArray(incoming.rawHeaders) ||
    typeof incoming.on !== 'function' ||
    (forBody && (incoming.readableEnded || incoming.readableFlowing !== null))
  )
    return null;
  return incoming;
}

/**
 * Hono middleware serving every auth route under `auth.basePath`; other paths go to `next()`
 * (a deny-listed IP gets 403 `ip_denied` on every path, see `ipLists`).
 * It reads the raw body itself (from `c.env.incoming` under `@hono/node-server`, else from
 * `c.req.raw`), so no body parsing may happen before it on those paths.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { serve } from '@hono/node-server';
 * import { evrmoreAuth, requireAuth, type EvrmoreAuthVariables } from '@evrmore-auth/server/hono';
 *
 * const app = new Hono<{ Variables: EvrmoreAuthVariables }>();
 * app.use(evrmoreAuth(auth));
 * app.get('/api/me', requireAuth(auth), (c) => c.json({ address: c.get('auth').address }));
 * serve({ fetch: app.fetch, port: 3000 });
 * ```
 */
export function evrmoreAuth(auth: EvrmoreAuth, options: HonoAuthOptions = {}): MiddlewareHandler {
  if (!auth || typeof auth.handler !== 'function')
    throw new TypeError('evrmoreAuth: pass the object createEvrmoreAuth returned');
  if (options.getIp !== undefined && typeof options.getIp !== 'function')
    throw new TypeError('evrmoreAuth: getIp must be a function');
  const getIp = options.getIp ?? nodeSocketIp;
  const base = auth.basePath;
  const { screen, runtime } = internalsOf(auth);
  return async (c, next) => {
    const path = c.req.path;
    if (path !== base && !path.startsWith(`${base}/`)) {
      // Every other path: only the IP deny list (403 `ip_denied` before the app's handlers).
      if (!runtime.ipGate.quiet()) {
        const denied = await screen(fromWebRequest(c.req.raw), getIp(c));
        if (denied !== null) return toResponse(denied);
      }
      await next();
      return;
    }
    const incoming = nodeIncoming(c, true);
    if (incoming === null) return auth.handler(c.req.raw, { ip: getIp(c) ?? null });
    return toResponse(
      await replyToNode(auth, () => fromNodeRequest(incoming, c.req.url), getIp(c)),
    );
  };
}

/**
 * Options of {@link requireAuth}.
 *
 * @example
 * ```ts
 * // getIp: the client IP for cookie mode's server-side refresh (its rate limit) off Node
 * const options: RequireAuthOptions = { permissions: ['posts:write'], getIp: (c) => c.req.header('cf-connecting-ip') ?? null };
 * ```
 */
export type RequireAuthOptions = AuthenticateOptions & HonoAuthOptions;

/**
 * Hono middleware for the application's own routes: puts the verified identity in
 * `c.get('auth')`, or throws Hono's `HTTPException` (401, 403 `insufficient_scope`, 503) whose
 * `res` is the problem+json Response (with `WWW-Authenticate: Bearer`). Without an `onError`,
 * Hono answers that Response as it is; an app's `onError` can shape it (`err.getResponse()`,
 * `err.status`, `err.cause` is the `EvrmoreAuthError`). In cookie mode (`sessionCookie`), a
 * request without an `authorization` header is verified by its session cookie, refreshed on the
 * server when it expired (the new cookies are appended to the response's `set-cookie`, the
 * error's too); an unsafe method from another origin is 403 `csrf_rejected`. With DPoP nonces
 * on, a DPoP-bound request's answer gets a fresh `DPoP-Nonce`.
 *
 * @example
 * ```ts
 * app.post('/api/posts', requireAuth(auth, { permissions: ['posts:write'] }), (c) =>
 *   c.json({ author: c.get('auth').address }),
 * );
 * ```
 */
export function requireAuth<Claims extends ExtraClaims = ExtraClaims>(
  auth: EvrmoreAuth<Claims>,
  options: RequireAuthOptions = {},
): MiddlewareHandler<{
  /** `c.get('auth')` in the handlers after it. */
  Variables: EvrmoreAuthVariables<Claims>;
}> {
  if (!auth || typeof auth.authenticate !== 'function')
    throw new TypeError('requireAuth: pass the object createEvrmoreAuth returned');
  if (options.getIp !== undefined && typeof options.getIp !== 'function')
    throw new TypeError('requireAuth: getIp must be a function');
  const { runtime, errorReply } = internalsOf(auth as unknown as EvrmoreAuth);
  validateGuardOptions(runtime.roles, options, 'requireAuth');
  const { getIp: _getIp, ...guardOptions } = options;
  return async (c, next) => {
    const incoming = nodeIncoming(c, false);
    // Only the authorization and cookie headers are read.
    const headers: HeaderReader = incoming ? nodeHeaders(incoming) : c.req.raw.headers;
    const { identity, setCookie, error } = await guardRequest(
      runtime,
      { headers, method: c.req.method, url: c.req.url },
      {
        ...guardOptions,
        ip: options.getIp ? (options.getIp(c) ?? null) : incoming ? nodeSocketIp(c) : null,
      },
    );
    if (identity === null) {
      // The cookies go in when the Response is made (@hono/node-server's Response would drop
      // headers appended to it later when HTTPException copies it).
      const reply = errorReply(error, fromWebRequest(c.req.raw), { bearer: 'credentials' });
      const res = toResponse({ ...reply, cookies: [...reply.cookies, ...setCookie] });
      throw new HTTPException(res.status as ContentfulStatusCode, { res, cause: error });
    }
    c.set('auth', identity as AuthIdentity<Claims>);
    await next();
    // Through Hono's own header API (it re-makes a finalized response), not c.res.headers:
    // a runtime's Response (@hono/node-server's) may not keep headers appended afterwards.
    for (const cookie of setCookie) c.header('set-cookie', cookie, { append: true });
    // RFC 9449 §8.2: the current nonce on a DPoP-bound answer (nonces on), saving a round trip.
    if (identity.dpopNonce !== undefined) c.header('dpop-nonce', identity.dpopNonce);
  };
}
