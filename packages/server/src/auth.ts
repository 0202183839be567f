// createEvrmoreAuth: validated configuration, the fetch handler and the lower-level functions.
import { EvrmoreAuthError, parseSignInMessage, type ChallengeResponse } from '@evrmore-auth/core';
import type { JSONWebKeySet } from 'jose';
import {
  authenticateRequest,
  type AuthenticateOptions,
  type AuthIdentity,
} from './authenticate.js';
import { issueChallenge } from './challenge.js';
import { resolveConfig, type EvrmoreAuthConfig, type ResolvedConfig } from './config.js';
import { randomToken } from './crypto.js';
import { createEventSink, type PinoLikeLogger } from './events.js';
import {
  baseHeaders,
  fromWebRequest,
  jsonReply,
  problemReply,
  readCookie,
  readJsonBody,
  toResponse,
  type AuthRequest,
  type HeaderReader,
  type Reply,
  type RequestContext,
} from './http.js';
import { generateEphemeralKeys, loadKeys, toJwks, type LoadedKey } from './keys.js';
import { ClientIpUnknownError, createRateLimits } from './rate-limit.js';
import { clientIp, requestIsHttps } from './proxy.js';
import { refreshSession, type RefreshResult } from './refresh-rotation.js';
import { clearCookies, eventBase, guardStore, type AuthRuntime } from './runtime.js';
import { ChallengeBodySchema, EmptyBodySchema, VerifyBodySchema, parseBody } from './schemas.js';
import { getCurrentSession, listSessions, revokeOtherSessions, revokeSession } from './sessions.js';
import { signIn, type SignInResult } from './sign-in.js';
import type { StoreUnavailableError } from './store.js';
import { createMemoryStore } from './stores/memory.js';
import { installMfa } from './mfa/config.js';
import type { MfaPendingResult } from './mfa/mfa-token.js';
import { mfaRoutes } from './mfa/routes.js';
import { installPerformanceCaches } from './token-cache.js';

/**
 * Per-request facts a fetch `Request` cannot carry; adapters pass the peer address here.
 *
 * @example
 * ```ts
 * auth.handler(request, { ip: req.socket.remoteAddress });
 * ```
 */
export interface HandlerContext {
  /**
   * The TCP peer's address (the client, or the nearest proxy). Rate limits are keyed by the
   * client IP: without it (and without `trustedProxies` naming a header), production refuses
   * rate-limited routes.
   */
  ip?: string | null;
}

/**
 * The object {@link createEvrmoreAuth} returns.
 *
 * @example
 * ```ts
 * const auth = createEvrmoreAuth({ domain: 'example.com', keys });
 * Deno.serve((req, info) => auth.handler(req, { ip: info.remoteAddr.hostname }));
 * ```
 */
