// createEvrmoreAuth: configuration → runtime → router, and the facade an application holds.
import type { ChallengeResponse } from '@evrmore-auth/core';
import type { JSONWebKeySet } from 'jose';
import {
  authenticateRequest,
  type AuthenticateOptions,
  type AuthenticateRequest,
  type AuthIdentity,
} from './authenticate.js';
import { issueChallenge } from './challenge.js';
import {
  resolveCookieSession,
  type CookieSession,
  type GetSessionOptions,
} from './cookie-session.js';
import {
  resolveConfig,
  type EvrmoreAuthConfig,
  type ExtraClaims,
  type ResolvedConfig,
} from './config.js';
import { randomToken } from './crypto.js';
import { createEventSink } from './events.js';
import { createErrorReply, type ErrorReplier, type ErrorReplyOptions } from './http/error-reply.js';
import { toResponse, type Reply } from './http/reply.js';
import { makeContext, newRequestId, type HandlerContext } from './http/request-context.js';
import { fromWebRequest, type AuthRequest } from './http/request.js';
import { createRouter } from './http/router.js';
import { generateEphemeralKeys, loadKeys, toJwks, type LoadedKey } from './keys.js';
import { resolveMfaConfig } from './mfa/config.js';
import type { MfaPendingResult } from './mfa/mfa-token.js';
import { reencryptMfaSecrets } from './mfa/service.js';
import { createRateLimits } from './rate-limit.js';
import { refreshSession, type RefreshResult } from './refresh-rotation.js';
import { authRoutes } from './routes/index.js';
import type { AuthRuntime } from './runtime.js';
import { signIn, type SignInResult } from './sign-in.js';
import { createMemoryStore } from './stores/memory.js';
import { createDPoPRuntime } from './dpop/runtime.js';
import { createPerformanceCaches, forgetRevokedSessions } from './token-cache.js';
import { createLocalRevocations, revokeSessionHere, revokeSessionsHere } from './revocations.js';
import { apiKeysFacade, createApiKeysRuntime, type ApiKeys } from './api-keys/service.js';
import { bypassForAllowed, createIpGate, type IpLists } from './access/ip-lists.js';
import { resolveRoles } from './access/roles.js';
import { enforceIpLists } from './authenticate.js';
import { createActivityTracker } from './session-policy.js';

export type { HandlerContext } from './http/request-context.js';

/**
 * The object {@link createEvrmoreAuth} returns. `Claims` is the type of the application's extra
 * access-token claims (what its `claims` provider returns); {@link EvrmoreAuth.authenticate} and
 * the adapters' `req.auth` carry it.
 *
 * @example
 * ```ts
 * const auth = createEvrmoreAuth({ domain: 'example.com', keys });
 * Deno.serve((req, info) => auth.handler(req, { ip: info.remoteAddr.hostname }));
 * ```
 */
