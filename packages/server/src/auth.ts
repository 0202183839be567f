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
  clientIp,
  finishHeaders,
  json,
  problemResponse,
  readCookie,
  readJsonBody,
  type RequestContext,
} from './http.js';
import { generateEphemeralKeys, loadKeys, toJwks, type LoadedKey } from './keys.js';
import { createRateLimits } from './rate-limit.js';
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
  /** The TCP peer's address (the client, or the nearest proxy). */
  ip?: string | null;
}

/**
 * The object {@link createEvrmoreAuth} returns.
 *
 * @example
 * ```ts
 * const auth = createEvrmoreAuth({ domain: 'example.com', keys });
 * export default { fetch: (req: Request) => auth.handler(req) };
 * ```
 */
export interface EvrmoreAuth {
  /** Every route under `basePath`; other paths under it → 404 problem. */
  handler(request: Request, context?: HandlerContext): Promise<Response>;
  /** Verify bearer + fingerprint cookie + session liveness (+ permissions). */
  authenticate(request: Request, options?: AuthenticateOptions): Promise<AuthIdentity>;
  /** problem+json Response (with security headers) for any thrown error; unknown errors → 500. */
  errorResponse(error: unknown, request?: Request): Response;
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
  /** Lower level: rotate a refresh token (body of `/refresh` + cookie). */
  refresh(
    refreshToken: string | null,
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

function makeContext(
  rt: AuthRuntime,
  request: Request,
  handlerContext: HandlerContext = {},
): RequestContext {
  const incoming = request.headers.get('x-request-id');
  const requestId =
    incoming !== null && REQUEST_ID.test(incoming)
      ? incoming
      : randomToken(rt.config.randomBytes, 12);
  const origin = request.headers.get('origin');
  const ua = request.headers.get('user-agent');
  let https: boolean;
  try {
    https = new URL(request.url).protocol === 'https:';
  } catch {
    https = false;
  }
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
  methods: Record<string, (ctx: RequestContext, params: string[]) => Promise<Response>>;
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
 * Bun.serve({ fetch: (req) => auth.handler(req) });
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
  const rateLimits = createRateLimits(store, config.rateLimits);

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

  function errorResponse(error: unknown, request?: Request, ctx?: RequestContext): Response {
    const context =
      ctx ??
      (request
        ? makeContext(rt, request)
        : { https: false, requestId: randomToken(resolved.randomBytes, 12), origin: null });
    const headers = new Headers();
    finishHeaders(headers, context);
    let err: EvrmoreAuthError;
    if (error instanceof EvrmoreAuthError) {
      err = error;
      if (err.code === 'unavailable') logError(logger, err.cause ?? err, context);
    } else if ((error as StoreUnavailableError | undefined)?.name === 'StoreUnavailableError') {
      logError(logger, error, context);
      err = new EvrmoreAuthError('unavailable');
    } else {
      logError(logger, error, context);
      headers.set('content-type', 'application/problem+json');
      return new Response(
        JSON.stringify({
          type: 'about:blank',
          title: 'Internal server error',
          status: 500,
          code: 'internal_error',
        }),
        { status: 500, headers },
      );
    }
    return problemResponse(err, headers);
  }

  function respond(
    ctx: RequestContext,
    status: number,
    body: unknown,
    cookies: string[] = [],
  ): Response {
    const headers = new Headers();
    finishHeaders(headers, ctx);
    for (const c of cookies) headers.append('set-cookie', c);
    if (body === null) return new Response(null, { status, headers });
    return json(status, body, headers);
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
                context: ctx,
              });
              return respond(ctx, 200, result.tokens, result.setCookies);
            } catch (err) {
              if (
                err instanceof EvrmoreAuthError &&
                (err.code === 'refresh_invalid' || err.code === 'refresh_reused')
              ) {
                const headers = new Headers();
                finishHeaders(headers, ctx);
                for (const c of clearCookies(rt)) headers.append('set-cookie', c);
                return problemResponse(err, headers);
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
            const res = respond(ctx, 200, toJwks(await rt.keys()));
            res.headers.set('content-type', 'application/jwk-set+json');
            res.headers.set('cache-control', 'no-store');
            return res;
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

  async function handler(request: Request, handlerContext?: HandlerContext): Promise<Response> {
    let ctx: RequestContext | undefined;
    try {
      ctx = makeContext(rt, request, handlerContext);
      const path = new URL(request.url).pathname;
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
          const res = errorResponse(new EvrmoreAuthError('method_not_allowed'), request, ctx);
          res.headers.set('allow', [...allowed, 'OPTIONS'].join(', '));
          return res;
        }
        return await fn(ctx, m.slice(1));
      }
      throw new EvrmoreAuthError('not_found');
    } catch (err) {
      return errorResponse(err, request, ctx);
    }
  }

  function preflight(ctx: RequestContext, allowed: string[]): Response {
    const origin = ctx.request.headers.get('origin');
    if (origin !== null && ctx.origin === null) throw new EvrmoreAuthError('origin_forbidden');
    const headers = new Headers();
    finishHeaders(headers, ctx);
    headers.set('allow', [...allowed, 'OPTIONS'].join(', '));
    if (ctx.origin !== null) {
      headers.set('access-control-allow-methods', [...allowed, 'OPTIONS'].join(', '));
      headers.set(
        'access-control-allow-headers',
        'authorization, content-type, x-requested-with, x-request-id',
      );
      headers.set('access-control-max-age', '600');
    }
    return new Response(null, { status: 204, headers });
  }

  const ctxFor = (context: (HandlerContext & { request?: Request }) | undefined): RequestContext =>
    makeContext(rt, context?.request ?? new Request(resolved.uri), context);

  return {
    handler,
    authenticate: (request, options) => authenticateRequest(rt, request, options),
    errorResponse: (error, request) => errorResponse(error, request),
    basePath: resolved.basePath,
    config: resolved,
    ready: async () => {
      await keysPromise;
    },
    jwks: async () => toJwks(await keysPromise),
    issueChallenge: (address, context) => issueChallenge(rt, { address, context: ctxFor(context) }),
    verifySignIn: (message, signature, context) =>
      signIn(rt, { message, signature, context: ctxFor(context) }),
    refresh: (refreshToken, context) =>
      refreshSession(rt, { refreshToken, context: ctxFor(context) }),
    revokeSession: (sessionId, reason = 'revoked') =>
      rt.store.revokeSession(sessionId, resolved.now(), reason),
    revokeAllSessions: (address, reason = 'revoked') =>
      rt.store.revokeSessions(address, resolved.now(), reason),
    runtime: rt,
  };
}
