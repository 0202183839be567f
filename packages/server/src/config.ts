// Configuration of createEvrmoreAuth: validated once at start-up, with exact TypeError messages.
import {
  evrmore,
  isValidSignInDomain,
  type Network,
  type Secp256k1Backend,
} from '@evrmore-auth/core';
import type { JWTPayload } from 'jose';
import type { EventSinkOptions, PinoLikeLogger } from './events.js';
import type { KeyConfig } from './keys.js';
import type { MfaConfig } from './mfa/config.js';
import { validateKeyConfigs } from './keys.js';
import type { RateLimitConfig } from './rate-limit.js';
import type { AuthStore } from './store.js';
import type { SessionCheckConfig, TokenCacheConfig } from './token-cache.js';
import { webRandomBytes, type RandomBytes } from './crypto.js';
import { defaultBackend } from './verify-backend.js';
import {
  resolveTrustedProxies,
  type ResolvedTrustedProxies,
  type TrustedProxies,
} from './proxy.js';

/**
 * What the claims provider ({@link EvrmoreAuthConfig.claims}) learns about the token it is asked for.
 *
 * @example
 * ```ts
 * const claims = async ({ address, reason }: ClaimsContext) =>
 *   reason === 'sign-in' ? { roles: await rolesOf(address) } : { roles: await cachedRolesOf(address) };
 * ```
 */
export interface ClaimsContext {
  /** The signed-in wallet address. */
  address: string;
  /** `sign-in` after a verified signature (and second factor), `refresh` when a refresh mints a
   *  new access token. */
  reason: 'sign-in' | 'refresh';
  sessionId: string;
  ip: string | null;
  userAgent: string | null;
}

/**
 * The application's claims provider: extra access-token claims, asked at sign-in and at every
 * refresh (so claims stay current). Return `undefined` for none.
 *
 * @example
 * ```ts
 * const claims: ClaimsProvider<{ roles: string[] }> = async ({ address }) => ({ roles: await rolesOf(address) });
 * ```
 */
export type ClaimsProvider<Claims extends ExtraClaims = ExtraClaims> = (
  context: ClaimsContext,
) => Claims | undefined | Promise<Claims | undefined>;

/**
 * Extra access-token claims from the application. Reserved claims (`iss`, `aud`, `sub`, `sid`,
 * `jti`, `iat`, `nbf`, `exp`, `fgp`) are ignored if returned.
 *
 * @example
 * ```ts
 * const claims: ExtraClaims = { roles: ['admin'], permissions: ['posts:write'] };
 * ```
 */
export type ExtraClaims = Record<string, unknown>;

/**
 * Cookie settings.
 *
 * @example
 * ```ts
 * const cookies: CookieConfig = { secure: true, refreshName: 'my-rt' };
 * ```
 */
export interface CookieConfig {
  /**
   * Mark cookies `Secure`. Browsers accept Secure cookies on `http://localhost` too, so keep it on
   * in development; turn it off only for plain-HTTP hosts other than localhost.
   * @default true
   */
  secure?: boolean;
  /** @default '__Host-evrmore-fgp' when secure, else 'evrmore-fgp' */
  fingerprintName?: string;
  /** @default '__Secure-evrmore-rt' when secure, else 'evrmore-rt' */
  refreshName?: string;
}

/**
 * Configuration of {@link createEvrmoreAuth}.
 *
 * @example
 * ```ts
 * const config: EvrmoreAuthConfig = {
 *   domain: 'example.com',
 *   keys: [{ kid: '2026-01', privateKey: process.env.AUTH_PRIVATE_KEY_PEM! }],
 * };
 * ```
 */
