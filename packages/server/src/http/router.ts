// The route table and dispatch: base path, method lookup (405 with Allow), CORS preflight, and
// every thrown error through the one error reply.
import type { ResolvedConfig } from '../config.js';
import { authError } from '../errors.js';
import type { ErrorReplier } from './error-reply.js';
import { baseHeaders, type Reply } from './reply.js';
import { makeContext, newRequestId, pathOf, type HandlerContext } from './request-context.js';
import type { AuthRequest, RequestContext } from './request.js';

/** A route handler; `params` are the pattern's capture groups. */
export type RouteHandler = (ctx: RequestContext, params: string[]) => Promise<Reply>;

/** One entry of the route table (paths relative to the base path). */
export interface Route {
  pattern: RegExp;
  methods: Record<string, RouteHandler>;
  /** Bearer-protected: its 401/403 (and 400) replies carry `WWW-Authenticate` (RFC 6750). */
  bearer?: boolean;
}

/** Serve `request` from `routes` under `config.basePath`; never rejects. */
export function createRouter(
  config: ResolvedConfig,
  routes: Route[],
  errorReply: ErrorReplier,
): (request: AuthRequest, handlerContext?: HandlerContext) => Promise<Reply> {
  const base = config.basePath;
  return async (request, handlerContext) => {
    let ctx: RequestContext | undefined;
    let route: Route | undefined;
    try {
      ctx = makeContext(config, request, handlerContext);
      const path = pathOf(request.url);
      if (path !== base && !path.startsWith(`${base}/`)) throw authError('not_found');
      const sub = path.slice(base.length);
      for (const candidate of routes) {
        const m = candidate.pattern.exec(sub);
        if (!m) continue;
        route = candidate;
        const allowed = Object.keys(candidate.methods);
        if (request.method === 'OPTIONS') return preflight(ctx, allowed);
        const fn = candidate.methods[request.method];
        if (!fn) {
          const reply = errorReply(authError('method_not_allowed'), ctx);
          reply.headers.allow = [...allowed, 'OPTIONS'].join(', ');
          return reply;
        }
        return await fn(ctx, m.slice(1));
      }
      throw authError('not_found');
    } catch (err) {
      return errorReply(err, ctx ?? safeContext(config, request), {
        bearer: route?.bearer === true ? 'route' : undefined,
      });
    }
  };
}

/** The context of a request whose own context could not be made (a malformed header). */
function safeContext(
  config: ResolvedConfig,
  request: AuthRequest,
): Pick<RequestContext, 'https' | 'requestId' | 'origin'> {
  try {
    return makeContext(config, request);
  } catch {
    return { https: false, requestId: newRequestId(config), origin: null };
  }
}

/** CORS preflight: 204 with Allow, and the CORS grants for an allowed origin; another origin → 403. */
function preflight(ctx: RequestContext, allowed: string[]): Reply {
  const origin = ctx.request.headers.get('origin');
  if (origin !== null && ctx.origin === null) throw authError('origin_forbidden');
  const headers = baseHeaders(ctx);
  headers.allow = [...allowed, 'OPTIONS'].join(', ');
  if (ctx.origin !== null) {
    headers['access-control-allow-methods'] = [...allowed, 'OPTIONS'].join(', ');
    headers['access-control-allow-headers'] =
      'authorization, content-type, dpop, x-requested-with, x-request-id';
    headers['access-control-max-age'] = '600';
  }
  return { status: 204, headers, cookies: [], body: null };
}
