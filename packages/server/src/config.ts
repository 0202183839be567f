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
import {
  resolveApiKeysConfig,
  type ApiKeysConfig,
  type ResolvedApiKeysConfig,
} from './api-keys/config.js';
import { resolveDPoPConfig, type DPoPConfig, type ResolvedDPoPConfig } from './dpop/config.js';
import {
  resolveSessionPolicy,
  type ResolvedSessionPolicy,
  type SessionPolicyConfig,
} from './session-policy.js';
import { validateKeyConfigs } from './keys.js';
import type { RateLimitConfig } from './rate-limit.js';
import type { AuthStore } from './store.js';
import type { IpListsConfig } from './access/ip-lists.js';
import type { RolesConfig, RolesProvider } from './access/roles.js';
import type { SessionCheckConfig, TokenCacheConfig } from './token-cache.js';
import { webRandomBytes, type RandomBytes } from './crypto.js';
import { detectProduction } from './config/environment.js';
import { defaultBackend } from './verify-backend.js';
import * as v from 'valibot';
import { boolean, fn, integer, parseOptions, withMethods } from './config/validate.js';
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
  /** The session the token is for. */
  sessionId: string;
  /** The client IP of this request, or `null` when unknown. */
  ip: string | null;
  /** The request's User-Agent header, or `null`. */
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
 * `jti`, `iat`, `nbf`, `exp`, `fgp`, `cnf`) are ignored if returned.
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
  /**
   * The session hint: a script-readable cookie holding `1` (no secret) that lives as long as the
   * refresh cookie, so `@evrmore-auth/client` skips `/refresh` on a page load when there is no
   * session to restore (no 401, no spent rate-limit points for anonymous visitors). `false` turns
   * it off (the client then always tries `/refresh`, as it does when the API is on another host).
   * @default 'evrmore_auth_hint'
   */
  hintName?: string | false;
}

/**
 * The session cookie of cookie mode ({@link EvrmoreAuthConfig.sessionCookie}): the access token
 * in an HttpOnly cookie that server-side code reads (`auth.getSession`).
 *
 * @example
 * ```ts
 * const sessionCookie: SessionCookieConfig = { name: '__Host-my-session' };
 * ```
 */
