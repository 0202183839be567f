import { EvrmoreAuthError } from '@evrmore-auth/core';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import type { EvrmoreAuth } from '../create-auth.js';
import { createTestAuth, ORIGIN, wallet } from '../../test/harness.js';
import { evrmoreAuth, requireAuth, type EvrmoreAuthVariables } from './hono.js';

const makeAuth = (): Promise<EvrmoreAuth> => createTestAuth();

describe('Hono adapter', () => {
  it('getIp supplies the client IP on runtimes without a Node socket', async () => {
    const auth = await makeAuth();
    const app = new Hono<{ Variables: EvrmoreAuthVariables }>();
    app.use(evrmoreAuth(auth, { getIp: (c) => c.req.header('cf-connecting-ip') ?? null }));
    app.get('/api/me', requireAuth(auth), (c) => c.json({ address: c.get('auth').address }));
    const w = wallet('66');
    const post = (path: string, body: unknown) =>
      app.request(`${ORIGIN}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': '192.0.2.44' },
        body: JSON.stringify(body),
      });
    const ch = await post('/auth/challenge', { address: w.address });
    const { message } = (await ch.json()) as { message: string };
    const vf = await post('/auth/verify', { message, signature: w.sign(message) });
    expect(vf.status).toBe(200);
    const tokens = (await vf.json()) as { accessToken: string; session: { ip: string } };
    expect(tokens.session.ip).toBe('192.0.2.44');
    const fgp = vf.headers
      .getSetCookie()
      .find((c) => c.startsWith(`${auth.config.cookies.fingerprintName}=`))!
      .split(';')[0]!;
    const me = await app.request(`${ORIGIN}/api/me`, {
      headers: { authorization: `Bearer ${tokens.accessToken}`, cookie: fgp },
    });
    expect(await me.json()).toEqual({ address: w.address });
  });

  it("requireAuth throws HTTPException: by default the client gets the problem+json; the app's onError can shape it", async () => {
    const auth = await makeAuth();
    const plain = new Hono();
    plain.get('/api/me', requireAuth(auth), (c) => c.text('never'));
    const res = await plain.request(`${ORIGIN}/api/me`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.json()).toMatchObject({ status: 401, code: 'token_missing' });

    const shaped = new Hono();
    shaped.onError((err, c) => {
      if (err instanceof HTTPException && err.cause instanceof EvrmoreAuthError)
        return c.json({ error: err.cause.code }, err.status);
      return c.text('other', 500);
    });
    shaped.get('/api/me', requireAuth(auth), (c) => c.text('never'));
    const custom = await shaped.request(`${ORIGIN}/api/me`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(custom.status).toBe(401);
    expect(await custom.json()).toEqual({ error: 'token_invalid' });
  });

  it('other paths reach the app', async () => {
    const auth = await makeAuth();
    const app = new Hono();
    app.use(evrmoreAuth(auth));
    app.get('/authx', (c) => c.text('app'));
    expect(await (await app.request('/authx')).text()).toBe('app');
    expect((await app.request('/auth/nope')).status).toBe(404);
  });

  it('refuses a bad getIp with a TypeError', async () => {
    const auth = await makeAuth();
    expect(() => evrmoreAuth(auth, { getIp: 1 as never })).toThrow(
      new TypeError('evrmoreAuth: getIp must be a function'),
    );
  });
});