export interface EvrmoreAuthConfig<Claims extends ExtraClaims = ExtraClaims> {
  /** RFC 3986 authority (host[:port]) users sign in to; the message's first line. Required. */
  domain: string;
  /** The sign-in origin put in the message's `URI:` line. @default `https://${domain}` */
  uri?: string;
  /** The message's statement line. @default none */
  statement?: string;
  /** Access-token `iss`. @default origin of `uri` */
  issuer?: string;
  /** Access-token `aud`. @default origin of `uri` */
  audience?: string;
  /** @default evrmore (mainnet) */
  network?: Network;
  /**
   * The secp256k1 implementation for signature verification at sign-in: `nativeBackend`
   * (`@evrmore-auth/core/backends/native`, libsecp256k1 addon, Node only, fastest) or
   * `tinySecp256k1Backend` (`@evrmore-auth/core/backends/tiny-secp256k1`, WebAssembly).
   * @default the `secp256k1` native addon (an optional dependency) when it loads on Node, else
   * nobleBackend (pure JavaScript, runs everywhere); one log line at start-up names it
   */
  backend?: Secp256k1Backend;
  /**
   * Remember verified access tokens (by SHA-256) until they expire, skipping the JWT signature
   * check on repeated requests; expiry, fingerprint and session are still checked every time.
   * `false` verifies every signature.
   * @default true ({ maxEntries: 10000 })
   */
  tokenCache?: TokenCacheConfig | boolean;
  /**
   * Session-liveness checks of `authenticate`.
   * @default { maxStalenessMs: 0 } (the store is asked on every request: exact revocation)
   */
  sessionCheck?: SessionCheckConfig;
  /** Signing keys, newest first. Required in production; ephemeral EdDSA keys in development. */
  keys?: KeyConfig[];
  /** @default 900 (15 min) */
  accessTokenTtlSeconds?: number;
  /** @default 300 (5 min) */
  challengeTtlSeconds?: number;
  /** @default 604800 (7 days) */
  refreshIdleTtlSeconds?: number;
  /** @default 2592000 (30 days) */
  refreshAbsoluteTtlSeconds?: number;
  /** A concurrent duplicate refresh within this window gets the same new token set. @default 10 */
  refreshGraceSeconds?: number;
  /**
   * A refresh the server applied but whose answer the client never got (a store timeout, a lost
   * connection) can be retried with the same refresh token for this long, as long as its
   * successor has not been used; the retry gets the same new token set instead of being taken
   * for token theft (`refresh_reused`). Keep it short: within it, a copy of the old token (with
   * the fingerprint cookie) gets the same new set as the browser did.
   * @default 60
   */
  refreshRetrySeconds?: number;
  /** @default 30 */
  clockToleranceSeconds?: number;
  /** Origins allowed for CORS and cookie-authenticated calls. @default [origin of `uri`] */
  allowedOrigins?: string[];
  /**
   * Who may tell the server the client's address and protocol (`x-forwarded-for`,
   * `x-forwarded-proto`, or an edge's own header): a hop count, a list of IP addresses and CIDR
   * ranges, or `{ header: 'cf-connecting-ip' }`; see {@link TrustedProxies}. Rate limits are
   * keyed by the client IP, so a server that cannot know it refuses auth requests in production
   * (and warns in development): pass the peer address to `handler(request, { ip })` or configure
   * this.
   * @default none: forwarding headers are ignored
   */
  trustedProxies?: TrustedProxies;
  /**
   * `strict-transport-security` on auth responses: `'auto'` when the client used HTTPS (the URL,
   * or `x-forwarded-proto` from a trusted proxy), `'always'`, or `'never'` (HSTS set elsewhere).
   * @default 'auto'
   */
  hsts?: 'auto' | 'always' | 'never';
  /** @default '/auth' */
  basePath?: string;
  cookies?: CookieConfig;
  /** @default createMemoryStore() */
  store?: AuthStore;
  /** @default globalThis.process?.env.NODE_ENV === 'production' (read once) */
  production?: boolean;
  /**
   * Extra access-token claims (`roles`, `permissions`, …), asked at sign-in **and at every
   * refresh**; reserved claims are ignored. (Named `onSignIn` before 0.2.)
   * @default none
   */
  claims?: ClaimsProvider<Claims>;
  onEvent?: EventSinkOptions['onEvent'];
  logger?: PinoLikeLogger;
  anomaly?: EventSinkOptions['anomaly'];
  rateLimits?: RateLimitConfig;
  /** Second factor (TOTP + backup codes); see {@link MfaConfig}. @default off */
  mfa?: MfaConfig;
  /** @default Date.now */
  now?: () => number;
  /** @default crypto.getRandomValues */
  randomBytes?: RandomBytes;
}

/**
 * The configuration after validation and defaults.
 *
 * @example
 * ```ts
 * const auth = createEvrmoreAuth({ domain: 'example.com', keys });
 * auth.config.accessTokenTtlSeconds; // 900
 * ```
 */