export interface SessionCookieConfig {
  /**
   * The cookie's name (a `__Host-`/`__Secure-` name needs `cookies.secure`).
   * @default '__Host-evrmore-session' when `cookies.secure`, else 'evrmore-session'
   */
  name?: string;
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
   * check on repeated requests, and the credentials of about the last second as they came
   * (skipping the header parsing and the hash too); expiry, fingerprint and session are still
   * checked every time. `false` verifies every signature and remembers nothing.
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
  /**
   * Sessions per address (`maxSessionsPerAddress`, with `evict-oldest` or `refuse` over the cap)
   * and an inactivity timeout measured on authenticated requests and refreshes
   * (`idleTimeoutSeconds`); see {@link SessionPolicyConfig}.
   * @default {} (no cap; sessions idle out after `refreshIdleTtlSeconds` without a refresh)
   */
  sessionPolicy?: SessionPolicyConfig;
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
  /**
   * Serve the OpenAPI 3.1 document of the routes at `GET {basePath}/openapi.json` (the
   * machine-readable twin of PROTOCOL.md; `docs/openapi.json` is a copy for the defaults).
   * @default false
   */
  openapi?: boolean;
  /** Names and the Secure flag of the auth cookies; see {@link CookieConfig}. */
  cookies?: CookieConfig;
  /**
   * Cookie sessions for server-rendered apps ("cookie mode"): `/verify`, `/mfa/verify` and
   * `/refresh` also set the access token as an `HttpOnly; SameSite=Lax; Path=/` session cookie,
   * the refresh cookie moves to `Path=/; SameSite=Lax` and the fingerprint cookie to
   * `SameSite=Lax`, so `auth.getSession(request)` can read (and refresh) the session on any page.
   * Bearer mode keeps working at the same time. See PROTOCOL.md §10.
   * @default false (bearer mode only)
   */
  sessionCookie?: boolean | SessionCookieConfig;
  /** @default createMemoryStore() */
  store?: AuthStore;
  /**
   * Production mode: signing keys required, requests whose client IP is unknown refused.
   * @default `NODE_ENV === 'production'` where `NODE_ENV` is set (Node, Bun, Deno with
   * `--allow-env`); on Cloudflare Workers, which have no `NODE_ENV`, `true`; elsewhere `false`.
   * Read once, when the auth is created.
   */
  production?: boolean;
  /**
   * Extra access-token claims (`roles`, `permissions`, …), asked at sign-in **and at every
   * refresh**; reserved claims are ignored. (Named `onSignIn` before 0.2.)
   * @default none
   */
  claims?: ClaimsProvider<Claims>;
  /**
   * Roles and the permissions each grants, e.g. `{ viewer: ['posts:read'], admin: ['posts:read',
   * 'posts:write'] }`. With it, every access token (at sign-in and at every refresh) carries
   * `roles` (the {@link EvrmoreAuthConfig.defaultRoles} plus those of
   * {@link EvrmoreAuthConfig.rolesOf}, or of the claims provider's `roles` claim without it) and
   * `permissions` (the union of their permissions and the claims provider's own `permissions`).
   * Guard routes with `requireAuth(auth, { roles })` / `{ permissions }`. See PROTOCOL.md §5.
   * @default none (the claims provider alone sets `roles` / `permissions`, if at all)
   */
  roles?: RolesConfig;
  /**
   * Roles every signed-in address has (each must be in {@link EvrmoreAuthConfig.roles}).
   * @default []
   */
  defaultRoles?: string[];
  /**
   * Which roles an address has, asked at sign-in and at every refresh; names not in
   * {@link EvrmoreAuthConfig.roles} are dropped with a warning.
   * @default the claims provider's `roles` claim
   */
  rolesOf?: RolesProvider;
  /**
   * IP allow and deny lists; see {@link IpListsConfig}. Runtime changes go through
   * `auth.ipLists` (kept in the store, seen by every instance within `cacheTtlSeconds`).
   * @default no configured entries; the store's lists (when it keeps them), re-read every 5 s
   */
  ipLists?: IpListsConfig;
  /**
   * Called with every audit event (sign-ins, refreshes, revocations, rate limits, anomalies); a
   * throw or rejection is logged, never fails the request.
   * @default none
   */
  onEvent?: EventSinkOptions['onEvent'];
  /**
   * Where audit events (the event itself as the log object), warnings and internal errors are
   * logged (pino or the same three methods).
   * @default none: warnings go to console.warn
   */
  logger?: PinoLikeLogger;
  /**
   * Failed sign-in and second-factor burst detection, raising `anomaly.failed_signins`.
   * @default { threshold: 10, windowMs: 60000 }
   */
  anomaly?: EventSinkOptions['anomaly'];
  /**
   * Per-network and per-IP + address budgets and lock-outs; see {@link RateLimitConfig}.
   * @default on, with each rule's defaults
   */
  rateLimits?: RateLimitConfig;
  /** Second factor (TOTP + backup codes); see {@link MfaConfig}. @default off */
  mfa?: MfaConfig;
  /**
   * DPoP (RFC 9449): tokens bound to a key the client holds; see {@link DPoPConfig} and
   * PROTOCOL.md §9.
   * @default off (a `DPoP` header is ignored; every token is a bearer token)
   */
  dpop?: DPoPConfig;
  /**
   * API keys for machine clients and admin operations (PROTOCOL.md §13); see {@link ApiKeysConfig}.
   * @default off
   */
  apiKeys?: ApiKeysConfig;
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
  /** The sign-in message's domain (host[:port]). */
  domain: string;
  /** The message's `URI:` line. */
  uri: string;
  /** The origin of `uri`. */
  origin: string;
  /** The message's statement line, if any. */
  statement: string | undefined;
  /** The access token's `iss`. */
  issuer: string;
  /** The access token's `aud`. */
  audience: string;
  /** The network whose addresses may sign in. */
  network: Network;
  /** The secp256k1 backend verifying signatures. */
  backend: Secp256k1Backend;
  /**
   * The signing keys (keys[0] signs, all verify); `undefined`: ephemeral keys generated at start
   * (not in production).
   */
  keys: KeyConfig[] | undefined;
  /** Access-token lifetime, seconds. */
  accessTokenTtlSeconds: number;
  /** Challenge lifetime, seconds. */
  challengeTtlSeconds: number;
  /** A session unused this long ends, seconds. */
  refreshIdleTtlSeconds: number;
  /** A session ends this long after sign-in at the latest, seconds. */
  refreshAbsoluteTtlSeconds: number;
  /** The session cap and inactivity timeout (`sessionPolicy`). */
  sessionPolicy: ResolvedSessionPolicy;
  /** Window in which a concurrent duplicate refresh gets the same new token set, seconds. */
  refreshGraceSeconds: number;
  /** Window in which a refresh whose answer was lost may be retried, seconds. */
  refreshRetrySeconds: number;
  /** Clock skew accepted on token and message times, seconds. */
  clockToleranceSeconds: number;
  /** Origins allowed for CORS and cookie-authenticated calls. */
  allowedOrigins: string[];
  /** The proxies whose forwarding headers are believed, parsed; `null`: none. */
  trustedProxies: ResolvedTrustedProxies | null;
  /** When `strict-transport-security` is sent. */
  hsts: 'auto' | 'always' | 'never';
  /** Where the auth routes are mounted, e.g. `/auth`. */
  basePath: string;
  /** Whether `GET {basePath}/openapi.json` is served. */
  openapi: boolean;
  /** The auth cookies' names and Secure flag. */
  cookies: {
    /** Whether the cookies are `Secure` (and take the `__Host-`/`__Secure-` prefixes). */
    secure: boolean;
    /** The fingerprint cookie's name. */
    fingerprintName: string;
    /** The refresh cookie's name. */
    refreshName: string;
    /** The session hint cookie's name; `false`: not set. */
    hintName: string | false;
  };
  /** Cookie mode (`sessionCookie`); `null`: bearer mode only. */
  sessionCookie: {
    /** The session cookie's name. */
    name: string;
  } | null;
  /** Production mode: keys required, unknown client IPs refused. */
  production: boolean;
  /** DPoP settings (without the nonce secret); `null` when DPoP is off. */
  dpop: ResolvedDPoPConfig | null;
  /** API keys' settings; `null` when API keys are off. */
  apiKeys: ResolvedApiKeysConfig | null;
  /** The clock, milliseconds since the epoch. */
  now: () => number;
  /** The source of random bytes. */
  randomBytes: RandomBytes;
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/;
const BASE_PATH = /^(?:\/[A-Za-z0-9._~-]+)+$/;
const STORE_METHODS = [
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
] as const;

/** What is wrong with a `uri` or an `allowedOrigins` entry, or `null`. */
function httpUrlProblem(value: unknown): string | null {
  let url: URL;
  try {
    url = new URL(value as string);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (typeof value !== 'string' || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    return 'must be an absolute http(s) URL';
  if (url.username || url.password) return 'must not contain credentials';
  return null;
}

/** What is wrong with an `allowedOrigins` entry, or `null`. */
function originProblem(value: unknown): string | null {
  if (value === '*') return 'must not be "*" (credentials are sent)';
  const problem = httpUrlProblem(value);
  if (problem !== null) return problem;
  return new URL(value as string).origin === value
    ? null
    : 'must be an origin like "https://example.com" (no path or trailing slash)';
}

/** An http(s) URL: `message` computed from the value (`problem` returns null when it is fine). */
const url = (problem: (value: unknown) => string | null) =>
  v.custom<string>(
    (x) => problem(x) === null,
    (issue) => problem(issue.input) ?? '',
  );

const cookieName = v.pipe(
  v.string('must be a valid cookie name'),
  v.regex(COOKIE_NAME, 'must be a valid cookie name'),
);
/** An integer number of seconds from `min` to `max`, `fallback` when omitted. */
const seconds = (fallback: number, min: number, max: number) =>
  v.optional(integer(min, max), fallback);

/**
 * The options of `createEvrmoreAuth`, validated in one pass; each default is the one documented
 * with `@default` on {@link EvrmoreAuthConfig}. Options other modules own (`keys`,
 * `trustedProxies`, `rateLimits`, `mfa`, `tokenCache`, …) are checked by their own schemas.
 */
const CONFIG = v.pipe(
  v.custom<EvrmoreAuthConfig>(
    (x) => typeof x === 'object' && x !== null,
    'config must be an object',
  ),
  v.object({
    domain: v.custom<string>(
      (x) => typeof x === 'string' && isValidSignInDomain(x),
      (issue) => {
        const port = typeof issue.input === 'string' ? /:(\d+)$/.exec(issue.input)?.[1] : undefined;
        return port !== undefined && (Number(port) < 1 || Number(port) > 65535)
          ? 'port must be from 1 to 65535'
          : 'must be an RFC 3986 authority (host[:port]) without scheme or path';
      },
    ),
    uri: v.optional(url(httpUrlProblem)),
    statement: v.optional(
      v.custom<string>(
        (x) =>
          typeof x === 'string' &&
          x.length > 0 &&
          x.length <= 512 &&
          !/[\n\r\u2028\u2029]/.test(x) &&
          x === x.trim(),
        'must be a single line of 1-512 characters without surrounding spaces',
      ),
    ),
    issuer: v.optional(
      v.pipe(
        v.string('must be a non-empty string'),
        v.minLength(1, 'must be a non-empty string'),
        v.maxLength(512, 'must be a non-empty string'),
      ),
    ),
    audience: v.optional(
      v.pipe(
        v.string('must be a non-empty string'),
        v.minLength(1, 'must be a non-empty string'),
        v.maxLength(512, 'must be a non-empty string'),
      ),
    ),
    network: v.optional(
      v.custom<Network>(
        (x) =>
          typeof x === 'object' &&
          x !== null &&
          typeof (x as Network).chainId === 'string' &&
          typeof (x as Network).messagePrefix === 'string',
        'must be a Network (evrmore, evrmoreTestnet or defineNetwork(...))',
      ),
      () => evrmore,
    ),
    backend: v.optional(
      withMethods<Secp256k1Backend>(
        ['recover'],
        'must be a Secp256k1Backend (nobleBackend, nativeBackend, tinySecp256k1Backend)',
      ),
    ),
    keys: v.optional(v.custom<KeyConfig[]>(() => true)), // keys.ts checks them
    dpop: v.optional(v.custom<DPoPConfig>(() => true)), // dpop/config.ts checks it
    sessionPolicy: v.optional(v.custom<SessionPolicyConfig>(() => true)), // session-policy.ts checks it
    accessTokenTtlSeconds: seconds(900, 30, 86_400),
    challengeTtlSeconds: seconds(300, 30, 3_600),
    refreshAbsoluteTtlSeconds: seconds(2_592_000, 60, 31_536_000),
    refreshIdleTtlSeconds: seconds(604_800, 60, 31_536_000),
    refreshGraceSeconds: seconds(10, 0, 60),
    refreshRetrySeconds: seconds(60, 0, 3_600),
    clockToleranceSeconds: seconds(30, 0, 300),
    allowedOrigins: v.optional(v.array(url(originProblem), 'must be an array of origins')),
    hsts: v.optional(
      v.picklist(['auto', 'always', 'never'], 'must be "auto", "always" or "never"'),
      'auto',
    ),
    basePath: v.optional(
      v.pipe(
        v.string('must start with "/" and not end with "/" (e.g. "/auth")'),
        v.regex(BASE_PATH, 'must start with "/" and not end with "/" (e.g. "/auth")'),
      ),
      '/auth',
    ),
    openapi: v.optional(boolean, false),
    cookies: v.optional(
      v.pipe(
        v.object(
          {
            secure: v.optional(boolean, true),
            fingerprintName: v.optional(cookieName),
            refreshName: v.optional(cookieName),
            hintName: v.optional(
              v.union([cookieName, v.literal(false)], 'must be a valid cookie name or false'),
              'evrmore_auth_hint',
            ),
          },
          'must be an object',
        ),
        // a `__Host-`/`__Secure-` cookie name needs `cookies.secure`
        ...(['fingerprintName', 'refreshName', 'hintName'] as const).map((name) =>
          v.forward(
            v.check(
              (c: {
                secure: boolean;
                fingerprintName?: string;
                refreshName?: string;
                hintName: string | false;
              }) => c.secure || !/^__(?:Host|Secure)-/.test(c[name] || ''),
              'with a __Host-/__Secure- prefix needs cookies.secure',
            ),
            [name],
          ),
        ),
      ),
      {},
    ),
    sessionCookie: v.optional(
      v.union(
        [
          boolean,
          v.strictObject(
            {
              name: v.optional(
                v.pipe(
                  v.string('must be a valid cookie name'),
                  v.regex(COOKIE_NAME, 'must be a valid cookie name'),
                ),
              ),
            },
            'must be true, false or { name }',
          ),
        ],
        'must be true, false or { name }',
      ),
      false,
    ),
    production: v.optional(boolean, detectProduction),
    claims: v.optional(fn<NonNullable<EvrmoreAuthConfig['claims']>>()),
    onEvent: v.optional(fn<NonNullable<EvrmoreAuthConfig['onEvent']>>()),
    now: v.optional(
      fn<() => number>('must be a function returning epoch milliseconds'),
      () => Date.now,
    ),
    randomBytes: v.optional(fn<RandomBytes>(), () => webRandomBytes),
    store: v.optional(
      withMethods<AuthStore>(STORE_METHODS, (issue) => {
        const s = issue.input as Record<string, unknown> | null;
        const missing = STORE_METHODS.find((m) => typeof s?.[m] !== 'function');
        return `must implement AuthStore (missing ${missing})`;
      }),
    ),
  }),
  v.forward(
    v.check(
      (c) => c.refreshIdleTtlSeconds <= c.refreshAbsoluteTtlSeconds,
      'must not exceed refreshAbsoluteTtlSeconds',
    ),
    ['refreshIdleTtlSeconds'],
  ),
  v.forward(
    v.check(
      (c) =>
        c.uri === undefined || [c.domain, c.domain.toLowerCase()].includes(new URL(c.uri).host),
      'must be on the configured domain',
    ),
    ['uri'],
  ),
  v.check(
    (c) => !c.production || c.keys !== undefined,
    'keys are required in production (refusing to start with ephemeral keys)',
  ),
);

/**
 * Validate `config` and apply defaults; throws `TypeError('createEvrmoreAuth: …')`.
 *
 * @example
 * ```ts
 * resolveConfig({ domain: 'example.com:8443' }).uri; // 'https://example.com:8443'
 * ```
 */
export function resolveConfig(config: EvrmoreAuthConfig): ResolvedConfig {
  if (typeof config === 'object' && config !== null && 'onSignIn' in config)
    throw new TypeError(
      'createEvrmoreAuth: onSignIn was renamed to claims: claims: ({ address, sessionId, reason }) => ({ … })',
    );
  const c = parseOptions('createEvrmoreAuth', CONFIG, config);
  if (c.keys !== undefined) validateKeyConfigs(c.keys);
  const dpop = resolveDPoPConfig(c.dpop)?.config ?? null;
  const uri = c.uri ?? `https://${c.domain}`;
  const origin = new URL(uri).origin;
  const { secure } = c.cookies;
  const fingerprintName =
    c.cookies.fingerprintName ?? (secure ? '__Host-evrmore-fgp' : 'evrmore-fgp');
  const refreshName = c.cookies.refreshName ?? (secure ? '__Secure-evrmore-rt' : 'evrmore-rt');
  const { hintName } = c.cookies;
  if (new Set([fingerprintName, refreshName, hintName]).size !== 3)
    throw new TypeError(
      'createEvrmoreAuth: cookies.fingerprintName, cookies.refreshName and cookies.hintName must differ',
    );
  let sessionCookie: { name: string } | null = null;
  if (c.sessionCookie !== false) {
    const name =
      (c.sessionCookie === true ? undefined : c.sessionCookie.name) ??
      (secure ? '__Host-evrmore-session' : 'evrmore-session');
    if (!secure && /^__(?:Host|Secure)-/.test(name))
      throw new TypeError(
        'createEvrmoreAuth: sessionCookie.name with a __Host-/__Secure- prefix needs cookies.secure',
      );
    if ([fingerprintName, refreshName, hintName].includes(name))
      throw new TypeError(
        'createEvrmoreAuth: sessionCookie.name must differ from the other cookie names',
      );
    sessionCookie = { name };
  }
  return {
    domain: c.domain,
    uri,
    origin,
    statement: c.statement,
    issuer: c.issuer ?? origin,
    audience: c.audience ?? origin,
    network: c.network,
    backend: c.backend ?? defaultBackend(config.logger),
    keys: c.keys,
    accessTokenTtlSeconds: c.accessTokenTtlSeconds,
    challengeTtlSeconds: c.challengeTtlSeconds,
    refreshIdleTtlSeconds: c.refreshIdleTtlSeconds,
    refreshAbsoluteTtlSeconds: c.refreshAbsoluteTtlSeconds,
    sessionPolicy: resolveSessionPolicy(config.sessionPolicy, c.refreshIdleTtlSeconds),
    refreshGraceSeconds: c.refreshGraceSeconds,
    refreshRetrySeconds: c.refreshRetrySeconds,
    clockToleranceSeconds: c.clockToleranceSeconds,
    allowedOrigins: c.allowedOrigins?.map((o) => new URL(o).origin) ?? [origin],
    trustedProxies: resolveTrustedProxies(
      config.trustedProxies,
      'createEvrmoreAuth: trustedProxies',
    ),
    hsts: c.hsts,
    basePath: c.basePath,
    openapi: c.openapi,
    cookies: { secure, fingerprintName, refreshName, hintName },
    sessionCookie,
    production: c.production,
    dpop,
    apiKeys: resolveApiKeysConfig(config.apiKeys),
    now: c.now,
    randomBytes: c.randomBytes,
  };
}

/**
 * Claims the application may not set through the claims provider ({@link EvrmoreAuthConfig.claims}).
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
  'cnf',
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
export type AccessTokenClaims = JWTPayload & {
  /** The signed-in address. */
  sub: string;
  /** The session's id. */
  sid: string;
  /** base64url(SHA-256(fingerprint cookie value)): the token is only valid with that cookie. */
  fgp: string;
  /** For a DPoP-bound token (RFC 9449): the thumbprint of the key its proofs must be made with. */
  cnf?: {
    /** The RFC 7638 SHA-256 thumbprint (base64url) of the bound key. */
    jkt: string;
  };
  /** With the `roles` option: the caller's roles (see PROTOCOL.md §5). */
  roles?: string[];
  /** With the `roles` option (or the claims provider's own): the caller's permissions. */
  permissions?: string[];
} & Record<string, unknown>;
