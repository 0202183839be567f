import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { EvrmoreAuth } from '../create-auth.js';
import { createTestAuth } from '../../test/harness.js';
import { evrmoreAuthPlugin, requireAuth } from './fastify.js';

const makeAuth = (): Promise<EvrmoreAuth> => createTestAuth({ rateLimits: { enabled: false } });

const apps: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

describe('Fastify plugin', () => {
  it("keeps the app's own JSON parser outside its scope and decorates request.auth", async () => {
    const auth = await makeAuth();
    const app = Fastify();
    apps.push(app);
    await app.register(evrmoreAuthPlugin, { auth });
    app.post('/api/echo', async (request) => ({ body: request.body, auth: request.auth }));
    app.get('/api/me', { preHandler: requireAuth(auth) }, async () => ({ ok: true }));
    const echo = await app.inject({ method: 'POST', url: '/api/echo', payload: { a: 1 } });
    expect(echo.json()).toEqual({ body: { a: 1 }, auth: null });
    const me = await app.inject({ method: 'GET', url: '/api/me' });
    expect(me.statusCode).toBe(401);
    expect(me.headers['content-type']).toBe('application/problem+json');
    expect(me.json()).toMatchObject({ code: 'token_missing', status: 401 });
  });

  it('answers our 415 and 413, not Fastify’s, on the auth routes', async () => {
    const auth = await makeAuth();
    const app = Fastify({ bodyLimit: 1024 });
    apps.push(app);
    await app.register(evrmoreAuthPlugin, { auth });
    const challenge = (type: string, payload: string) =>
      app.inject({
        method: 'POST',
        url: '/auth/challenge',
        headers: { 'content-type': type },
        payload,
      });
    const xml = await challenge('application/xml', '<a/>');
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toMatchObject({ code: 'unsupported_media_type' });
    // Fastify's own bodyLimit (1 KiB here) does not apply: our 16 KiB limit does
    const medium = await challenge(
      'application/json',
      JSON.stringify({ address: 'E'.repeat(4000) }),
    );
    expect(medium.statusCode).toBe(400);
    const big = await challenge(
      'application/json',
      JSON.stringify({ address: 'E'.repeat(20_000) }),
    );
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ code: 'payload_too_large' });
  });

  it('refuses missing options with a TypeError', async () => {
    const app = Fastify();
    apps.push(app);
    await expect(app.register(evrmoreAuthPlugin, {} as never)).rejects.toThrow(
      'evrmoreAuthPlugin: options.auth must be the object createEvrmoreAuth returned',
    );
  });
});