export interface EvrmoreAuth {
  /** Every route under `basePath`; other paths under it → 404 problem. */
  handler(request: Request, context?: HandlerContext): Promise<Response>;
  /** Verify bearer + fingerprint cookie + session liveness (+ permissions). Reads only the
   *  `authorization` and `cookie` headers: a fetch `Request`, or `{ headers }` with a `get`. */
  authenticate(
    request: { headers: HeaderReader },
    options?: AuthenticateOptions,
  ): Promise<AuthIdentity>;
  /** problem+json Response (with security headers) for any thrown error; unknown errors → 500. */
  errorResponse(error: unknown, request?: Request): Response;
  /** The handler over an {@link AuthRequest} (what the Node adapters call, skipping the fetch
   *  `Request`/`Response` objects); `handler` is this plus the conversions. */
  handle(request: AuthRequest, context?: HandlerContext): Promise<Reply>;
  /** {@link EvrmoreAuth.errorResponse} as a {@link Reply}. */
  errorReply(error: unknown, request?: AuthRequest): Reply;
  readonly basePath: string;
  readonly config: ResolvedConfig;
  /** Resolves once the keys are imported; rejects with a TypeError when a key cannot be imported. */
  ready(): Promise<void>;
  /** The JWKS document (public parts only). */
  jwks(): Promise<JSONWebKeySet>;
  /** Lower level: issue a challenge (the 201 body of `/challenge`). */
  issueChallenge(
    address: string,
    context?: HandlerContext & { request?: Request },
  ): Promise<ChallengeResponse>;
  /** Lower level: verify a signed challenge and create the session (body of `/verify` + cookies),
   *  or, for an address enrolled in MFA, the `{ mfaRequired }` body. */
  verifySignIn(
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
  /** The runtime the routes share, for wiring custom routes. */
  readonly runtime: AuthRuntime;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The path of an absolute URL (`new URL(url).pathname`, without building a URL for the usual
 *  `scheme://host/path?query` form). */
function pathOf(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*(\/[^?#]*)?/i.exec(url);
  if (m && (m[1] === undefined || !/[%\\]|\/\.{1,2}(?:\/|$)/.test(m[1]))) return m[1] ?? '/';
  try {
    return new URL(url).pathname;
  } catch {
    return '/';
  }
}

function makeContext(
  rt: AuthRuntime,
  request: AuthRequest,
  handlerContext: HandlerContext = {},
): RequestContext {
  const incoming = request.headers.get('x-request-id');
  const requestId =
    incoming !== null && REQUEST_ID.test(incoming)
      ? incoming
      : randomToken(rt.config.randomBytes, 12);
  const origin = request.headers.get('origin');
  const ua = request.headers.get('user-agent');
  const { hsts, trustedProxies } = rt.config;
  const https =
    hsts === 'always' ||
    (hsts === 'auto' && requestIsHttps(request, handlerContext.ip, trustedProxies));
  return {
    request,
    requestId,
    ip: clientIp(request, handlerContext.ip, rt.config.trustedProxies),
    userAgent: ua === null ? null : ua.slice(0, 512),
    https,
    origin: origin !== null && rt.config.allowedOrigins.includes(origin) ? origin : null,
  };
}

function logError(
  logger: PinoLikeLogger | undefined,
  err: unknown,
  ctx: { requestId?: string },
): void {
  const e =
    err instanceof Error
      ? { name: err.name, message: err.message, stack: err.stack }
      : { value: String(err) };
  if (logger) logger.error({ err: e, requestId: ctx.requestId }, 'evrmore-auth: internal error');
  else console.error('evrmore-auth: internal error', ctx.requestId ?? '', err);
}

type Route = {
  methods: Record<string, (ctx: RequestContext, params: string[]) => Promise<Reply>>;
};

/**
 * Create the auth service: validates `config` (TypeError with the exact problem), loads keys
 * (in development without keys: ephemeral EdDSA keys and a loud warning).
 *
 * @example
 * ```ts
 * import { createEvrmoreAuth } from '@evrmore-auth/server';
 * const auth = createEvrmoreAuth({
 *   domain: 'example.com',
 *   keys: [{ kid: '2026-01', privateKey: process.env.AUTH_KEY_PEM! }],
 *   onSignIn: async (address) => ({ roles: await rolesOf(address) }),
 * });
 * Bun.serve({ fetch: (req, server) => auth.handler(req, { ip: server.requestIP(req)?.address }) });
 * ```
 */
export function createEvrmoreAuth(config: EvrmoreAuthConfig): EvrmoreAuth {
  const resolved = resolveConfig(config);
  const logger = config.logger;
  const rawStore = config.store ?? createMemoryStore({ now: resolved.now });
  const store = guardStore(rawStore);
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

  let keysPromise: Promise<LoadedKey[]>;
  if (resolved.keys) keysPromise = loadKeys(resolved.keys);
  else {
    const warning =
      'evrmore-auth: NO SIGNING KEYS CONFIGURED. Using EPHEMERAL EdDSA keys: every token dies on restart and ' +
      'instances cannot verify each other. Configure `keys` before production (production refuses to start without them).';
    if (logger) logger.warn({}, warning);
    else console.warn(`\n*** ${warning} ***\n`);
    keysPromise = generateEphemeralKeys(`ephemeral-${randomToken(resolved.randomBytes, 6)}`);
  }
  keysPromise.catch(() => undefined);

  const rt: AuthRuntime = {
    config: resolved,
    store,
    events,
    rateLimits,
    keys: () => keysPromise,
    onSignIn: config.onSignIn,
    logger,
  };
  installMfa(rt, config.mfa);
  installPerformanceCaches(rt, {
    tokenCache: config.tokenCache,
    sessionCheck: config.sessionCheck,
  });

  let lastIpUnknownLog = -Infinity;
  function errorReply(error: unknown, request?: AuthRequest, ctx?: RequestContext): Reply {
    const context =
      ctx ??
      (request
        ? makeContext(rt, request)
        : { https: false, requestId: randomToken(resolved.randomBytes, 12), origin: null });
    const headers = baseHeaders(context);
    let err: EvrmoreAuthError;
    if (error instanceof EvrmoreAuthError) {
      err = error;
      if (err.code === 'unavailable') logError(logger, err.cause ?? err, context);
    } else if ((error as StoreUnavailableError | undefined)?.name === 'StoreUnavailableError') {
      logError(logger, error, context);
      err = new EvrmoreAuthError('unavailable');
    } else {
      // A missing client IP is the deployment's error, not the client's: its message says how to
      // fix it; logged at most once a minute (every request of such a deployment has it).
      const t = resolved.now();
      if (!(error instanceof ClientIpUnknownError) || t - lastIpUnknownLog >= 60_000) {
        if (error instanceof ClientIpUnknownError) lastIpUnknownLog = t;
        logError(logger, error, context);
      }
      headers['content-type'] = 'application/problem+json';
      return {
        status: 500,
        headers,
        cookies: [],
        body: JSON.stringify({
          type: 'about:blank',
          title: 'Internal server error',
          status: 500,
          code: 'internal_error',
        }),
      };
    }
    return problemReply(err, headers);
  }

  function respond(
    ctx: RequestContext,
    status: number,
    body: unknown,
    cookies: string[] = [],
  ): Reply {
    const headers = baseHeaders(ctx);
    if (body === null) return { status, headers, cookies, body: null };
    return jsonReply(status, body, headers, cookies);
  }

  const failSignIn = (ctx: RequestContext, err: unknown, message: unknown): never => {
    if (err instanceof EvrmoreAuthError) {
      // The claimed address (for per-address anomaly detection), when the message parses.
      let address: string | undefined;
      try {
        if (typeof message === 'string') address = parseSignInMessage(message).address;
      } catch {
        address = undefined;
      }
      const base = {
        ...eventBase(ctx),
        ...(address === undefined ? {} : { address }),
        code: err.code,
      };
      if (err.code === 'rate_limited')
        rt.events.emit({ type: 'rate_limited', ...base, detail: { route: 'verify' } });
      else rt.events.emit({ type: 'signin.failed', ...base });
    }
    throw err;
  };
  const rateLimited = (ctx: RequestContext, route: string, err: unknown): never => {
    if (err instanceof EvrmoreAuthError && err.code === 'rate_limited')
      rt.events.emit({
        type: 'rate_limited',
        ...eventBase(ctx),
        code: err.code,
        detail: { route },
      });
    throw err;
  };

  const routes: Array<{ pattern: RegExp; route: Route }> = [
    {
      pattern: /^\/challenge$/,
      route: {
        methods: {
          POST: async (ctx) => {
            const { address } = parseBody(
              ChallengeBodySchema,
              await readJsonBody(ctx.request, { allowEmpty: false }),
            );
            const body = await issueChallenge(rt, { address, context: ctx }).catch((e: unknown) =>
              rateLimited(ctx, 'challenge', e),
            );
            return respond(ctx, 201, body);
          },
        },
      },
    },
    {
      pattern: /^\/verify$/,
      route: {
        methods: {
          POST: async (ctx) => {
            let submitted: unknown;
            try {
              const { message, signature } = parseBody(
                VerifyBodySchema,
                await readJsonBody(ctx.request, { allowEmpty: false }),
              );
              submitted = message;
              const result = await signIn(rt, { message, signature, context: ctx });
              const body = 'mfaRequired' in result ? result.mfaRequired : result.tokens;
              return respond(ctx, 200, body, result.setCookies);
            } catch (err) {
              return failSignIn(ctx, err, submitted);
            }
          },
        },
      },
    },
    {
      pattern: /^\/refresh$/,
      route: {
        methods: {
          POST: async (ctx) => {
            checkCookieCallOrigin(ctx);
            parseBody(EmptyBodySchema, await readJsonBody(ctx.request, { allowEmpty: true }));
            try {
              const result = await refreshSession(rt, {
                refreshToken: readCookie(ctx.request, resolved.cookies.refreshName),
                fingerprint: readCookie(ctx.request, resolved.cookies.fingerprintName),
                context: ctx,
              });
              return respond(ctx, 200, result.tokens, result.setCookies);
            } catch (err) {
              if (
                err instanceof EvrmoreAuthError &&
                (err.code === 'refresh_invalid' ||
                  err.code === 'refresh_reused' ||
                  err.code === 'fingerprint_mismatch')
              ) {
                return problemReply(err, baseHeaders(ctx), clearCookies(rt));
              }
              return rateLimited(ctx, 'refresh', err);
            }
          },
        },
      },
    },
    {
      pattern: /^\/logout$/,
      route: {
        methods: {
          POST: async (ctx) => {
            const identity = await authenticateRequest(rt, ctx.request);
            parseBody(EmptyBodySchema, await readJsonBody(ctx.request, { allowEmpty: true }));
            await revokeSession(rt, identity, identity.sessionId, ctx, 'logout').catch(
              (e: unknown) => {
                if (!(e instanceof EvrmoreAuthError && e.code === 'not_found')) throw e;
              },
            );
            return respond(ctx, 204, null, clearCookies(rt));
          },
        },
      },
    },
    {
      pattern: /^\/session$/,
      route: {
        methods: {
          GET: async (ctx) =>
            respond(
              ctx,
              200,
              await getCurrentSession(rt, await authenticateRequest(rt, ctx.request)),
            ),
        },
      },
    },
    {
      pattern: /^\/sessions$/,
      route: {
        methods: {
          GET: async (ctx) =>
            respond(ctx, 200, await listSessions(rt, await authenticateRequest(rt, ctx.request))),
          DELETE: async (ctx) => {
            const identity = await authenticateRequest(rt, ctx.request);
            const scope = new URL(ctx.request.url).searchParams.getAll('scope');
            if (scope.length !== 1 || scope[0] !== 'others')
              throw new EvrmoreAuthError('invalid_request', {
                detail: 'DELETE /sessions needs ?scope=others',
              });
            await revokeOtherSessions(rt, identity, ctx);
            return respond(ctx, 204, null);
          },
        },
      },
    },
    {
      pattern: /^\/sessions\/([A-Za-z0-9_-]{1,64})$/,
      route: {
        methods: {
          DELETE: async (ctx, [id]) => {
            const identity = await authenticateRequest(rt, ctx.request);
            await revokeSession(rt, identity, id!, ctx);
            return respond(ctx, 204, null);
          },
        },
      },
    },
    {
      pattern: /^\/jwks\.json$/,
      route: {
        methods: {
          GET: async (ctx) => {
            const reply = respond(ctx, 200, toJwks(await rt.keys()));
            reply.headers['content-type'] = 'application/jwk-set+json';
            reply.headers['cache-control'] = 'no-store';
            return reply;
          },
        },
      },
    },
    ...mfaRoutes(rt, respond),
  ];

  function checkCookieCallOrigin(ctx: RequestContext): void {
    const origin = ctx.request.headers.get('origin');
    if (origin !== null) {
      if (!resolved.allowedOrigins.includes(origin)) throw new EvrmoreAuthError('origin_forbidden');
      return;
    }
    if (ctx.request.headers.get('x-requested-with') !== 'evrmore-auth')
      throw new EvrmoreAuthError('origin_forbidden');
  }

  async function handle(request: AuthRequest, handlerContext?: HandlerContext): Promise<Reply> {
    let ctx: RequestContext | undefined;
    try {
      ctx = makeContext(rt, request, handlerContext);
      const path = pathOf(request.url);
      const base = resolved.basePath;
      if (path !== base && !path.startsWith(`${base}/`)) throw new EvrmoreAuthError('not_found');
      const sub = path.slice(base.length);
      for (const { pattern, route } of routes) {
        const m = pattern.exec(sub);
        if (!m) continue;
        const allowed = Object.keys(route.methods);
        if (request.method === 'OPTIONS') return preflight(ctx, allowed);
        const fn = route.methods[request.method];
        if (!fn) {
          const reply = errorReply(new EvrmoreAuthError('method_not_allowed'), request, ctx);
          reply.headers.allow = [...allowed, 'OPTIONS'].join(', ');
          return reply;
        }
        return await fn(ctx, m.slice(1));
      }
      throw new EvrmoreAuthError('not_found');
    } catch (err) {
      return errorReply(err, request, ctx);
    }
  }

  function preflight(ctx: RequestContext, allowed: string[]): Reply {
    const origin = ctx.request.headers.get('origin');
    if (origin !== null && ctx.origin === null) throw new EvrmoreAuthError('origin_forbidden');
    const headers = baseHeaders(ctx);
    headers.allow = [...allowed, 'OPTIONS'].join(', ');
    if (ctx.origin !== null) {
      headers['access-control-allow-methods'] = [...allowed, 'OPTIONS'].join(', ');
      headers['access-control-allow-headers'] =
        'authorization, content-type, x-requested-with, x-request-id';
      headers['access-control-max-age'] = '600';
    }
    return { status: 204, headers, cookies: [], body: null };
  }

  const ctxFor = (context: (HandlerContext & { request?: Request }) | undefined): RequestContext =>
    makeContext(rt, fromWebRequest(context?.request ?? new Request(resolved.uri)), context);

  return {
    handler: async (request, context) => toResponse(await handle(fromWebRequest(request), context)),
    handle,
    authenticate: (request, options) => authenticateRequest(rt, request, options),
    errorResponse: (error, request) =>
      toResponse(errorReply(error, request ? fromWebRequest(request) : undefined)),
    errorReply: (error, request) => errorReply(error, request),
    basePath: resolved.basePath,
    config: resolved,
    ready: async () => {
      await keysPromise;
    },
    jwks: async () => toJwks(await keysPromise),
    issueChallenge: (address, context) => issueChallenge(rt, { address, context: ctxFor(context) }),
    verifySignIn: (message, signature, context) =>
      signIn(rt, { message, signature, context: ctxFor(context) }),
    refresh: (cookies, context) => refreshSession(rt, { ...cookies, context: ctxFor(context) }),
    revokeSession: (sessionId, reason = 'revoked') =>
      rt.store.revokeSession(sessionId, resolved.now(), reason),
    revokeAllSessions: (address, reason = 'revoked') =>
      rt.store.revokeSessions(address, resolved.now(), reason),
    runtime: rt,
  };
}
