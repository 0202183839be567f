// API keys through the fetch handler and `authenticate` (issue 19): the format, the facade, the
// `/api-keys` routes (every answer checked against the OpenAPI document by the harness), the
// checks of a presented key, and what events carry. Real HTTP, shared stores and rate limiting
// across IPs are in test/api-keys.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createHarness, problem, T0, type Harness } from '../../test/harness.js';
import { createEvrmoreAuth } from '../create-auth.js';
import { createEventSink, type AuthEvent } from '../events.js';
import { createMemoryStore } from '../stores/memory.js';
import { StoreUnavailableError } from '../store.js';
import { API_KEY_PATTERN, apiKeyFromHeader, generateApiKey, parseApiKey } from './format.js';
import { ipAllowed, isIpRange } from './schemas.js';
import { webRandomBytes } from '../crypto.js';

const ADMIN = ['api-keys:manage', 'reports:read', 'deploys:write'];

async function harness(over: Parameters<typeof createHarness>[0] = {}): Promise<Harness> {
  return createHarness({
    apiKeys: { enabled: true },
    claims: () => ({ permissions: ADMIN }),
    ...over,
  });
}

/** A request to an application route, authenticated with `authorization`, from `ip`. */
function appRequest(authorization: string): Request {
  return new Request('https://app.example.com/api/reports', { headers: { authorization } });
}

describe('the key format', () => {
  it('evak_ + 24 hex + _ + 43 base64url (256-bit secret), parsed back; anything else is not a key', () => {
    const { id, secret, key } = generateApiKey(webRandomBytes);
    expect(key).toMatch(new RegExp(`^${API_KEY_PATTERN}$`));
    expect(key).toBe(`evak_${id}_${secret}`);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(parseApiKey(key)).toEqual({ id, secret });
    for (const bad of [
      key.slice(0, -1),
      `${key}A`,
      key.replace('evak_', 'EVAK_'),
      key.replace(id, id.toUpperCase()),
      `evak_${id}_${secret.slice(0, 42)}=`,
      '',
    ])
      expect(parseApiKey(bad)).toBeNull();
    // secrets with `_` and `-` in them parse (the id is fixed-length hex)
    const dashed = `evak_${'a'.repeat(24)}_${'_-'.repeat(21)}x`;
    expect(parseApiKey(dashed)).toEqual({ id: 'a'.repeat(24), secret: `${'_-'.repeat(21)}x` });
  });

  it('is read from `ApiKey <key>` or `Bearer evak_…`, never from a bearer JWT', () => {
    const { key } = generateApiKey(webRandomBytes);
    expect(apiKeyFromHeader(`ApiKey ${key}`)).toBe(key);
    expect(apiKeyFromHeader(`apikey  ${key}`)).toBe(key);
    expect(apiKeyFromHeader(`Bearer ${key}`)).toBe(key);
    expect(apiKeyFromHeader('Bearer eyJhbGciOiJFZERTQSJ9.e30.sig')).toBeNull();
    expect(apiKeyFromHeader(`DPoP ${key}`)).toBeNull();
    expect(apiKeyFromHeader('ApiKey garbage')).toBe('garbage'); // then refused as api_key_invalid
  });

  it('IP allow lists: addresses and CIDR ranges, IPv4-mapped forms as IPv4, strict parsing', () => {
    expect(
      ['203.0.113.7', '10.0.0.0/8', '2001:db8::/32', '::1', '::ffff:10.0.0.0/104'].every(isIpRange),
    ).toBe(true);
    expect(
      ['10.1', '10.0.0.0/33', '1.2.3.4/', 'example.com', '0x7f.0.0.1', '::/129'].some(isIpRange),
    ).toBe(false);
    expect(ipAllowed('10.2.3.4', ['10.0.0.0/8'])).toBe(true);
    expect(ipAllowed('11.2.3.4', ['10.0.0.0/8'])).toBe(false);
    expect(ipAllowed('::ffff:10.2.3.4', ['10.0.0.0/8'])).toBe(true);
    expect(ipAllowed('10.2.3.4', ['::ffff:10.0.0.0/104'])).toBe(true);
    expect(ipAllowed('2001:db8:1::5', ['2001:db8::/32'])).toBe(true);
    expect(ipAllowed('2001:db9::5', ['2001:db8::/32', '203.0.113.7'])).toBe(false);
    expect(ipAllowed(null, ['0.0.0.0/0'])).toBe(false);
  });
});

