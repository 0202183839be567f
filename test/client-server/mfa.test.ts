// The client's second-factor step (verifyMfa, 'mfa-required') against the REAL server with MFA
// configured, over loopback HTTP with a cookie jar.
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { serve } from '@hono/node-server';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthClient, type AuthClient } from '@evrmore-auth/client';
import { localKeySigner } from '@evrmore-auth/client/local-key';
import { privateKeyToAddress } from '@evrmore-auth/core';
import { createEvrmoreAuth, type EvrmoreAuth } from '../../packages/server/src/index.js';
import { createCookieJar } from './cookie-jar.js';

const KEY = '5a'.repeat(32);
const ADDRESS = privateKeyToAddress(KEY);
const MFA_KEY = btoa(
  String.fromCharCode(...Array.from({ length: 32 }, (_, i) => (i * 91 + 3) & 255)),
);

let origin: string;
let auth: EvrmoreAuth;
/** Added to the server's clock so each step of the test uses a fresh TOTP step. */
let skewMs = 0;
let close: () => Promise<void>;
const events: string[] = [];

beforeAll(async () => {
  const server = serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (request: Request) => {
      const url = new URL(request.url);
      if (url.pathname.startsWith('/auth/')) return auth.handler(request);
      if (url.pathname === '/api/me') {
        try {
          return Response.json({ who: (await auth.authenticate(request)).address });
        } catch (err) {
          return auth.errorResponse(err, request);
        }
      }
      return new Response('not found', { status: 404 });
    },
  });
  if (!server.listening) await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = new URL(origin);
  auth = createEvrmoreAuth({
    domain: url.host,
    uri: url.origin,
    production: false,
    now: () => Date.now() + skewMs,
    mfa: { encryptionKeys: [{ id: 'test', key: MFA_KEY }], issuer: 'evrmore-auth test' },
    logger: { warn: () => undefined, info: () => undefined, error: () => undefined },
    onEvent: (e) => {
      events.push(e.type);
    },
  });
  await auth.ready();
  close = () => new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(() => close?.());

function device(): AuthClient {
  return createAuthClient({
    baseUrl: `${origin}/auth`,
    signer: localKeySigner({ privateKey: KEY }),
    fetch: createCookieJar().fetch,
    restore: false,
    tabSync: false,
  });
}

const codeAt = (secret: string): string =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + skewMs });

describe('client verifyMfa against the real server', () => {
  it('enrols, then signs in through mfa-required with a TOTP code and with a backup code', async () => {
    const first = device();
    expect((await first.signIn()).status).toBe('signed-in');
    const setup = await first.fetch(`${origin}/auth/mfa/totp/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(setup.status).toBe(200);
    const { secret, uri } = (await setup.json()) as { secret: string; uri: string };
    expect(uri).toContain(encodeURIComponent(ADDRESS));
    // A wrong code through client.fetch: one failure, and no refresh-and-retry for this 401.
    const wrong = await first.fetch(`${origin}/auth/mfa/totp/enable`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: '000000' }),
    });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { code: string }).code).toBe('mfa_invalid');
    expect(events.filter((t) => t === 'mfa.failed')).toHaveLength(1);
    expect(events).not.toContain('refresh.succeeded');
    expect(first.getState().status).toBe('signed-in');
    const enable = await first.fetch(`${origin}/auth/mfa/totp/enable`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: codeAt(secret) }),
    });
    expect(enable.status).toBe(200);
    const { backupCodes } = (await enable.json()) as { backupCodes: string[] };

    skewMs += 30_000;
    const second = device();
    const pending = await second.signIn();
    expect(pending.status).toBe('mfa-required');
    expect(pending.mfaMethods).toEqual(['totp', 'backup_code']);
    expect(await second.getAccessToken()).toBeNull();
    await expect(second.verifyMfa('000000')).rejects.toMatchObject({ code: 'mfa_invalid' });
    expect(second.getState().status).toBe('mfa-required');
    const done = await second.verifyMfa(codeAt(secret));
    expect(done).toMatchObject({ status: 'signed-in', address: ADDRESS });
    const me = await second.fetch(`${origin}/api/me`);
    expect(await me.json()).toEqual({ who: ADDRESS });

    const third = device();
    expect((await third.signIn()).status).toBe('mfa-required');
    expect((await third.verifyMfa(backupCodes[0]!)).status).toBe('signed-in');
    const fourth = device();
    expect((await fourth.signIn()).status).toBe('mfa-required');
    await expect(fourth.verifyMfa(backupCodes[0]!)).rejects.toMatchObject({ code: 'mfa_invalid' });
  });
});
