// Test-only: the same app (auth routes + guarded routes: GET /api/me, GET /api/admin, and
// POST/PUT/PATCH/DELETE /api/posts) served over real HTTP on 127.0.0.1 through the bare fetch
// handler (@hono/node-server; in cookie mode with auth.getSession), Express, Fastify and Hono.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { EvrmoreAuthError } from '@evrmore-auth/core';
import type { AuthIdentity } from '../src/authenticate.js';
import type { EvrmoreAuth } from '../src/create-auth.js';
import * as ex from '../src/adapters/express.js';
import * as fa from '../src/adapters/fastify.js';
import * as ho from '../src/adapters/hono.js';

export type AdapterName = 'fetch' | 'express' | 'fastify' | 'hono';
/** The unsafe methods of the guarded `/api/posts` route. */
export const POST_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The bare fetch handler's guard: `authenticate` with an Authorization header (or in bearer
 * mode), else `getSession` (server-side refresh, Set-Cookie forwarded), as an app does by hand.
 */
async function fetchGuard(
  auth: EvrmoreAuth,
  req: Request,
  ip: string | null,
  permissions: string[] | undefined,
  answer: (id: AuthIdentity) => Response,
): Promise<Response> {
  const bearer = auth.config.sessionCookie === null || req.headers.get('authorization') !== null;
  let setCookie: string[] = [];
  let res: Response;
  try {
    let id: AuthIdentity | null;
    if (bearer) id = await auth.authenticate(req, { permissions, ip });
    else {
      const session = await auth.getSession(req, { ip });
      setCookie = session.setCookie;
      id = session.identity;
      if (id === null) throw new EvrmoreAuthError('token_missing');
      if (permissions?.some((p) => !(id!.claims.permissions as string[]).includes(p)))
        throw new EvrmoreAuthError('insufficient_scope');
    }
    res = answer(id);
    // as an app calling authenticate does: the fresh nonce of a DPoP-bound answer (nonces on)
    if (id.dpopNonce !== undefined) res.headers.set('dpop-nonce', id.dpopNonce);
  } catch (err) {
    res = auth.errorResponse(err, req);
  }
  for (const c of setCookie) res.headers.append('set-cookie', c);
  return res;
}
export const ADAPTERS: AdapterName[] = ['fetch', 'express', 'fastify', 'hono'];

export interface Running {
  url: string;
  close(): Promise<void>;
}

function listenNode(server: Server): Promise<Running> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

function serveFetch(
  fetch: (req: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response>,
) {
  return new Promise<Running>((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((r) => {
            (server as Server).closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

export async function start(name: AdapterName, auth: EvrmoreAuth): Promise<Running> {
  switch (name) {
    case 'fetch':
      return serveFetch(async (req, env) => {
        const path = new URL(req.url).pathname;
        // the peer address: with trustedProxies as a list it decides x-forwarded-proto (DPoP htu)
        const ip = env.incoming.socket.remoteAddress ?? null;
        if (path === '/api/me' || path === '/api/admin')
          return fetchGuard(auth, req, ip, path === '/api/admin' ? ['admin'] : undefined, (id) =>
            Response.json({ address: id.address, sessionId: id.sessionId }),
          );
        if (path === '/api/posts' && (POST_METHODS as readonly string[]).includes(req.method))
          return fetchGuard(auth, req, ip, undefined, (id) =>
            Response.json({ method: req.method, author: id.address }),
          );
        return auth.handler(req, { ip });
      });
    case 'express': {
      const app = express();
      app.use(ex.evrmoreAuth(auth));
      app.use(express.json());
      app.get('/api/me', ex.requireAuth(auth), (req, res) => {
        res.json({ address: req.auth!.address, sessionId: req.auth!.sessionId });
      });
      app.get('/api/admin', ex.requireAuth(auth, { permissions: ['admin'] }), (req, res) => {
        res.json({ address: req.auth!.address });
      });
      for (const method of ['post', 'put', 'patch', 'delete'] as const)
        app[method]('/api/posts', ex.requireAuth(auth), (req, res) => {
          res.json({ method: req.method, author: req.auth!.address });
        });
      const { createServer } = await import('node:http');
      return listenNode(createServer(app));
    }
    case 'fastify': {
      const app = Fastify();
      // a form post reaches the guard (Fastify would answer 415 before the preHandler)
      app.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_req, body, done) => done(null, body),
      );
      await app.register(fa.evrmoreAuthPlugin, { auth });
      app.get('/api/me', { preHandler: fa.requireAuth(auth) }, async (request) => ({
        address: request.auth!.address,
        sessionId: request.auth!.sessionId,
      }));
      app.get(
        '/api/admin',
        { preHandler: fa.requireAuth(auth, { permissions: ['admin'] }) },
        async (request) => ({ address: request.auth!.address }),
      );
      app.route({
        method: [...POST_METHODS],
        url: '/api/posts',
        preHandler: fa.requireAuth(auth),
        handler: async (request) => ({ method: request.method, author: request.auth!.address }),
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}`, close: () => app.close() };
    }
    case 'hono': {
      const app = new Hono<{
        Bindings: HttpBindings | Http2Bindings;
        Variables: ho.EvrmoreAuthVariables;
      }>();
      app.use(ho.evrmoreAuth(auth));
      app.get('/api/me', ho.requireAuth(auth), (c) =>
        c.json({ address: c.get('auth').address, sessionId: c.get('auth').sessionId }),
      );
      app.get('/api/admin', ho.requireAuth(auth, { permissions: ['admin'] }), (c) =>
        c.json({ address: c.get('auth').address }),
      );
      app.on([...POST_METHODS], '/api/posts', ho.requireAuth(auth), (c) =>
        c.json({ method: c.req.method, author: c.get('auth').address }),
      );
      return serveFetch((req, env) => app.fetch(req, env));
    }
  }
}