export interface EvrmoreAuth<Claims extends ExtraClaims = ExtraClaims> {
  /** Every route under `basePath`; other paths under it → 404 problem. */
  handler(request: Request, context?: HandlerContext): Promise<Response>;
  /** Verify bearer + fingerprint cookie + session liveness (+ permissions). Reads the
   *  `authorization` and `cookie` headers: a fetch `Request`, or `{ headers }` with a `get`; a
   *  DPoP-bound token (`authorization: DPoP …`) also needs the `dpop` header, `method` and `url`
   *  (a fetch `Request` has them; see {@link AuthenticateRequest}). In cookie mode
   *  (`sessionCookie`), a request without `authorization` is verified by its session cookie,
   *  under the CSRF rule of {@link EvrmoreAuth.getSession} (`csrf_rejected`), and never refreshed
   *  (`token_expired`). With DPoP nonces on, a DPoP-bound request's identity carries the fresh
   *  `dpopNonce` to send as `DPoP-Nonce`; a replayed proof or one from another key is an audit
   *  event (`dpop.proof_replayed`, `dpop.key_mismatch`). */
  authenticate(
    request: AuthenticateRequest,
    options?: AuthenticateOptions,
  ): Promise<AuthIdentity<Claims>>;
  /**
   * Cookie mode (`sessionCookie`): the signed-in caller of a request, read from the session
   * cookie (checked as {@link EvrmoreAuth.authenticate} checks a bearer token: signature,
   * fingerprint cookie, session live in the store), or `null`. An expired session cookie is
   * refreshed on the server when the refresh cookie's session is alive (rotation and reuse
   * detection as for `/refresh`): forward `setCookie` on the response. An unsafe method (POST,
   * PUT, PATCH, DELETE) must come from an allowed `Origin` (or `Sec-Fetch-Site: same-origin`),
   * else it rejects with `csrf_rejected` (403); a store outage rejects with
   * `StoreUnavailableError` (503). `{ headers }` without a `method` is taken as a safe request:
   * pass `{ method: 'POST', headers }` for server actions. TypeError without `sessionCookie`.
   * A deny-listed client IP (`options.ip`, see `ipLists`) rejects with `ip_denied` (403).
   *
   * @example
   * ```ts
   * const { identity, setCookie } = await auth.getSession(request);
   * const res = identity ? renderPage(identity.address) : Response.redirect('/sign-in');
   * for (const c of setCookie) res.headers.append('set-cookie', c);
   * ```
   */
  getSession(
    request: Request | AuthenticateRequest,
    options?: GetSessionOptions,
  ): Promise<CookieSession<Claims>>;
  /** problem+json Response (with security headers) for any thrown error; unknown errors → 500.
   *  An error of {@link EvrmoreAuth.authenticate} gets RFC 6750's `WWW-Authenticate: Bearer`. */
  errorResponse(error: unknown, request?: Request): Response;
  /** Where the auth routes live, e.g. `/auth` (the `basePath` option). */
  readonly basePath: string;
  /** The validated configuration with its defaults applied (without the keys, which hold
   *  private key material, and the parsed proxy list). */
  readonly config: PublicConfig;
  /** Imports the keys (generates them without `keys`) unless the first request already did;
   *  resolves once they are ready, rejects with a TypeError when a key cannot be imported. Call it
   *  at start-up to fail there on a bad key: creation itself does no key or random work, so the
   *  auth can be created at module scope on runtimes that forbid that (Cloudflare Workers). */
  ready(): Promise<void>;
  /** The JWKS document (public parts only). */
  jwks(): Promise<JSONWebKeySet>;
  /** Lower level: issue a challenge (the 201 body of `/challenge`). */
  issueChallenge(
    address: string,
    context?: HandlerContext & { request?: Request },
  ): Promise<ChallengeResponse>;
  /** Lower level: the whole sign-in of `/verify`: verify the signed challenge and create the
   *  session (token response + cookies), or, for an address enrolled in MFA, `{ mfaRequired }`. */
  signIn(
    message: string,
    signature: string,
    context?: HandlerContext & { request?: Request },
  ): Promise<SignInResult | MfaPendingResult>;
  /** Lower level: rotate a refresh token (body of `/refresh` + cookie). Both cookie values are
   *  needed: the refresh family is bound to the fingerprint of the sign-in that started it. */
  refresh(
    cookies: { refreshToken: string | null; fingerprint: string | null },
    context?: HandlerContext & { request?: Request },
  ): Promise<RefreshResult>;
  /** Lower level: revoke a session by id (any address); `false` when unknown or already revoked. */
  revokeSession(sessionId: string, reason?: string): Promise<boolean>;
  /** Lower level: revoke every session of an address; returns how many. */
  revokeAllSessions(address: string, reason?: string): Promise<number>;
  /** Whether `address` has a second factor enabled. */
  isMfaEnabled(address: string): Promise<boolean>;
  /**
   * The IP allow and deny lists at runtime (kept in the store: every instance sharing it sees a
   * change within `ipLists.cacheTtlSeconds`, this one at once). A deny-listed client gets 403
   * `ip_denied` on every auth route, `authenticate`/`requireAuth`, and (through the adapters'
   * middleware) every path the middleware sees, before any other work; an allow-listed one is
   * never rate-limited.
   */
  readonly ipLists: IpLists;
  /** Re-seal `address`'s MFA secrets with the newest `mfa.encryptionKeys` entry (key rotation);
   *  `true` when something was re-sealed. */
  reencryptMfaSecrets(address: string): Promise<boolean>;
  /**
   * API keys (`apiKeys: { enabled: true }`; PROTOCOL.md §13): create (the key shown once), list,
   * revoke. Without `apiKeys` enabled every method rejects with a TypeError.
   *
   * @example
   * ```ts
   * const { key, record } = await auth.apiKeys.create({ owner: 'ci', permissions: ['deploys:write'] });
   * await auth.apiKeys.revoke(record.id); // refused at once on every instance
   * ```
   */
  readonly apiKeys: ApiKeys;
}

/**
 * {@link EvrmoreAuth.config}: the resolved configuration an application may read.
 *
 * @example
 * ```ts
 * auth.config.cookies.fingerprintName; // '__Host-evrmore-fgp'
 * ```
 */
