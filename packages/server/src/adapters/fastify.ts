// Fastify adapter (`@evrmore-auth/server/fastify`): a plugin serving the auth routes and a
// preHandler guarding app routes.
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import type { AuthenticateOptions, AuthIdentity, RegisteredClaims } from '../authenticate.js';
import { guardRequest } from '../cookie-session.js';
import { internalsOf, type EvrmoreAuth } from '../create-auth.js';
import type { Reply } from '../http/reply.js';
import type { AuthRequest } from '../http/request.js';
import { validateGuardOptions } from '../access/roles.js';
import { fromNodeRequest, NodeAuthRequest, replyToNode, requestUrl } from './node.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set by {@link requireAuth} (`null` on unguarded routes); its claims
     *  type is `RegisteredClaims` (declare the application's claims there). */
    auth: AuthIdentity<RegisteredClaims> | null;
  }
}

/**
 * Options of {@link evrmoreAuthPlugin}.
 *
 * @example
 * ```ts
 * await app.register(evrmoreAuthPlugin, { auth } satisfies EvrmoreAuthPluginOptions);
 * ```
 */
export interface EvrmoreAuthPluginOptions {
  /** The instance from `createEvrmoreAuth`. */
  auth: EvrmoreAuth;
}

function authRequest(request: FastifyRequest): AuthRequest {
  const url = requestUrl(request.protocol, request.host, request.raw.url ?? '/');
  return fromNodeRequest(request.raw, url);
}

function sendReply(reply: FastifyReply, out: Reply): FastifyReply {
  reply.code(out.status);
  reply.headers(out.headers);
  if (out.cookies.length > 0) reply.header('set-cookie', out.cookies);
  // A Buffer: Fastify would add `; charset=utf-8` to a string's content type.
  return out.body === null ? reply.send() : reply.send(Buffer.from(out.body, 'utf8'));
}

async function routes(fastify: FastifyInstance, auth: EvrmoreAuth): Promise<void> {
  // Fastify must neither parse nor refuse bodies on these routes: the handler reads the raw
  // stream itself (JSON only, 16 KiB, typed 413/415 problems).
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> =>
    sendReply(
      reply,
      await replyToNode(auth, () => authRequest(request), request.raw.socket.remoteAddress),
    );
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
  for (const url of [auth.basePath, `${auth.basePath}/*`])
    fastify.route({ method: [...methods], url, handler: handle, exposeHeadRoute: false });
}

const plugin: FastifyPluginAsync<EvrmoreAuthPluginOptions> = async (fastify, options) => {
  const auth = options?.auth;
  if (!auth || typeof auth.handler !== 'function')
    throw new TypeError(
      'evrmoreAuthPlugin: options.auth must be the object createEvrmoreAuth returned',
    );
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null);
  // The IP deny list on every route of the app, in onRequest: before body parsing.
  const { screen, runtime } = internalsOf(auth);
  if (runtime.ipGate.active)
    fastify.addHook('onRequest', async (request, reply) => {
      if (runtime.ipGate.quiet()) return;
      const denied = await screen(authRequest(request), request.raw.socket.remoteAddress);
      if (denied !== null) return sendReply(reply, denied);
    });
  await fastify.register(async (scope) => routes(scope, auth));
};
/**
 * Fastify plugin serving every auth route under `auth.basePath`. Inside its own scope it removes
 * Fastify's body parsers, so the handler reads the raw body itself (byte-exact, 16 KiB limit,
 * 413/415 as problem+json); the rest of the app keeps its parsers. It also declares the
 * `request.auth` decorator that {@link requireAuth} fills. The TCP peer address
 * (`request.raw.socket.remoteAddress`) is passed as `handler(request, { ip })`; Fastify's
 * `trustProxy` is not used for the client IP (configure `trustedProxies` on the auth instead).
 * Wrapped with `fastify-plugin`, so the decorator is visible to the app while the routes keep
 * their own scope. With IP lists (`ipLists`, or a store that keeps them) it adds an `onRequest`
 * hook to the app: a deny-listed IP gets 403 `ip_denied` on every route, before body parsing.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { evrmoreAuthPlugin, requireAuth } from '@evrmore-auth/server/fastify';
 *
 * const app = Fastify();
 * await app.register(evrmoreAuthPlugin, { auth });
 * app.get('/api/me', { preHandler: requireAuth(auth) }, async (request) => ({
 *   address: request.auth!.address,
 * }));
 * await app.listen({ port: 3000 });
 * ```
 */
export const evrmoreAuthPlugin = fp(plugin, { name: '@evrmore-auth/server', fastify: '5.x' });

/**
 * Options of {@link requireAuth}.
 *
 * @example
 * ```ts
 * const options: RequireAuthOptions = { permissions: ['posts:write'] };
 * ```
 */
export type RequireAuthOptions = AuthenticateOptions;

/**
 * A Fastify `preHandler` for the application's own routes: sets `request.auth` to the verified
 * identity, or answers the problem+json error (401 / 403 `insufficient_scope`). Register
 * {@link evrmoreAuthPlugin} first (it declares the decorator). In cookie mode (`sessionCookie`),
 * a request without an `authorization` header is verified by its session cookie, refreshed on
 * the server when it expired (the new cookies are added to the reply's `set-cookie`); an unsafe
 * method from another origin is 403 `csrf_rejected`. With DPoP nonces on, a DPoP-bound request's
 * answer gets a fresh `DPoP-Nonce`.
 *
 * @example
 * ```ts
 * app.post('/api/posts', { preHandler: requireAuth(auth, { permissions: ['posts:write'] }) },
 *   async (request) => ({ author: request.auth!.address }));
 * ```
 */
export function requireAuth(
  auth: EvrmoreAuth,
  options: RequireAuthOptions = {},
): preHandlerAsyncHookHandler {
  if (!auth || typeof auth.authenticate !== 'function')
    throw new TypeError('requireAuth: pass the object createEvrmoreAuth returned');
  const { errorReply, runtime } = internalsOf(auth);
  validateGuardOptions(runtime.roles, options, 'requireAuth');
  return async function evrmoreRequireAuth(request, reply) {
    // Only the headers are read; the URL only for a DPoP proof.
    const incoming = new NodeAuthRequest(request.raw, request.method, () =>
      requestUrl(request.protocol, request.host, request.raw.url ?? '/'),
    );
    const { identity, setCookie, error } = await guardRequest(runtime, incoming, {
      ...options,
      ip: request.raw.socket.remoteAddress ?? null,
    });
    // Fastify appends repeated set-cookie values.
    for (const cookie of setCookie) reply.header('set-cookie', cookie);
    if (identity !== null) {
      request.auth = identity as AuthIdentity<RegisteredClaims>;
      // RFC 9449 §8.2: the current nonce on a DPoP-bound answer (nonces on).
      if (identity.dpopNonce !== undefined) reply.header('dpop-nonce', identity.dpopNonce);
      return;
    }
    sendReply(reply, errorReply(error, authRequest(request), { bearer: 'credentials' }));
    return reply;
  };
}
