// createEvrmoreAuth's own contract: the claims provider (its context, the old name refused) and
// typed claims (checked by tsc: `pnpm typecheck` fails if a claims type is lost).
import express from 'express';
import type { FastifyRequest } from 'fastify';
import { Hono } from 'hono';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import * as expressAdapter from './adapters/express.js';
import * as fastifyAdapter from './adapters/fastify.js';
import * as honoAdapter from './adapters/hono.js';
import type { AuthIdentity, RegisteredClaims } from './authenticate.js';
import type { ClaimsContext, EvrmoreAuthConfig } from './config.js';
import { createEvrmoreAuth, type EvrmoreAuth } from './create-auth.js';
import { createHarness } from '../test/harness.js';

// What an application declares once for the Express and Fastify request types.
declare module './authenticate.js' {
  interface RegisteredClaims {
    typedClaimsTest?: 'registered';
  }
}

describe('creation at module scope (no key or random work until first use)', () => {
  it('without keys: no random bytes and no key generation until the first request', async () => {
    const randomBytes = vi.fn((n: number) => crypto.getRandomValues(new Uint8Array(n)));
    const getRandomValues = vi.spyOn(crypto, 'getRandomValues');
    const generateKey = vi.spyOn(crypto.subtle, 'generateKey');
    try {
      const logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn() };
      const auth = createEvrmoreAuth({
        domain: 'app.example.com',
        production: false,
        randomBytes,
        logger,
      });
      expect(logger.warn).toHaveBeenCalledWith({}, expect.stringContaining('EPHEMERAL'));
      expect(randomBytes).not.toHaveBeenCalled();
      expect(getRandomValues).not.toHaveBeenCalled();
      expect(generateKey).not.toHaveBeenCalled();

      const res = await auth.handler(new Request('https://app.example.com/auth/jwks.json'));
      expect(res.status).toBe(200);
      const { keys } = (await res.json()) as { keys: Array<{ kid: string }> };
      expect(keys).toHaveLength(1);
      expect(keys[0]!.kid).toMatch(/^ephemeral-/);
      expect(generateKey).toHaveBeenCalledTimes(1);
      // Generated once: ready() and later requests use the same key.
      await auth.ready();
      expect(toKids(await auth.jwks())).toEqual([keys[0]!.kid]);
      expect(generateKey).toHaveBeenCalledTimes(1);
    } finally {
      getRandomValues.mockRestore();
      generateKey.mockRestore();
    }
  });

  it('with keys: imported on first use; ready() still rejects a key that cannot be imported', async () => {
    const importKey = vi.spyOn(crypto.subtle, 'importKey');
    try {
      const bad = createEvrmoreAuth({
        domain: 'app.example.com',
        production: true,
        keys: [
          { kid: 'k1', privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
        ],
      });
      expect(importKey).not.toHaveBeenCalled();
      await expect(bad.ready()).rejects.toThrow(TypeError);
    } finally {
      importKey.mockRestore();
    }
  });
});

const toKids = (jwks: { keys: Array<{ kid?: string }> }) => jwks.keys.map((k) => k.kid);

describe('claims provider', () => {
  it('passing the old onSignIn throws a TypeError naming the new option', () => {
    const config = { domain: 'example.com', production: false, onSignIn: () => ({}) };
    expect(() => createEvrmoreAuth(config as unknown as EvrmoreAuthConfig)).toThrow(
      new TypeError(
        'createEvrmoreAuth: onSignIn was renamed to claims: claims: ({ address, sessionId, reason }) => ({ … })',
      ),
    );
  });

  it('is asked at sign-in and at every refresh with the address, session, reason and client', async () => {
    const seen: ClaimsContext[] = [];
    const h = await createHarness({
      claims: (context) => {
        seen.push(context);
        return { n: seen.length };
      },
    });
    const s = await h.signIn();
    const res = await h.request('POST', '/auth/refresh', {
      headers: {
        'x-requested-with': 'evrmore-auth',
        cookie: `__Secure-evrmore-rt=${s.refreshToken}; __Host-evrmore-fgp=${s.fingerprint}`,
      },
    });
    expect(res.status).toBe(200);
    const base = {
      address: s.tokens.session.address,
      sessionId: s.tokens.session.id,
      ip: '203.0.113.7',
      userAgent: null,
    };
    expect(seen).toEqual([
      { ...base, reason: 'sign-in' },
      { ...base, reason: 'refresh' },
    ]);
  });
});

describe('typed claims (checked by tsc)', () => {
  type AppClaims = { roles: string[]; plan: 'free' | 'pro' };

  it('createEvrmoreAuth<Claims> carries the claims type to authenticate() and the adapters', () => {
    const auth = createEvrmoreAuth<AppClaims>({
      domain: 'example.com',
      production: false,
      claims: async ({ address }) => ({ roles: [address], plan: 'free' }),
    });
    type Identity = Awaited<ReturnType<typeof auth.authenticate>>;
    expectTypeOf<Identity>().toEqualTypeOf<AuthIdentity<AppClaims>>();
    expectTypeOf<Identity['claims']['roles']>().toEqualTypeOf<string[]>();
    expectTypeOf<Identity['claims']['plan']>().toEqualTypeOf<'free' | 'pro'>();
    expectTypeOf<Identity['claims']['sub']>().toEqualTypeOf<string>();

    // Hono: c.get('auth') has the instance's claims.
    const app = new Hono();
    app.get('/me', honoAdapter.requireAuth(auth), (c) => {
      expectTypeOf(c.get('auth').claims.roles).toEqualTypeOf<string[]>();
      expectTypeOf(c.get('auth').claims.plan).toEqualTypeOf<'free' | 'pro'>();
      return c.text('ok');
    });

    // Express and Fastify: the request type is global, so it carries RegisteredClaims.
    const ex = express();
    ex.get('/me', expressAdapter.requireAuth(auth), (req, res) => {
      expectTypeOf(req.auth!.claims.typedClaimsTest).toEqualTypeOf<'registered' | undefined>();
      res.end();
    });
    expectTypeOf<NonNullable<FastifyRequest['auth']>>().toEqualTypeOf<
      AuthIdentity<RegisteredClaims>
    >();
    expectTypeOf(fastifyAdapter.requireAuth).parameter(0).toEqualTypeOf<EvrmoreAuth>();

    // A typed instance is still an EvrmoreAuth (what the adapters take).
    expectTypeOf(auth).toExtend<EvrmoreAuth>();
  });

  it('the claims provider must return the declared claims', () => {
    createEvrmoreAuth<AppClaims>({
      domain: 'example.com',
      production: false,
      // @ts-expect-error `plan` must be 'free' or 'pro'
      claims: () => ({ roles: [], plan: 'gold' }),
    });
    expect(true).toBe(true);
  });
});
