import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { createEvrmoreAuth } from './create-auth.js';
import { resolveConfig, type EvrmoreAuthConfig } from './config.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const base: EvrmoreAuthConfig = { domain: 'example.com', production: false, logger: quiet };

describe('createEvrmoreAuth configuration', () => {
  it('applies the documented defaults', () => {
    const c = resolveConfig({ domain: 'example.com:8443', production: false });
    expect(c).toMatchObject({
      uri: 'https://example.com:8443',
      origin: 'https://example.com:8443',
      issuer: 'https://example.com:8443',
      audience: 'https://example.com:8443',
      accessTokenTtlSeconds: 900,
      challengeTtlSeconds: 300,
      refreshIdleTtlSeconds: 604_800,
      refreshAbsoluteTtlSeconds: 2_592_000,
      refreshGraceSeconds: 10,
      refreshRetrySeconds: 60,
      clockToleranceSeconds: 30,
      allowedOrigins: ['https://example.com:8443'],
      trustedProxies: null,
      hsts: 'auto',
      basePath: '/auth',
      cookies: {
        secure: true,
        fingerprintName: '__Host-evrmore-fgp',
        refreshName: '__Secure-evrmore-rt',
      },
    });
    expect(c.network.chainId).toBe('evrmore:mainnet');
    expect(c.sessionCookie).toBeNull();
  });

  it('sessionCookie: the session cookie name by cookies.secure, or the one given', () => {
    expect(resolveConfig({ ...base, sessionCookie: true }).sessionCookie).toEqual({
      name: '__Host-evrmore-session',
    });
    expect(
      resolveConfig({ ...base, sessionCookie: true, cookies: { secure: false } }).sessionCookie,
    ).toEqual({ name: 'evrmore-session' });
    expect(resolveConfig({ ...base, sessionCookie: { name: 'sid' } }).sessionCookie).toEqual({
      name: 'sid',
    });
    expect(resolveConfig({ ...base, sessionCookie: false }).sessionCookie).toBeNull();
  });

  it('accepts every RFC 3986 host the message grammar accepts (reg-name with _, IP literals)', () => {
    for (const domain of ['auth_server:3000', '[::1]:8443', '127.0.0.1:5173', 'localhost'])
      expect(resolveConfig({ domain }).domain).toBe(domain);
  });

  it.each<[Partial<EvrmoreAuthConfig>, string]>([
    [
      { domain: 'https://example.com' },
      'createEvrmoreAuth: domain must be an RFC 3986 authority (host[:port]) without scheme or path',
    ],
    [
      { domain: 'example.com/path' },
      'createEvrmoreAuth: domain must be an RFC 3986 authority (host[:port]) without scheme or path',
    ],
    [{ domain: 'example.com:70000' }, 'createEvrmoreAuth: domain port must be from 1 to 65535'],
    ...['[..]', '[1.2.3.4]', '[::::::]', ':3000', 'example.com:'].map(
      (domain): [Partial<EvrmoreAuthConfig>, string] => [
        { domain },
        'createEvrmoreAuth: domain must be an RFC 3986 authority (host[:port]) without scheme or path',
      ],
    ),
    [{ uri: 'ftp://example.com' }, 'createEvrmoreAuth: uri must be an absolute http(s) URL'],
    [{ uri: 'https://other.com' }, 'createEvrmoreAuth: uri must be on the configured domain'],
    [
      { accessTokenTtlSeconds: 0 },
      'createEvrmoreAuth: accessTokenTtlSeconds must be an integer from 30 to 86400',
    ],
    [
      { refreshIdleTtlSeconds: 99_999_999 },
      'createEvrmoreAuth: refreshIdleTtlSeconds must be an integer from 60 to 31536000',
    ],
    [
      { refreshIdleTtlSeconds: 7200, refreshAbsoluteTtlSeconds: 3600 },
      'createEvrmoreAuth: refreshIdleTtlSeconds must not exceed refreshAbsoluteTtlSeconds',
    ],
    [
      { allowedOrigins: ['*'] },
      'createEvrmoreAuth: allowedOrigins[0] must not be "*" (credentials are sent)',
    ],
    [
      { allowedOrigins: ['https://a.com/'] },
      'createEvrmoreAuth: allowedOrigins[0] must be an origin like "https://example.com" (no path or trailing slash)',
    ],
    [
      { trustedProxies: 0 },
      'createEvrmoreAuth: trustedProxies must be a hop count from 1 to 16, a list of IP addresses or CIDR ranges, or { header }',
    ],
    [
      { trustedProxies: ['10.0.0.0/33'] },
      'createEvrmoreAuth: trustedProxies[0] must be an IP address or a CIDR range like 10.0.0.0/8',
    ],
    [
      { trustedProxies: ['10.0.0.1', '127.1'] },
      'createEvrmoreAuth: trustedProxies[1] must be an IP address or a CIDR range like 10.0.0.0/8',
    ],
    [
      { trustedProxies: { header: 'bad header' } },
      'createEvrmoreAuth: trustedProxies must be a hop count from 1 to 16, a list of IP addresses or CIDR ranges, or { header }',
    ],
    [{ hsts: 'yes' as never }, 'createEvrmoreAuth: hsts must be "auto", "always" or "never"'],
    [
      { refreshRetrySeconds: 7200 },
      'createEvrmoreAuth: refreshRetrySeconds must be an integer from 0 to 3600',
    ],
    [
      { basePath: 'auth/' },
      'createEvrmoreAuth: basePath must start with "/" and not end with "/" (e.g. "/auth")',
    ],
    [
      { cookies: { secure: false, fingerprintName: '__Host-x' } },
      'createEvrmoreAuth: cookies.fingerprintName with a __Host-/__Secure- prefix needs cookies.secure',
    ],
    [
      { production: true },
      'createEvrmoreAuth: keys are required in production (refusing to start with ephemeral keys)',
    ],
    [
      { sessionCookie: 'yes' as never },
      'createEvrmoreAuth: sessionCookie must be true, false or { name }',
    ],
    [
      { sessionCookie: { name: 'a b' } },
      'createEvrmoreAuth: sessionCookie.name must be a valid cookie name',
    ],
    [
      { sessionCookie: { name: '__Host-s' }, cookies: { secure: false } },
      'createEvrmoreAuth: sessionCookie.name with a __Host-/__Secure- prefix needs cookies.secure',
    ],
    [
      { sessionCookie: { name: 'evrmore_auth_hint' } },
      'createEvrmoreAuth: sessionCookie.name must differ from the other cookie names',
    ],
    [
      { keys: [{ kid: 'k', alg: 'HS256', secret: 'x'.repeat(31) }] },
      'createEvrmoreAuth: keys[0].secret must be at least 32 bytes for HS256',
    ],
    [
      { keys: [{ kid: 'k', alg: 'RS256' as never, privateKey: 'x' }] },
      'createEvrmoreAuth: keys[0].alg must be one of EdDSA, ES256, HS256',
    ],
    [{ keys: [] }, 'createEvrmoreAuth: keys must be a non-empty array'],
    [
      { keys: [{ kid: 'k', publicKey: { kty: 'OKP', crv: 'Ed25519', x: 'A' } }] },
      'createEvrmoreAuth: keys[0] signs and needs a privateKey',
    ],
    [
      { keys: [{ kid: 'k', privateKey: { kty: 'EC', crv: 'P-256', x: 'A', y: 'B', d: 'C' } }] },
      'createEvrmoreAuth: keys[0].privateKey must be a JWK with kty "OKP" for EdDSA',
    ],
    [
      { store: {} as never },
      'createEvrmoreAuth: store must implement AuthStore (missing putChallenge)',
    ],
  ])('refuses %j', (override, message) => {
    expect(() => createEvrmoreAuth({ ...base, ...override })).toThrow(new TypeError(message));
  });

  it('reads NODE_ENV=production once when `production` is not given', () => {
    vi.stubEnv('NODE_ENV', 'production');
    try {
      expect(() => createEvrmoreAuth({ domain: 'example.com', logger: quiet })).toThrow(
        'keys are required in production',
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('runs where there is no `process` (edge runtimes): production defaults to false', () => {
    const saved = globalThis.process;
    let production: boolean | undefined;
    try {
      (globalThis as { process?: unknown }).process = undefined;
      production = resolveConfig({ domain: 'example.com' }).production;
    } finally {
      globalThis.process = saved;
    }
    expect(production).toBe(false);
  });

  it('on Cloudflare Workers (no NODE_ENV, navigator.userAgent "Cloudflare-Workers") production defaults to true', () => {
    vi.stubEnv('NODE_ENV', undefined);
    vi.stubGlobal('navigator', { userAgent: 'Cloudflare-Workers' });
    try {
      expect(() => resolveConfig({ domain: 'example.com' })).toThrow(
        'keys are required in production',
      );
      expect(resolveConfig({ domain: 'example.com', production: false }).production).toBe(false);
      vi.stubEnv('NODE_ENV', 'development'); // a Worker whose vars set NODE_ENV: it decides
      expect(resolveConfig({ domain: 'example.com' }).production).toBe(false);
    } finally {
      vi.unstubAllEnvs();
      vi.unstubAllGlobals();
    }
  });

  it('where reading the environment throws (Deno without --allow-env) production defaults to false', () => {
    const saved = globalThis.process;
    let production: boolean | undefined;
    try {
      const denied = new Proxy(
        {},
        {
          get() {
            throw new Error('NotCapable: Requires env access to "NODE_ENV"');
          },
        },
      );
      (globalThis as { process?: unknown }).process = { env: denied };
      production = resolveConfig({ domain: 'example.com' }).production;
    } finally {
      globalThis.process = saved;
    }
    expect(production).toBe(false);
  });

  it('development without keys: ephemeral EdDSA keys and a loud warning through the logger', async () => {
    const warn = vi.fn();
    const auth = createEvrmoreAuth({
      domain: 'example.com',
      production: false,
      logger: { ...quiet, warn },
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![1])).toMatch(/EPHEMERAL/);
    const jwks = await auth.jwks();
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
  });

  it('loads PEM keys (ES256 and EdDSA) and a public-only retired key; ready() rejects an unimportable key', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ed = generateKeyPairSync('ed25519');
    const auth = createEvrmoreAuth({
      ...base,
      keys: [
        {
          kid: 'es',
          alg: 'ES256',
          privateKey: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        },
        {
          kid: 'ed',
          alg: 'EdDSA',
          publicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }) as string,
        },
      ],
    });
    await auth.ready();
    const jwks = await auth.jwks();
    expect(jwks.keys.map((k) => [k.kid, k.kty, k.alg])).toEqual([
      ['es', 'EC', 'ES256'],
      ['ed', 'OKP', 'EdDSA'],
    ]);
    for (const k of jwks.keys) expect(k).not.toHaveProperty('d');
    const broken = createEvrmoreAuth({
      ...base,
      keys: [
        { kid: 'x', privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' },
      ],
    });
    await expect(broken.ready()).rejects.toThrow(
      'createEvrmoreAuth: keys[0] (x) cannot be imported as EdDSA',
    );
  });
});
