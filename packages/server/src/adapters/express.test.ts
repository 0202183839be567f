import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { EvrmoreAuth } from '../create-auth.js';
import { createTestAuth, wallet } from '../../test/harness.js';
import { evrmoreAuth, requireAuth } from './express.js';

const makeAuth = (): Promise<EvrmoreAuth> => createTestAuth({ rateLimits: { enabled: false } });

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});
async function listen(app: express.Express): Promise<string> {
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('Express adapter', () => {
  it('still signs in when express.json() ran first (the parsed body is re-serialised)', async () => {
    const auth = await makeAuth();
    const app = express();
    app.use(express.json());
    app.use(evrmoreAuth(auth));
    const url = await listen(app);
    const w = wallet('55');
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ch = await post('/auth/challenge', { address: w.address });
    expect(ch.status).toBe(201);
    const { message } = (await ch.json()) as { message: string };
    const vf = await post('/auth/verify', { message, signature: w.sign(message) });
    expect(vf.status).toBe(200);
    // prototype-pollution keys survive the round trip and are still refused
    const bad = await fetch(`${url}/auth/challenge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"address":"E","__proto__":{"x":1}}',
    });
    expect(bad.status).toBe(400);
  });

  it('passes other paths to next() and leaves their bodies to the app', async () => {
    const auth = await makeAuth();
    const app = express();
    app.use(evrmoreAuth(auth));
    app.use(express.json());
    app.post('/api/echo', (req, res) => {
      res.json(req.body);
    });
    app.post('/authx', (_req, res) => {
      res.status(209).end();
    });
    const url = await listen(app);
    const echo = await fetch(`${url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await echo.json()).toEqual({ a: 1 });
    expect((await fetch(`${url}/authx`, { method: 'POST' })).status).toBe(209);
  });

  it('requireAuth leaves the body for the route handler', async () => {
    const auth = await makeAuth();
    const app = express();
    app.use(evrmoreAuth(auth));
    app.post('/api/x', requireAuth(auth), express.json(), (_req, res) => {
      res.json({});
    });
    const url = await listen(app);
    const res = await fetch(`${url}/api/x`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('token_missing');
  });

  it('refuses a wrong argument with a TypeError', () => {
    expect(() => evrmoreAuth({} as EvrmoreAuth)).toThrow(
      new TypeError('evrmoreAuth: pass the object createEvrmoreAuth returned'),
    );
    expect(() => requireAuth(undefined as unknown as EvrmoreAuth)).toThrow(
      new TypeError('requireAuth: pass the object createEvrmoreAuth returned'),
    );
  });
});