export type PublicConfig = Readonly<Omit<ResolvedConfig, 'keys' | 'trustedProxies'>>;

/**
 * What the Node adapters (and the package's tests) use beyond the public facade: the handler
 * over an {@link AuthRequest} (no fetch `Request`/`Response` objects), the error reply at that
 * level, and the runtime. Kept on the facade under a registered symbol: not part of the
 * `EvrmoreAuth` type (so not public API), no side table, and the same key in every bundle (the
 * CommonJS build gives each entry point its own copy of this module).
 */
export interface AuthInternals {
  handle(request: AuthRequest, context?: HandlerContext): Promise<Reply>;
  errorReply(error: unknown, request?: AuthRequest, options?: ErrorReplyOptions): Reply;
  runtime: AuthRuntime;
  /** The IP lists' check of a request the adapters' middleware sees outside the auth routes:
   *  the 403 `ip_denied` (or 503) reply, or `null` to go on. */
  screen(request: AuthRequest, ip: string | null | undefined): Promise<Reply | null>;
}

const INTERNALS = Symbol.for('@evrmore-auth/server.internals');

/** The internals of an auth instance made by {@link createEvrmoreAuth}. */
export function internalsOf(auth: EvrmoreAuth): AuthInternals {
  const internals = (auth as unknown as { [INTERNALS]?: AuthInternals })[INTERNALS];
  if (internals === undefined) throw new TypeError('pass the object createEvrmoreAuth returned');
  return internals;
}

/**
 * Create the auth service: validates `config` (TypeError with the exact problem), loads keys
 * (in development without keys: ephemeral EdDSA keys and a loud warning).
 *
 * @example
 * ```ts
 * import { createEvrmoreAuth } from '@evrmore-auth/server';
 * const auth = createEvrmoreAuth<{ roles: string[] }>({
 *   domain: 'example.com',
 *   keys: [{ kid: '2026-01', privateKey: process.env.AUTH_KEY_PEM! }],
 *   claims: async ({ address }) => ({ roles: await rolesOf(address) }),
 * });
 * Bun.serve({ fetch: (req, server) => auth.handler(req, { ip: server.requestIP(req)?.address }) });
 * // later: (await auth.authenticate(request)).claims.roles is a string[]
 * ```
 */
