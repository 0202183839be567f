// The OpenAPI document: valid OpenAPI 3.1, the same operations as the router, served when asked,
// committed as docs/openapi.json, and the response validator the route tests use can fail.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_STATUS, nobleBackend } from '@evrmore-auth/core';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { createHarness, ORIGIN, validateResponses, wallet } from '../../test/harness.js';
import { createResponseValidator } from '../../test/openapi-validator.js';
import { resolveConfig } from '../config.js';
import { internalsOf, type EvrmoreAuth } from '../create-auth.js';
import { authRoutes } from '../routes/index.js';
import { buildOpenApiDocument, type OpenApiDocument } from './document.js';

const COMMITTED = fileURLToPath(new URL('../../../../docs/openapi.json', import.meta.url));
const PROTOCOL = fileURLToPath(new URL('../../../../docs/PROTOCOL.md', import.meta.url));

/** The document for the default configuration (what docs/openapi.json holds). */
function defaultDocument(): OpenApiDocument {
  return buildOpenApiDocument(
    resolveConfig({ domain: 'example.com', openapi: true, backend: nobleBackend }),
  );
}

type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
const operationsOf = (doc: OpenApiDocument): [string, string, Operation][] =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(
      ([method, op]) => [path, method, op as Operation] as [string, string, Operation],
    ),
  );

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator), and that check can fail', async () => {
    const validator = new Validator();
    const result = await validator.validate(defaultDocument());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');

    const broken = structuredClone(defaultDocument()) as unknown as {
      paths: Record<string, Record<string, { responses: unknown }>>;
    };
    broken.paths['/auth/challenge']!.post!.responses = { 201: { content: {} } }; // no description
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('has every operation the router serves, and no other (with and without openapi: true)', async () => {
    for (const openapi of [false, true]) {
      const h = await createHarness({ openapi, basePath: '/api/auth' });
      const doc = buildOpenApiDocument(h.auth.config);
      const routes = authRoutes(internalsOf(h.auth).runtime);
      const served = routes.flatMap((r) => Object.keys(r.methods).map((m) => ({ r, m })));
      const documented = operationsOf(doc);
      // each documented operation is dispatched to exactly one route with that method
      for (const [path, method] of documented) {
        expect(path.startsWith('/api/auth/'), path).toBe(true);
        const concrete = path.slice('/api/auth'.length).replace(/\{[^}]+\}/g, 'AbC_-1');
        const hits = served.filter(
          ({ r, m }) => m === method.toUpperCase() && r.pattern.test(concrete),
        );
        expect(hits.length, `${method} ${path}`).toBe(1);
      }
      // and every route method is documented
      for (const { r, m } of served) {
        const hit = documented.filter(
          ([path, method]) =>
            method === m.toLowerCase() &&
            r.pattern.test(path.slice('/api/auth'.length).replace(/\{[^}]+\}/g, 'AbC_-1')),
        );
        expect(hit.length, `${m} ${r.pattern}`).toBe(1);
      }
      expect(documented.length).toBe(served.length);
      expect('/api/auth/openapi.json' in doc.paths).toBe(openapi);
    }
  });

  it('describes the problem+json answers with the codes of PROTOCOL.md section 6', () => {
    const doc = defaultDocument();
    const schemas = (
      doc.components as {
        schemas: Record<string, { properties: Record<string, { enum?: string[] }> }>;
      }
    ).schemas;
    expect(schemas.Problem!.properties.code!.enum).toEqual(Object.keys(ERROR_STATUS));
    for (const [path, method, op] of operationsOf(doc))
      for (const [status, response] of Object.entries(op.responses)) {
        const problem = response.content?.['application/problem+json'];
        if (Number(status) < 400) expect(problem, `${method} ${path} ${status}`).toBeUndefined();
        else expect(problem, `${method} ${path} ${status}`).toBeDefined();
      }
    const verify401 = doc.paths['/auth/verify']!.post as Operation;
    const codes = (
      verify401.responses['401']!.content!['application/problem+json']!.schema as {
        properties: { code: { enum: string[] } };
      }
    ).properties.code.enum;
    expect(codes).toEqual([
      'invalid_signature',
      'challenge_unknown',
      'challenge_expired',
      'message_mismatch',
    ]);
    expect(doc.paths['/auth/jwks.json']!.get).toMatchObject({
      responses: { 200: { content: { 'application/jwk-set+json': {} } } },
    });
    expect(doc.servers).toEqual([{ url: 'https://example.com' }]);
  });

  it('cookie mode: the session cookie scheme on the bearer routes, csrf_rejected (403) where cookie auth applies and on sign-in; valid OpenAPI', async () => {
    const cookieDoc = buildOpenApiDocument(
      resolveConfig({ domain: 'example.com', backend: nobleBackend, sessionCookie: true }),
    );
    expect((await new Validator().validate(cookieDoc)).valid).toBe(true);
    const schemes = (cookieDoc.components as { securitySchemes: Record<string, unknown> })
      .securitySchemes;
    expect(schemes.sessionCookie).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: '__Host-evrmore-session',
    });
    const codes403 = (op: Operation): string[] | undefined =>
      (
        op.responses['403']?.content?.['application/problem+json']?.schema as
          { properties: { code: { enum: string[] } } } | undefined
      )?.properties.code.enum;
    for (const [path, method, op] of operationsOf(cookieDoc)) {
      const bearer = (op as unknown as { security: Record<string, unknown>[] }).security.some(
        (s) => 'bearerAuth' in s,
      );
      const cookieAuth = (op as unknown as { security: Record<string, unknown>[] }).security.some(
        (s) => 'sessionCookie' in s,
      );
      expect(cookieAuth, `${method} ${path}`).toBe(bearer);
      const csrf =
        (bearer && method !== 'get') || path === '/auth/verify' || path === '/auth/mfa/verify';
      expect(codes403(op)?.includes('csrf_rejected') ?? false, `${method} ${path}`).toBe(csrf);
    }
    // the Set-Cookie header of the sign-in responses names the session cookie
    const headers = (cookieDoc.components as { headers: { SetCookie: { description: string } } })
      .headers;
    expect(headers.SetCookie.description).toContain('__Host-evrmore-session');
    // bearer mode (the default document): neither
    const plain = defaultDocument();
    expect(
      (plain.components as { securitySchemes: Record<string, unknown> }).securitySchemes
        .sessionCookie,
    ).toBeUndefined();
    for (const [path, method, op] of operationsOf(plain))
      expect(codes403(op)?.includes('csrf_rejected') ?? false, `${method} ${path}`).toBe(false);
  });

  it('is the twin of PROTOCOL.md: the same error codes (section 6) and routes (section 3)', () => {
    const protocol = readFileSync(PROTOCOL, 'utf8');
    const section = (n: number) =>
      protocol.split(/^## /m).find((part) => part.startsWith(`${n}. `))!;
    const table = section(6)
      .split('**Bearer challenges')[0]!
      .split('\n')
      .filter((line) => /^\| \d{3}/.test(line))
      .join('\n');
    const codes = [...table.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    const doc = defaultDocument();
    const problem = (
      doc.components as { schemas: { Problem: { properties: { code: { enum: string[] } } } } }
    ).schemas.Problem;
    expect(new Set(codes)).toEqual(new Set(problem.properties.code.enum));
    const routes = [...section(3).matchAll(/^\| `(GET|POST|DELETE) (\/auth\/[^`?[]+)/gm)].map(
      (m) => `${m[1]!.toLowerCase()} ${m[2]!}`,
    );
    expect(routes.length).toBeGreaterThan(10);
    // the /api-keys routes are served (and documented) only with apiKeys enabled (§13)
    const withApiKeys = buildOpenApiDocument(
      resolveConfig({
        domain: 'example.com',
        openapi: true,
        backend: nobleBackend,
        apiKeys: { enabled: true },
      }),
    );
    expect(routes).toContain('delete /auth/api-keys/{id}');
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const d = path.startsWith('/auth/api-keys') ? withApiKeys : doc;
      expect(d.paths[path]?.[method], route).toBeDefined();
      if (d === withApiKeys) expect(doc.paths[path], route).toBeUndefined();
    }
  });

  it('is served at GET {basePath}/openapi.json only with openapi: true', async () => {
    const off = await createHarness();
    expect((await off.request('GET', '/auth/openapi.json')).status).toBe(404);

    const h = await createHarness({
      openapi: true,
      basePath: '/v1/auth',
      uri: 'https://app.example.com:8443/login',
      domain: 'app.example.com:8443',
    });
    const res = await h.request('GET', '/v1/auth/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as OpenApiDocument;
    expect(doc).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(h.auth.config))));
    expect(doc.servers).toEqual([{ url: 'https://app.example.com:8443' }]);
    expect(Object.keys(doc.paths)).toContain('/v1/auth/sessions/{id}');
    expect((doc.components as { securitySchemes: unknown }).securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      refreshCookie: { type: 'apiKey', in: 'cookie', name: h.auth.config.cookies.refreshName },
      fingerprintCookie: {
        type: 'apiKey',
        in: 'cookie',
        name: h.auth.config.cookies.fingerprintName,
      },
    });
  });

  it('docs/openapi.json is the document of the defaults (UPDATE_OPENAPI=1 rewrites it)', () => {
    const expected = defaultDocument();
    // Written as JSON; `npx prettier --write docs/openapi.json` formats it (compared parsed).
    if (process.env.UPDATE_OPENAPI === '1')
      writeFileSync(COMMITTED, `${JSON.stringify(expected, null, 2)}\n`);
    expect(
      JSON.parse(readFileSync(COMMITTED, 'utf8')),
      'docs/openapi.json is stale: UPDATE_OPENAPI=1 npx -y pnpm@10.34.9 exec vitest run packages/server/src/openapi, then prettier --write it',
    ).toEqual(JSON.parse(JSON.stringify(expected)));
  });
});