export interface ResolvedConfig {
  domain: string;
  uri: string;
  origin: string;
  statement: string | undefined;
  issuer: string;
  audience: string;
  network: Network;
  backend: Secp256k1Backend;
  keys: KeyConfig[] | undefined;
  accessTokenTtlSeconds: number;
  challengeTtlSeconds: number;
  refreshIdleTtlSeconds: number;
  refreshAbsoluteTtlSeconds: number;
  refreshGraceSeconds: number;
  refreshRetrySeconds: number;
  clockToleranceSeconds: number;
  allowedOrigins: string[];
  trustedProxies: ResolvedTrustedProxies | null;
  hsts: 'auto' | 'always' | 'never';
  basePath: string;
  cookies: { secure: boolean; fingerprintName: string; refreshName: string };
  production: boolean;
  now: () => number;
  randomBytes: RandomBytes;
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/;
const BASE_PATH = /^(?:\/[A-Za-z0-9._~-]+)+$/;

function fail(message: string): never {
  throw new TypeError(`createEvrmoreAuth: ${message}`);
}

function seconds(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    fail(`${name} must be an integer from ${min} to ${max}`);
  return value;
}

function httpOrigin(name: string, value: unknown): URL {
  if (typeof value !== 'string') fail(`${name} must be an absolute http(s) URL`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`${name} must be an absolute http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    fail(`${name} must be an absolute http(s) URL`);
  if (url.username || url.password) fail(`${name} must not contain credentials`);
  return url;
}

function readProductionFlag(): boolean {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.NODE_ENV === 'production';
}

/**
 * Validate `config` and apply defaults; throws `TypeError('createEvrmoreAuth: …')`.
 *
 * @example
 * ```ts
 * resolveConfig({ domain: 'example.com:8443' }).uri; // 'https://example.com:8443'
 * ```
 */
export function resolveConfig(config: EvrmoreAuthConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) fail('config must be an object');
  const { domain } = config;
  if (typeof domain !== 'string' || !isValidSignInDomain(domain)) {
    const port = typeof domain === 'string' ? /:(\d+)$/.exec(domain)?.[1] : undefined;
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
      fail('domain port must be from 1 to 65535');
    fail('domain must be an RFC 3986 authority (host[:port]) without scheme or path');
  }

  const uriUrl = httpOrigin('uri', config.uri ?? `https://${domain}`);
  const uri = config.uri ?? `https://${domain}`;
  if (uriUrl.host !== domain.toLowerCase() && uriUrl.host !== domain)
    fail('uri must be on the configured domain');
  const origin = uriUrl.origin;

  if (config.statement !== undefined) {
    if (
      typeof config.statement !== 'string' ||
      config.statement.length === 0 ||
      config.statement.length > 512 ||
      /[\n\r\u2028\u2029]/.test(config.statement) ||
      config.statement !== config.statement.trim()
    )
      fail('statement must be a single line of 1-512 characters without surrounding spaces');
  }
  const issuer = config.issuer ?? origin;
  if (typeof issuer !== 'string' || issuer.length === 0 || issuer.length > 512)
    fail('issuer must be a non-empty string');
  const audience = config.audience ?? origin;
  if (typeof audience !== 'string' || audience.length === 0 || audience.length > 512)
    fail('audience must be a non-empty string');

  const network = config.network ?? evrmore;
  if (
    typeof network !== 'object' ||
    network === null ||
    typeof network.chainId !== 'string' ||
    typeof network.messagePrefix !== 'string'
  )
    fail('network must be a Network (evrmore, evrmoreTestnet or defineNetwork(...))');

  const backend = config.backend ?? defaultBackend(config.logger);
  if (typeof backend !== 'object' || backend === null || typeof backend.recover !== 'function')
    fail('backend must be a Secp256k1Backend (nobleBackend, nativeBackend, tinySecp256k1Backend)');

  if (config.keys !== undefined) validateKeyConfigs(config.keys);

  const accessTokenTtlSeconds = seconds(
    'accessTokenTtlSeconds',
    config.accessTokenTtlSeconds,
    900,
    30,
    86_400,
  );
  const challengeTtlSeconds = seconds(
    'challengeTtlSeconds',
    config.challengeTtlSeconds,
    300,
    30,
    3_600,
  );
  const refreshAbsoluteTtlSeconds = seconds(
    'refreshAbsoluteTtlSeconds',
    config.refreshAbsoluteTtlSeconds,
    2_592_000,
    60,
    31_536_000,
  );
  const refreshIdleTtlSeconds = seconds(
    'refreshIdleTtlSeconds',
    config.refreshIdleTtlSeconds,
    604_800,
    60,
    31_536_000,
  );
  if (refreshIdleTtlSeconds > refreshAbsoluteTtlSeconds)
    fail('refreshIdleTtlSeconds must not exceed refreshAbsoluteTtlSeconds');
  const refreshGraceSeconds = seconds('refreshGraceSeconds', config.refreshGraceSeconds, 10, 0, 60);
  const refreshRetrySeconds = seconds(
    'refreshRetrySeconds',
    config.refreshRetrySeconds,
    60,
    0,
    3_600,
  );
  const clockToleranceSeconds = seconds(
    'clockToleranceSeconds',
    config.clockToleranceSeconds,
    30,
    0,
    300,
  );

  let allowedOrigins: string[] = [origin];
  if (config.allowedOrigins !== undefined) {
    if (!Array.isArray(config.allowedOrigins)) fail('allowedOrigins must be an array of origins');
    allowedOrigins = config.allowedOrigins.map((o, i) => {
      if (o === '*') fail(`allowedOrigins[${i}] must not be "*" (credentials are sent)`);
      const url = httpOrigin(`allowedOrigins[${i}]`, o);
      if (url.origin !== o)
        fail(
          `allowedOrigins[${i}] must be an origin like "https://example.com" (no path or trailing slash)`,
        );
      return url.origin;
    });
  }

  const trustedProxies = resolveTrustedProxies(
    config.trustedProxies,
    'createEvrmoreAuth: trustedProxies',
  );
  const hsts = config.hsts ?? 'auto';
  if (hsts !== 'auto' && hsts !== 'always' && hsts !== 'never')
    fail('hsts must be "auto", "always" or "never"');

  const basePath = config.basePath ?? '/auth';
  if (typeof basePath !== 'string' || !BASE_PATH.test(basePath))
    fail('basePath must start with "/" and not end with "/" (e.g. "/auth")');

  const c = config.cookies ?? {};
  if (typeof c !== 'object' || c === null) fail('cookies must be an object');
  const secure = c.secure ?? true;
  if (typeof secure !== 'boolean') fail('cookies.secure must be a boolean');
  const fingerprintName = c.fingerprintName ?? (secure ? '__Host-evrmore-fgp' : 'evrmore-fgp');
  const refreshName = c.refreshName ?? (secure ? '__Secure-evrmore-rt' : 'evrmore-rt');
  for (const [name, v] of [
    ['cookies.fingerprintName', fingerprintName],
    ['cookies.refreshName', refreshName],
  ] as const) {
    if (typeof v !== 'string' || !COOKIE_NAME.test(v)) fail(`${name} must be a valid cookie name`);
    if (!secure && (v.startsWith('__Host-') || v.startsWith('__Secure-')))
      fail(`${name} with a __Host-/__Secure- prefix needs cookies.secure`);
  }
  if (fingerprintName === refreshName)
    fail('cookies.fingerprintName and cookies.refreshName must differ');

  const production = config.production ?? readProductionFlag();
  if (typeof production !== 'boolean') fail('production must be a boolean');
  if (production && config.keys === undefined)
    fail('keys are required in production (refusing to start with ephemeral keys)');

  if ('onSignIn' in config)
    throw new TypeError(
      'createEvrmoreAuth: onSignIn was renamed to claims: claims: ({ address, sessionId, reason }) => ({ … })',
    );
  if (config.claims !== undefined && typeof config.claims !== 'function')
    fail('claims must be a function');
  if (config.onEvent !== undefined && typeof config.onEvent !== 'function')
    fail('onEvent must be a function');
  const now = config.now ?? Date.now;
  if (typeof now !== 'function') fail('now must be a function returning epoch milliseconds');
  const randomBytes = config.randomBytes ?? webRandomBytes;
  if (typeof randomBytes !== 'function') fail('randomBytes must be a function');
  if (config.store !== undefined) {
    const s = config.store as unknown as Record<string, unknown>;
    for (const m of [
      'putChallenge',
      'consumeChallenge',
      'createSession',
      'getSession',
      'listSessions',
      'revokeSession',
      'revokeSessions',
      'rotateRefresh',
      'getMfa',
      'createRateLimiter',
    ])
      if (typeof s?.[m] !== 'function') fail(`store must implement AuthStore (missing ${m})`);
  }

  return {
    domain,
    uri,
    origin,
    statement: config.statement,
    issuer,
    audience,
    network,
    backend,
    keys: config.keys,
    accessTokenTtlSeconds,
    challengeTtlSeconds,
    refreshIdleTtlSeconds,
    refreshAbsoluteTtlSeconds,
    refreshGraceSeconds,
    refreshRetrySeconds,
    clockToleranceSeconds,
    allowedOrigins,
    trustedProxies,
    hsts,
    basePath,
    cookies: { secure, fingerprintName, refreshName },
    production,
    now,
    randomBytes,
  };
}

/**
 * Claims the application may not set through {@link EvrmoreAuthConfig.onSignIn}.
 *
 * @example
 * ```ts
 * RESERVED_CLAIMS.has('sub'); // true
 * ```
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'aud',
  'sub',
  'sid',
  'jti',
  'iat',
  'nbf',
  'exp',
  'fgp',
]);

/**
 * The claims of a verified access token.
 *
 * @example
 * ```ts
 * const claims: AccessTokenClaims = identity.claims;
 * claims.sid;
 * ```
 */
export type AccessTokenClaims = JWTPayload & { sub: string; sid: string; fgp: string } & Record<
    string,
    unknown
  >;