export function createEvrmoreAuth<Claims extends ExtraClaims = ExtraClaims>(
  config: EvrmoreAuthConfig<Claims>,
): EvrmoreAuth<Claims> {
  const resolved = resolveConfig(config as EvrmoreAuthConfig);
  const logger = config.logger;
  const store = config.store ?? createMemoryStore({ now: resolved.now });
  const roles = resolveRoles(config);
  const ipGate = createIpGate(config.ipLists, store, { now: resolved.now, logger });
  const events = createEventSink({
    ...(config.onEvent ? { onEvent: config.onEvent } : {}),
    ...(logger ? { logger } : {}),
    ...(config.anomaly ? { anomaly: config.anomaly } : {}),
    now: resolved.now,
  });
  const rateLimits = createRateLimits(store, config.rateLimits, {
    production: resolved.production,
    warn: (message) => (logger ? logger.warn({}, message) : console.warn(message)),
  });

  if (!resolved.keys) {
    const warning =
      'evrmore-auth: NO SIGNING KEYS CONFIGURED. Using EPHEMERAL EdDSA keys: every token dies on restart and ' +
      'instances cannot verify each other. Configure `keys` before production (production refuses to start without them).';
    if (logger) logger.warn({}, warning);
    else console.warn(`\n*** ${warning} ***\n`);
  }
  // The keys are imported (or, without `keys`, generated) on first use rather than here, so the
  // auth can be created at module scope where a runtime forbids random bytes and key generation
  // (Cloudflare Workers). `ready()` starts it at start-up where that is allowed.
  let keysPromise: Promise<LoadedKey[]> | undefined;
  const keys = (): Promise<LoadedKey[]> =>
    (keysPromise ??= resolved.keys
      ? loadKeys(resolved.keys)
      : generateEphemeralKeys(`ephemeral-${randomToken(resolved.randomBytes, 6)}`));

  const caches = createPerformanceCaches(config);
  const revocations = createLocalRevocations(logger);
  forgetRevokedSessions(revocations, caches);
  const rt: AuthRuntime = {
    config: resolved,
    store,
    revocations,
    events,
    rateLimits: ipGate.active ? bypassForAllowed(rateLimits, ipGate) : rateLimits,
    keys,
    claims: config.claims,
    logger,
    mfa: resolveMfaConfig(config.mfa, {
      domain: resolved.domain,
      randomBytes: resolved.randomBytes,
    }),
    caches,
    activity: createActivityTracker(),
    dpop:
      resolved.dpop === null
        ? null
        : createDPoPRuntime(
            {
              config: resolved.dpop,
              // validated by resolveConfig: `false` or `{ secret }` of at least 32 bytes
              nonceSecret: config.dpop?.nonce ? config.dpop.nonce.secret : null,
            },
            store,
            resolved.clockToleranceSeconds,
          ),
    apiKeys: createApiKeysRuntime(resolved.apiKeys, store),
    roles,
    ipGate,
  };

  const replyTo: ErrorReplier = createErrorReply(resolved, logger);
  const route = createRouter(resolved, authRoutes(rt), replyTo);
  // The IP lists come first: a deny-listed client costs no body read, parse or signature check.
  const screen = async (
    request: AuthRequest,
    peer: string | null | undefined,
  ): Promise<Reply | null> => {
    try {
      await enforceIpLists(rt, request, { ip: peer ?? null });
      return null;
    } catch (err) {
      try {
        return errorReply(err, request);
      } catch {
        return errorReply(err); // a request whose context cannot be made (malformed header)
      }
    }
  };
  // Without a deny rule to apply, the router directly: no IP parse and no extra turn.
  const screened = async (request: AuthRequest, context?: HandlerContext): Promise<Reply> =>
    (await screen(request, context?.ip)) ?? route(request, context);
  const handle = ipGate.active
    ? (request: AuthRequest, context?: HandlerContext): Promise<Reply> =>
        ipGate.quiet() ? route(request, context) : screened(request, context)
    : route;
  const errorReply = (error: unknown, request?: AuthRequest, options?: ErrorReplyOptions): Reply =>
    replyTo(
      error,
      request
        ? makeContext(resolved, request)
        : { https: false, requestId: newRequestId(resolved), origin: null },
      options,
    );
  const ctxFor = (context: (HandlerContext & { request?: Request }) | undefined) =>
    makeContext(resolved, fromWebRequest(context?.request ?? new Request(resolved.uri)), context);

  const auth: EvrmoreAuth<Claims> & { [INTERNALS]: AuthInternals } = {
    handler: async (request, context) => toResponse(await handle(fromWebRequest(request), context)),
    authenticate: (request, options = {}) => {
      // Without an IP check to make, no extra turn on this hot path (a throw still rejects).
      let gate: void | Promise<void>;
      try {
        gate = enforceIpLists(rt, request, options);
      } catch (err) {
        return Promise.reject(err as Error);
      }
      const identity =
        gate === undefined
          ? authenticateRequest(rt, request, options)
          : gate.then(() => authenticateRequest(rt, request, options));
      return identity as Promise<AuthIdentity<Claims>>;
    },
    getSession: async (request, options) => {
      // a deny-listed client IP (options.ip through trustedProxies): 403 ip_denied first
      const gate = enforceIpLists(rt, request, { ip: options?.ip ?? null });
      if (gate !== undefined) await gate;
      const { identity, setCookie } = await resolveCookieSession(rt, request, options);
      return { identity: identity as AuthIdentity<Claims> | null, setCookie };
    },
    errorResponse: (error, request) =>
      toResponse(
        errorReply(error, request ? fromWebRequest(request) : undefined, { bearer: 'credentials' }),
      ),
    basePath: resolved.basePath,
    config: resolved,
    ready: async () => {
      await keys();
    },
    jwks: async () => toJwks(await keys()),
    issueChallenge: (address, context) => issueChallenge(rt, { address, context: ctxFor(context) }),
    signIn: (message, signature, context) =>
      signIn(rt, { message, signature, context: ctxFor(context) }),
    refresh: (cookies, context) => refreshSession(rt, { ...cookies, context: ctxFor(context) }),
    revokeSession: (sessionId, reason = 'revoked') => revokeSessionHere(rt, sessionId, reason),
    revokeAllSessions: (address, reason = 'revoked') => revokeSessionsHere(rt, address, reason),
    isMfaEnabled: async (address) => (await rt.store.getMfa(address))?.enabled === true,
    reencryptMfaSecrets: (address) => reencryptMfaSecrets(rt, address),
    apiKeys: apiKeysFacade(rt),
    ipLists: ipGate.api,
    [INTERNALS]: { handle, errorReply, runtime: rt, screen },
  };
  return auth;
}