describe('auth.apiKeys and authenticate({ apiKeys: true })', () => {
  it('create shows the key once and stores only the SHA-256 of its secret', async () => {
    const h = await harness();
    const { key, record } = await h.auth.apiKeys.create({
      owner: 'ci-bot',
      permissions: ['reports:read'],
      name: 'CI',
    });
    const { id, secret } = parseApiKey(key)!;
    expect(record).toEqual({
      id,
      prefix: `evak_${id}`,
      hash: createHash('sha256').update(secret).digest('base64url'),
      owner: 'ci-bot',
      name: 'CI',
      permissions: ['reports:read'],
      createdAt: T0,
      expiresAt: null,
      ipAllowList: null,
      revokedAt: null,
      lastUsedAt: null,
    });
    expect(JSON.stringify(await h.auth.apiKeys.list())).not.toContain(secret);
    expect(await h.auth.apiKeys.list('ci-bot')).toEqual([record]);
    expect(await h.auth.apiKeys.list('nobody')).toEqual([]);
  });

  it('a key is its owner with its permissions only; the permissions option checks them', async () => {
    const h = await harness();
    const { key, record } = await h.auth.apiKeys.create({
      owner: 'ci-bot',
      permissions: ['reports:read'],
    });
    for (const header of [`ApiKey ${key}`, `Bearer ${key}`]) {
      const id = await h.auth.authenticate(appRequest(header), {
        apiKeys: true,
        permissions: ['reports:read'],
      });
      expect(id).toMatchObject({
        address: 'ci-bot',
        kind: 'api-key',
        keyId: record.id,
        sessionId: record.id,
        claims: { sub: 'ci-bot', permissions: ['reports:read'] },
      });
    }
    await expect(
      h.auth.authenticate(appRequest(`ApiKey ${key}`), {
        apiKeys: true,
        permissions: ['deploys:write'],
      }),
    ).rejects.toMatchObject({ code: 'insufficient_scope', status: 403 });
    // without the opt-in a key is no credential
    await expect(h.auth.authenticate(appRequest(`ApiKey ${key}`))).rejects.toMatchObject({
      code: 'token_invalid',
    });
    await expect(h.auth.authenticate(appRequest(`Bearer ${key}`))).rejects.toMatchObject({
      code: 'token_invalid',
    });
  });

  it('a wrong secret, an unknown id or a malformed key is api_key_invalid (401 with a Bearer challenge)', async () => {
    const h = await harness();
    const { key } = await h.auth.apiKeys.create({ owner: 'ci-bot', permissions: [] });
    const wrongSecret = `${key.slice(0, 30)}${'A'.repeat(43)}`;
    const unknownId = `evak_${'0'.repeat(24)}${key.slice(29)}`;
    for (const bad of [wrongSecret, unknownId, 'evak_short', 'x'.repeat(300)]) {
      const err = await h.auth
        .authenticate(appRequest(`ApiKey ${bad}`), { apiKeys: true })
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'api_key_invalid', status: 401 });
      const res = h.auth.errorResponse(err, appRequest(`ApiKey ${bad}`));
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    }
  });

  it('revocation holds at once; expiry by the clock; the IP allow list by the client IP', async () => {
    const h = await harness();
    const { key, record } = await h.auth.apiKeys.create({
      owner: 'ci-bot',
      permissions: [],
      expiresInSeconds: 3600,
      ipAllowList: ['198.51.100.0/24'],
    });
    const use = (ip: string) =>
      h.auth.authenticate(appRequest(`ApiKey ${key}`), { apiKeys: true, ip });
    await expect(use('198.51.100.9')).resolves.toMatchObject({ keyId: record.id });
    await expect(use('203.0.113.7')).rejects.toMatchObject({
      code: 'api_key_ip_forbidden',
      status: 403,
    });
    h.tick(3600_000 - 1);
    await expect(use('198.51.100.9')).resolves.toMatchObject({ keyId: record.id });
    h.tick(1);
    await expect(use('198.51.100.9')).rejects.toMatchObject({
      code: 'api_key_expired',
      status: 401,
    });

    const other = await h.auth.apiKeys.create({ owner: 'ci-bot', permissions: [] });
    const useOther = () =>
      h.auth.authenticate(appRequest(`ApiKey ${other.key}`), { apiKeys: true });
    await expect(useOther()).resolves.toMatchObject({ keyId: other.record.id });
    expect(await h.auth.apiKeys.revoke(other.record.id)).toBe(true);
    expect(await h.auth.apiKeys.revoke(other.record.id)).toBe(false);
    await expect(useOther()).rejects.toMatchObject({ code: 'api_key_revoked', status: 401 });
  });

  it('a store outage fails closed: 503 unavailable, never a pass', async () => {
    const store = createMemoryStore({ now: () => T0 });
    const h = await harness({ store });
    const { key } = await h.auth.apiKeys.create({ owner: 'ci-bot', permissions: [] });
    store.getApiKey = () => Promise.reject(new StoreUnavailableError());
    const err = await h.auth
      .authenticate(appRequest(`ApiKey ${key}`), { apiKeys: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(h.auth.errorResponse(err).status).toBe(503);
    await expect(h.auth.apiKeys.revoke('f'.repeat(24))).resolves.toBe(false);
    store.revokeApiKey = () => Promise.reject(new StoreUnavailableError());
    await expect(h.auth.apiKeys.revoke('f'.repeat(24))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it('with IP lists and roles: deny-listed is 403 ip_denied first, allow-listed is never locked out, a key has no roles', async () => {
    const h = await harness({
      ipLists: { allow: ['198.51.100.0/24'], deny: ['203.0.113.66'] },
      rateLimits: { apiKeyLockout: { freeFailures: 1, baseSeconds: 600 } },
      roles: { admin: ['reports:read'] },
    });
    const { key } = await h.auth.apiKeys.create({ owner: 'ci-bot', permissions: ['reports:read'] });
    const use = (k: string, ip: string, extra: object = {}) =>
      h.auth.authenticate(appRequest(`ApiKey ${k}`), { apiKeys: true, ip, ...extra });
    await expect(use(key, '203.0.113.66')).rejects.toMatchObject({ code: 'ip_denied' });
    const wrong = `${key.slice(0, 30)}${'B'.repeat(43)}`;
    for (let i = 0; i < 4; i++)
      await expect(use(wrong, '198.51.100.7')).rejects.toMatchObject({ code: 'api_key_invalid' });
    await expect(use(key, '198.51.100.7')).resolves.toMatchObject({ address: 'ci-bot' });
    for (let i = 0; i < 2; i++)
      await expect(use(wrong, '192.0.2.1')).rejects.toMatchObject({ code: 'api_key_invalid' });
    await expect(use(key, '192.0.2.1')).rejects.toMatchObject({ code: 'rate_limited' });
    await expect(use(key, '198.51.100.7', { roles: ['admin'] })).rejects.toMatchObject({
      code: 'insufficient_scope',
    });
  });

  it('lastUsedAt is recorded, at most once per interval', async () => {
    const h = await harness({ apiKeys: { enabled: true, lastUsedIntervalSeconds: 60 } });
    const { key, record } = await h.auth.apiKeys.create({ owner: 'ci-bot', permissions: [] });
    const use = () => h.auth.authenticate(appRequest(`ApiKey ${key}`), { apiKeys: true });
    await use();
    h.tick(59_000);
    await use();
    expect((await h.store.getApiKey(record.id))?.lastUsedAt).toBe(T0);
    expect(h.events.filter((e) => e.type === 'api_key.used')).toHaveLength(1);
    h.tick(1000);
    await use();
    expect((await h.store.getApiKey(record.id))?.lastUsedAt).toBe(T0 + 60_000);
  });

  it('off: the facade and authenticate({ apiKeys: true }) throw TypeErrors, the routes are 404', async () => {
    const h = await createHarness();
    await expect(h.auth.apiKeys.create({ owner: 'x', permissions: [] })).rejects.toThrow(
      /API keys are off/,
    );
    await expect(h.auth.apiKeys.list()).rejects.toBeInstanceOf(TypeError);
    await expect(
      h.auth.authenticate(appRequest('ApiKey x'), { apiKeys: true }),
    ).rejects.toBeInstanceOf(TypeError);
    const s = await h.signIn();
    expect((await h.request('GET', '/auth/api-keys', { headers: s.authHeaders })).status).toBe(404);
  });

  it('configuration and input are validated up front', async () => {
    const base = { domain: 'app.example.com', production: false } as const;
    expect(() => createEvrmoreAuth({ ...base, apiKeys: { enabled: 'yes' as never } })).toThrow(
      'createEvrmoreAuth: apiKeys.enabled must be a boolean',
    );
    expect(() =>
      createEvrmoreAuth({ ...base, apiKeys: { enabled: true, managePermission: 'a b' } }),
    ).toThrow(/apiKeys.managePermission must be a permission/);
    expect(() =>
      createEvrmoreAuth({ ...base, apiKeys: { enabled: true, extra: 1 } as never }),
    ).toThrow(/apiKeys/);
    const { putApiKey: _p, ...noKeys } = createMemoryStore();
    expect(() =>
      createEvrmoreAuth({ ...base, store: noKeys as never, apiKeys: { enabled: true } }),
    ).toThrow(
      'createEvrmoreAuth: apiKeys needs a store that keeps API keys (store.putApiKey is missing)',
    );
    const h = await harness();
    await expect(h.auth.apiKeys.create({ owner: 'x', permissions: ['has space'] })).rejects.toThrow(
      /apiKeys.create: permissions\[0\]/,
    );
    await expect(
      h.auth.apiKeys.create({ owner: 'x', permissions: [], ipAllowList: ['10.0.0.0/33'] }),
    ).rejects.toThrow(/apiKeys.create: ipAllowList\[0\]/);
    await expect(
      h.auth.apiKeys.create({ owner: 'x', permissions: [], expiresInSeconds: 1 }),
    ).rejects.toThrow(
      'apiKeys.create: expiresInSeconds must be an integer number of seconds from 60 to 315360000 (10 years)',
    );
    await expect(
      h.auth.apiKeys.create({ owner: 'x', permissions: [], ipAllowList: ['10.0.0.0/33'] }),
    ).rejects.toThrow(
      'apiKeys.create: ipAllowList[0] must be an IP address or CIDR range like 10.0.0.0/8',
    );
    await expect(h.auth.apiKeys.create({ owner: 'x' } as never)).rejects.toThrow(
      'apiKeys.create: permissions is required',
    );
    await expect(
      h.auth.apiKeys.create({ owner: 'x', permissions: [], secret: 'y' } as never),
    ).rejects.toThrow('apiKeys.create: secret is not a known field');
    await expect(h.auth.apiKeys.create(null as never)).rejects.toThrow(
      'apiKeys.create: must be an object',
    );
  });
});

describe('the /auth/api-keys routes (answers checked against the OpenAPI document)', () => {
  it('a manager creates (201, key once), lists (no secret, no hash) and revokes (204, then 404 for unknown ids)', async () => {
    const h = await harness();
    const admin = await h.signIn();
    const created = await h.request('POST', '/auth/api-keys', {
      headers: admin.authHeaders,
      body: { permissions: ['reports:read'], name: 'reporting', expiresInSeconds: 86_400 },
    });
    expect(created.status).toBe(201);
    const { key, apiKey } = (await created.json()) as {
      key: string;
      apiKey: { id: string; owner: string; expiresAt: string };
    };
    expect(apiKey.owner).toBe(admin.tokens.session.address); // the caller by default
    expect(apiKey.expiresAt).toBe(new Date(T0 + 86_400_000).toISOString());
    const { secret } = parseApiKey(key)!;

    const listed = await h.request('GET', `/auth/api-keys?owner=${apiKey.owner}`, {
      headers: admin.authHeaders,
    });
    expect(listed.status).toBe(200);
    const text = await listed.text();
    expect(text).not.toContain(secret);
    expect(text).not.toContain(createHash('sha256').update(secret).digest('base64url'));
    expect((JSON.parse(text) as { apiKeys: { id: string }[] }).apiKeys.map((k) => k.id)).toEqual([
      apiKey.id,
    ]);

    // the key itself may manage keys only if it holds the manage permission
    const byKey = await h.request('GET', '/auth/api-keys', {
      headers: { authorization: `ApiKey ${key}` },
    });
    expect(byKey.status).toBe(403);
    expect((await problem(byKey)).code).toBe('insufficient_scope');

    expect(
      (await h.request('DELETE', `/auth/api-keys/${apiKey.id}`, { headers: admin.authHeaders }))
        .status,
    ).toBe(204);
    expect(
      (await h.request('DELETE', `/auth/api-keys/${apiKey.id}`, { headers: admin.authHeaders }))
        .status,
    ).toBe(204);
    const unknown = await h.request('DELETE', `/auth/api-keys/${'f'.repeat(24)}`, {
      headers: admin.authHeaders,
    });
    expect(unknown.status).toBe(404);
    const used = await h.request('GET', '/auth/api-keys', {
      headers: { authorization: `ApiKey ${key}` },
    });
    expect(used.status).toBe(401);
    expect((await problem(used)).code).toBe('api_key_revoked');
  });

  it('needs the manage permission; nobody grants what they do not hold; bad bodies are 400', async () => {
    const h = await harness({ claims: () => ({ permissions: ['reports:read'] }) });
    const viewer = await h.signIn();
    const refused = await h.request('POST', '/auth/api-keys', {
      headers: viewer.authHeaders,
      body: { permissions: [] },
    });
    expect(refused.status).toBe(403);
    expect((await problem(refused)).code).toBe('insufficient_scope');

    const m = await harness({
      apiKeys: { enabled: true, managePermission: 'keys:admin' },
      claims: () => ({ permissions: ['keys:admin', 'reports:read'] }),
    });
    const admin = await m.signIn();
    const stronger = await m.request('POST', '/auth/api-keys', {
      headers: admin.authHeaders,
      body: { permissions: ['reports:read', 'deploys:write'] },
    });
    expect(stronger.status).toBe(403);
    expect((await problem(stronger)).code).toBe('insufficient_scope');
    // a manager key can mint keys with a subset of its own permissions, not more
    const created = await m.request('POST', '/auth/api-keys', {
      headers: admin.authHeaders,
      body: { permissions: ['keys:admin'], owner: 'ops-bot' },
    });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const minted = await m.request('POST', '/auth/api-keys', {
      headers: { authorization: `ApiKey ${key}` },
      body: { permissions: ['reports:read'] },
    });
    expect(minted.status).toBe(403);
    const ok = await m.request('POST', '/auth/api-keys', {
      headers: { authorization: `ApiKey ${key}` },
      body: { permissions: [] },
    });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { apiKey: { owner: string } }).apiKey.owner).toBe('ops-bot');

    for (const body of [
      { permissions: ['a b'] },
      { permissions: [], ipAllowList: ['not-an-ip'] },
      { permissions: [], expiresInSeconds: 1.5 },
      { permissions: [], secret: 'x' },
      {},
    ]) {
      const res = await m.request('POST', '/auth/api-keys', { headers: admin.authHeaders, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await problem(res)).code).toBe('invalid_request');
    }
    const twice = await m.request('GET', '/auth/api-keys?owner=a&owner=b', {
      headers: admin.authHeaders,
    });
    expect(twice.status).toBe(400);
  });
});

describe('audit events and logs never carry a key', () => {
  it('created, used, refused and revoked events name the key by id only', async () => {
    const lines: string[] = [];
    const logger = {
      info: (o: object, m?: string) => lines.push(JSON.stringify([o, m])),
      warn: (o: object, m?: string) => lines.push(JSON.stringify([o, m])),
      error: (o: object, m?: string) => lines.push(JSON.stringify([o, m])),
    };
    const h = await harness({ logger });
    const { key, record } = await h.auth.apiKeys.create({
      owner: 'ci-bot',
      permissions: ['reports:read'],
    });
    await h.auth.authenticate(appRequest(`ApiKey ${key}`), { apiKeys: true });
    await h.auth
      .authenticate(appRequest(`ApiKey ${key.slice(0, -2)}xx`), { apiKeys: true })
      .catch(() => {});
    await h.auth.apiKeys.revoke(record.id);
    await h.auth.authenticate(appRequest(`ApiKey ${key}`), { apiKeys: true }).catch(() => {});
    const types = h.events.map((e) => e.type).filter((t) => t.startsWith('api_key.'));
    expect(types).toEqual([
      'api_key.created',
      'api_key.used',
      'api_key.refused',
      'api_key.revoked',
      'api_key.refused',
    ]);
    expect(h.events.filter((e) => e.type === 'api_key.refused').map((e) => e.code)).toEqual([
      'api_key_invalid',
      'api_key_revoked',
    ]);
    for (const e of h.events.filter((e) => e.type.startsWith('api_key.')))
      expect(e.keyId).toBe(record.id);
    const { secret } = parseApiKey(key)!;
    const all = JSON.stringify(h.events) + lines.join('\n');
    expect(lines.length).toBeGreaterThan(4);
    for (const needle of [key, secret, secret.slice(0, 16), record.hash])
      expect(all).not.toContain(needle);
  });

  it('the sink drops detail values holding a key, whatever their name', () => {
    const seen: AuthEvent[] = [];
    const sink = createEventSink({ onEvent: (e) => void seen.push(e) });
    const { key } = generateApiKey(webRandomBytes);
    sink.emit({
      type: 'api_key.refused',
      requestId: null,
      ip: null,
      userAgent: null,
      detail: { note: `got ${key}`, apiKey: 'x', ok: 'kept' },
    });
    expect(seen[0]?.detail).toEqual({ ok: 'kept' });
  });
});
