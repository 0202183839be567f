// Roles → permissions: the configured map resolved into the access token at sign-in and at every
// refresh, start-up errors for unknown roles, and requireAuth({ roles | permissions }) answering
// 403 insufficient_scope (with RFC 6750's WWW-Authenticate) on every adapter over real HTTP.
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, createTestAuth, wallet } from '../../test/harness.js';
import {
  ADAPTERS,
  call,
  signInOverHttp,
  startAccessApp,
  type AccessApp,
} from '../../test/access-servers.js';
import { createEvrmoreAuth } from '../create-auth.js';
import * as ex from '../adapters/express.js';
import * as fa from '../adapters/fastify.js';
import * as ho from '../adapters/hono.js';

const ROLES = {
  viewer: ['posts:read'],
  admin: ['posts:read', 'posts:write', 'api-keys:manage'],
};
const admin = wallet('a1');
const viewer = wallet('b2');
const admins = new Set([admin.address]);
const rolesOf = (address: string) => (admins.has(address) ? ['admin'] : []);

const apps: AccessApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

describe('roles → permissions in the access token', () => {
  it('puts the roles and the union of their permissions in the token at sign-in and at refresh', async () => {
    const current = new Set([admin.address]);
    const h = await createHarness({
      roles: ROLES,
      defaultRoles: ['viewer'],
      rolesOf: (address) => (current.has(address) ? ['admin'] : []),
    });
    const a = await h.signIn(admin);
    const claims = decodeJwt(a.tokens.accessToken);
    expect(claims.roles).toEqual(['viewer', 'admin']);
    expect([...(claims.permissions as string[])].sort()).toEqual([
      'api-keys:manage',
      'posts:read',
      'posts:write',
    ]);
    const v = await h.signIn(viewer);
    expect(decodeJwt(v.tokens.accessToken)).toMatchObject({
      roles: ['viewer'],
      permissions: ['posts:read'],
    });
    // a role taken away reaches the next access token (refresh asks rolesOf again)
    current.delete(admin.address);
    h.tick(1000);
    const res = await h.request('POST', '/auth/refresh', {
      headers: {
        cookie: `${h.auth.config.cookies.refreshName}=${a.refreshToken}; ${h.auth.config.cookies.fingerprintName}=${a.fingerprint}`,
        origin: 'https://app.example.com',
      },
    });
    expect(res.status).toBe(200);
    const refreshed = decodeJwt(((await res.json()) as { accessToken: string }).accessToken);
    expect(refreshed).toMatchObject({ roles: ['viewer'], permissions: ['posts:read'] });
    // authenticate sees the typed claims
    const id = await h.auth.authenticate(
      new Request('https://app.example.com/x', { headers: v.authHeaders }),
    );
    expect(id.claims.roles).toEqual(['viewer']);
    expect(id.claims.permissions).toEqual(['posts:read']);
  });

  it('without rolesOf takes the claims provider’s roles, keeps its own permissions, and drops unknown roles', async () => {
    const warnings: string[] = [];
    const h = await createHarness({
      roles: ROLES,
      claims: () => ({
        roles: ['viewer', 'superuser'],
        permissions: ['reports:export'],
        plan: 'pro',
      }),
      logger: { info: () => {}, warn: (_o, m) => void warnings.push(String(m)), error: () => {} },
    });
    const s = await h.signIn(viewer);
    const claims = decodeJwt(s.tokens.accessToken);
    expect(claims.roles).toEqual(['viewer']);
    expect([...(claims.permissions as string[])].sort()).toEqual(['posts:read', 'reports:export']);
    expect(claims.plan).toBe('pro');
    expect(warnings.some((w) => w.includes('"superuser"'))).toBe(true);
  });

  it('refuses bad role configuration and unknown roles at start-up (TypeError naming them)', async () => {
    const base = { domain: 'app.example.com', production: false };
    expect(() => createEvrmoreAuth({ ...base, roles: { admin: 'all' as never } })).toThrow(
      'createEvrmoreAuth: roles.admin must be an array of permissions',
    );
    expect(() => createEvrmoreAuth({ ...base, roles: ROLES, defaultRoles: ['guest'] })).toThrow(
      'createEvrmoreAuth: defaultRoles: unknown role "guest" (roles: viewer, admin)',
    );
    expect(() => createEvrmoreAuth({ ...base, rolesOf })).toThrow(
      'createEvrmoreAuth: defaultRoles and rolesOf need a roles map',
    );
    expect(() => createEvrmoreAuth({ ...base, roles: ROLES, rolesOf: 'x' as never })).toThrow(
      'createEvrmoreAuth: rolesOf must be a function',
    );
    const auth = await createTestAuth({ roles: ROLES, rolesOf });
    for (const requireAuth of [ex.requireAuth, fa.requireAuth, ho.requireAuth])
      expect(() => requireAuth(auth, { roles: ['admni'] })).toThrow(
        'requireAuth: unknown role "admni" (roles: viewer, admin)',
      );
    expect(() => ex.requireAuth(auth, { permissions: 'posts:read' as never })).toThrow(
      'requireAuth: permissions must be an array of strings',
    );
  });
});

describe.each(ADAPTERS)('requireAuth({ roles, permissions }) over HTTP: %s', (adapter) => {
  it('lets the admin through everywhere, the viewer only where viewing is enough (403 insufficient_scope)', async () => {
    const auth = await createTestAuth({
      roles: ROLES,
      defaultRoles: ['viewer'],
      rolesOf,
      rateLimits: { enabled: false },
    });
    const app = await startAccessApp(adapter, auth);
    apps.push(app);
    const a = await signInOverHttp(app.url, auth, admin);
    const v = await signInOverHttp(app.url, auth, viewer);

    for (const path of ['/api/read', '/api/write', '/api/admin']) {
      const res = await call(`${app.url}${path}`, { headers: a.headers });
      expect(res.status, path).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ address: admin.address, roles: ['viewer', 'admin'] });
    }
    expect((await call(`${app.url}/api/read`, { headers: v.headers })).status).toBe(200);
    for (const path of ['/api/write', '/api/admin']) {
      const res = await call(`${app.url}${path}`, { headers: v.headers });
      expect(res.status, path).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'insufficient_scope', status: 403 });
      expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope"');
    }
    // no credentials is still 401, not 403
    expect((await call(`${app.url}/api/admin`)).status).toBe(401);
  });
});