describe('response validation (what the route tests go through)', () => {
  const validator = createResponseValidator(defaultDocument());
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
    status,
    headers: new Headers({ 'content-type': 'application/json; charset=utf-8', ...headers }),
    body: JSON.stringify(body),
  });
  const problem = (status: number, code: string, headers: Record<string, string> = {}) => ({
    status,
    headers: new Headers({ 'content-type': 'application/problem+json', ...headers }),
    body: JSON.stringify({ type: `urn:evrmore-auth:error:${code}`, title: 't', status, code }),
  });
  const challenge = {
    message: 'm',
    nonce: 'n',
    issuedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-01T00:05:00.000Z',
  };
  const check = (method: string, path: string, res: ReturnType<typeof json>) =>
    validator.check(method, `${ORIGIN}${path}`, res);

  it('accepts a documented response', () => {
    expect(check('POST', '/auth/challenge', json(201, challenge))).toEqual([]);
    expect(
      check('DELETE', '/auth/sessions/abc', { status: 204, headers: new Headers(), body: '' }),
    ).toEqual([]);
    expect(
      check(
        'GET',
        '/auth/session',
        problem(401, 'token_missing', { 'www-authenticate': 'Bearer' }),
      ),
    ).toEqual([]);
  });

  it('rejects a deliberately wrong body, status, media type, code or header', () => {
    const drift = [
      check('POST', '/auth/challenge', json(201, { ...challenge, extra: 1 })),
      check('POST', '/auth/challenge', json(201, { ...challenge, nonce: undefined })),
      check('POST', '/auth/challenge', json(201, { ...challenge, issuedAt: 'yesterday' })),
      check('POST', '/auth/challenge', json(200, challenge)),
      check('POST', '/auth/challenge', {
        ...json(201, challenge),
        headers: new Headers({ 'content-type': 'text/plain' }),
      }),
      check('POST', '/auth/challenge', problem(401, 'token_missing')),
      check('POST', '/auth/verify', problem(401, 'refresh_reused')),
      check('POST', '/auth/verify', problem(400, 'invalid_signature')),
      check('GET', '/auth/session', problem(401, 'token_expired')),
      check('POST', '/auth/challenge', problem(429, 'rate_limited')),
      check('DELETE', '/auth/sessions/abc', json(204, {})),
      check('GET', '/auth/nowhere', json(200, {})),
      check('PUT', '/auth/challenge', problem(405, 'method_not_allowed')),
    ];
    for (const errors of drift) expect(errors.length, JSON.stringify(errors)).toBeGreaterThan(0);
    expect(drift[0]![0]).toMatch(/additional/);
  });

  it('makes a harness request fail on drift', async () => {
    const h = await createHarness();
    const real = await h.request('POST', '/auth/challenge', {
      body: { address: wallet().address },
    });
    const body = (await real.json()) as Record<string, unknown>;
    // An auth whose challenge route answers a field the document does not have:
    const drifting = validateResponses({
      ...h.auth,
      handler: async () =>
        new Response(JSON.stringify({ ...body, leaked: 'x' }), {
          status: 201,
          headers: { 'content-type': 'application/json' },
        }),
    } as EvrmoreAuth);
    await expect(
      drifting.handler(new Request(`${ORIGIN}/auth/challenge`, { method: 'POST' })),
    ).rejects.toThrow(/differs from the OpenAPI document[\s\S]*additional/);
  });
});
