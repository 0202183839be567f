// Test-only: one app per adapter (bare fetch handler, Express, Fastify, Hono) with the routes the
// roles and IP-list tests need, served on 127.0.0.1, and an HTTP client that can send from another
// loopback address (127.0.0.2, …) so the server sees a different client IP.
import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { TokenResponse } from '@evrmore-auth/core';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import type { AuthenticateOptions } from '../src/authenticate.js';
import type { EvrmoreAuth } from '../src/create-auth.js';
import * as ex from '../src/adapters/express.js';
import * as fa from '../src/adapters/fastify.js';
import * as ho from '../src/adapters/hono.js';
import type { Wallet } from './harness.js';

export type AdapterName = 'fetch' | 'express' | 'fastify' | 'hono';
export const ADAPTERS: AdapterName[] = ['fetch', 'express', 'fastify', 'hono'];

/** The guarded routes: path → requireAuth options. */
export const GUARDED: Record<string, AuthenticateOptions> = {
  '/api/me': {},
  '/api/read': { permissions: ['posts:read'] },
  '/api/write': { permissions: ['posts:write'] },
  '/api/admin': { roles: ['admin'] },
  '/api/internal': { allowListedIp: true },
};

export interface AccessApp {
  url: string;
  /** How many times an app handler ran (guarded or `/api/echo`). */
  handled: { count: number };
  close(): Promise<void>;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

const closeServer = (server: Server) => (): Promise<void> =>
  new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });

/** Serve `auth` through adapter `name`, with {@link GUARDED} and an unguarded `POST /api/echo`. */
export async function startAccessApp(name: AdapterName, auth: EvrmoreAuth): Promise<AccessApp> {
  const handled = { count: 0 };
  switch (name) {
    case 'fetch': {
      const server = serve({
        port: 0,
        hostname: '127.0.0.1',
        fetch: async (req, env: { incoming: { socket: { remoteAddress?: string } } }) => {
          const ip = env.incoming.socket.remoteAddress ?? null;
          const path = new URL(req.url).pathname;
          const guard = GUARDED[path];
          if (guard === undefined) return auth.handler(req, { ip });
          try {
            const id = await auth.authenticate(req, { ...guard, ip });
            handled.count++;
            return Response.json({ address: id.address, roles: id.claims.roles ?? null });
          } catch (err) {
            return auth.errorResponse(err, req);
          }
        },
      }) as Server;
      await new Promise<void>((r) => (server.listening ? r() : server.once('listening', r)));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return { url, handled, close: closeServer(server) };
    }
    case 'express': {
      const app = express();
      app.use(ex.evrmoreAuth(auth));
      app.use(express.json());
      for (const [path, options] of Object.entries(GUARDED))
        app.get(path, ex.requireAuth(auth, options), (req, res) => {
          handled.count++;
          res.json({ address: req.auth!.address, roles: req.auth!.claims.roles ?? null });
        });
      app.post('/api/echo', (req, res) => {
        handled.count++;
        res.json(req.body);
      });
      const server = createServer(app);
      return { url: await listen(server), handled, close: closeServer(server) };
    }
    case 'fastify': {
      const app = Fastify();
      await app.register(fa.evrmoreAuthPlugin, { auth });
      for (const [path, options] of Object.entries(GUARDED))
        app.get(path, { preHandler: fa.requireAuth(auth, options) }, async (request) => {
          handled.count++;
          return { address: request.auth!.address, roles: request.auth!.claims.roles ?? null };
        });
      app.post('/api/echo', async (request) => {
        handled.count++;
        return request.body;
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}`, handled, close: () => app.close() };
    }
    case 'hono': {
      const app = new Hono<{ Variables: ho.EvrmoreAuthVariables }>();
      app.use(ho.evrmoreAuth(auth));
      for (const [path, options] of Object.entries(GUARDED))
        app.get(path, ho.requireAuth(auth, options), (c) => {
          handled.count++;
          return c.json({
            address: c.get('auth').address,
            roles: c.get('auth').claims.roles ?? null,
          });
        });
      app.post('/api/echo', async (c) => {
        handled.count++;
        return c.json(await c.req.json());
      });
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
      await new Promise<void>((r) => (server.listening ? r() : server.once('listening', r)));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return { url, handled, close: closeServer(server) };
    }
  }
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request over a fresh connection from loopback address `from`. */
export function call(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; from?: string } = {},
): Promise<HttpAnswer> {
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  const headers: Record<string, string> = { ...init.headers };
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: init.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        localAddress: init.from ?? '127.0.0.1',
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The fingerprint cookie's value from a Set-Cookie list. */
function cookieFrom(setCookie: string[] | string | undefined, name: string): string | null {
  for (const c of [setCookie ?? []].flat()) {
    const [pair] = c.split(';');
    if (pair!.startsWith(`${name}=`)) return pair!.slice(name.length + 1);
  }
  return null;
}

/** Sign in over HTTP from `from`; the headers that authenticate later calls, and the tokens. */
export async function signInOverHttp(
  url: string,
  auth: EvrmoreAuth,
  w: Wallet,
  from = '127.0.0.1',
): Promise<{ headers: Record<string, string>; tokens: TokenResponse; refresh: string }> {
  const ch = await call(`${url}/auth/challenge`, { body: { address: w.address }, from });
  if (ch.status !== 201) throw new Error(`challenge ${ch.status} ${ch.body}`);
  const { message } = JSON.parse(ch.body) as { message: string };
  const vf = await call(`${url}/auth/verify`, {
    body: { message, signature: w.sign(message) },
    from,
  });
  if (vf.status !== 200) throw new Error(`verify ${vf.status} ${vf.body}`);
  const tokens = JSON.parse(vf.body) as TokenResponse;
  const fgp = cookieFrom(vf.headers['set-cookie'], auth.config.cookies.fingerprintName)!;
  const refresh = cookieFrom(vf.headers['set-cookie'], auth.config.cookies.refreshName)!;
  return {
    tokens,
    refresh,
    headers: {
      authorization: `Bearer ${tokens.accessToken}`,
      cookie: `${auth.config.cookies.fingerprintName}=${fgp}`,
    },
  };
}
