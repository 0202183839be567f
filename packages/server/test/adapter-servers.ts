// Test-only: the same app (auth routes + two guarded routes) served over real HTTP on 127.0.0.1
// through the bare fetch handler (@hono/node-server), Express, Fastify and Hono.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import type { EvrmoreAuth } from '../src/create-auth.js';
import * as ex from '../src/adapters/express.js';
import * as fa from '../src/adapters/fastify.js';
import * as ho from '../src/adapters/hono.js';

export type AdapterName = 'fetch' | 'express' | 'fastify' | 'hono';
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
        if (path === '/api/me' || path === '/api/admin') {
          try {
            // the peer address: with trustedProxies as a list it decides x-forwarded-proto (DPoP htu)
            const ip = env.incoming.socket.remoteAddress ?? null;
            const id = await auth.authenticate(
              req,
              path === '/api/admin' ? { permissions: ['admin'], ip } : { ip },
            );
            return Response.json({ address: id.address, sessionId: id.sessionId });
          } catch (err) {
            return auth.errorResponse(err, req);
          }
        }
        return auth.handler(req, { ip: env.incoming.socket.remoteAddress ?? null });
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
      const { createServer } = await import('node:http');
      return listenNode(createServer(app));
    }
    case 'fastify': {
      const app = Fastify();
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
      return serveFetch((req, env) => app.fetch(req, env));
    }
  }
}
