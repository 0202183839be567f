// Next.js App Router adapter (`@evrmore-auth/server/next`): the `/auth/*` route handlers, `auth()`
// for server components, route handlers and server actions, and the proxy (middleware) that
// refreshes expired session cookies and guards paths. Built on the cookie-session mode
// (`sessionCookie: true`, `auth.getSession()`).
//
// `next/headers` and `next/server` are imported with their `.js` file names: the `next` package
// has no `exports` map, so without the extension they do not resolve under Node's ESM loader.
import { decodeJwt } from 'jose';
import { cookies, headers } from 'next/headers.js';
import { NextResponse, type NextRequest } from 'next/server.js';
import type { AuthIdentity } from '../authenticate.js';
import type { ExtraClaims } from '../config.js';
import type { CookieSession } from '../cookie-session.js';
import type { EvrmoreAuth } from '../create-auth.js';
import { authError } from '../errors.js';
import { readCookie } from '../http/cookies.js';
import { SAFE_METHODS } from '../http/csrf.js';
import { applySetCookie, parseSetCookie } from './next-cookies.js';

/**
 * Options of {@link evrmoreAuthNext}.
 *
 * @example
 * ```ts
 * const options: NextAuthOptions = {
 *   protect: { pages: ['/dashboard'], api: ['/api/notes'] },
 *   signInPath: '/signin',
 *   getIp: ({ headers }) => headers.get('x-real-ip'), // set by your reverse proxy
 * };
 * ```
 */
export interface NextAuthOptions {
  /**
   * The client IP of a request, for rate limits and audit events. Next hands route handlers no
   * TCP peer, and `next start` copies the peer into `x-forwarded-for` only when the request has
   * none, so that header is the client's to forge: read the address only from a header your
   * reverse proxy overwrites, or rather configure `trustedProxies` (`{ header: 'x-real-ip' }`)
   * on the auth, which then reads it itself.
   * @default none (`null`): production refuses auth requests without a client IP unless
   * `trustedProxies` supplies it
   */
  getIp?: (request: { headers: Headers }) => string | null | undefined;
  /**
   * Paths the {@link NextAuth.proxy} guards (a path matches a prefix when it equals it or
   * continues with `/`). A signed-out request to a `pages` path is redirected to `signInPath`
   * (with `?next=` the path it wanted); to an `api` path it gets a 401 problem+json.
   * @default { pages: [], api: [] }
   */
  protect?: {
    /** Page path prefixes: a signed-out request is redirected to `signInPath`. */
    pages?: string[];
    /** API path prefixes: a signed-out request gets 401 problem+json. */
    api?: string[];
  };
  /**
   * Where signed-out visitors of protected pages are sent (the proxy and {@link NextAuth.requireAuth}).
   * @default '/'
   */
  signInPath?: string;
}

/**
 * What {@link evrmoreAuthNext} returns.
 *
 * @example
 * ```ts
 * // lib/auth.ts
 * export const { handlers, auth, requireAuth, proxy } = evrmoreAuthNext(evrmore);
 * ```
 */
export interface NextAuth<Claims extends ExtraClaims = ExtraClaims> {
  /**
   * Route handlers for every auth route: `app/auth/[...path]/route.ts` exports them (the folder
   * is the auth's `basePath`).
   */
  handlers: {
    /** `GET /auth/*` (sessions, JWKS, session). */
    GET: (request: Request) => Promise<Response>;
    /** `POST /auth/*` (challenge, verify, refresh, logout, MFA). */
    POST: (request: Request) => Promise<Response>;
    /** `DELETE /auth/*` (revoke sessions). */
    DELETE: (request: Request) => Promise<Response>;
    /** `OPTIONS /auth/*` (CORS preflight). */
    OPTIONS: (request: Request) => Promise<Response>;
  };
  /**
   * The signed-in identity of the current request, or `null`: in server components, route
   * handlers and server actions (it reads `next/headers`). A request with a body (a server
   * action, a form post, a route handler's POST) is held to the CSRF rule (its `Origin` must be
   * allowed): a refused one throws `EvrmoreAuthError('csrf_rejected')` (403). In a server action
   * and in a route handler that passes its `Request` (whose method then decides), where Next lets
   * code set cookies, an expired session is refreshed (the new cookies set with `cookies().set`);
   * a server component cannot set cookies, so it never refreshes and relies on the
   * {@link NextAuth.proxy}, which refreshes before the page renders.
   */
  auth(request?: Request): Promise<AuthIdentity<Claims> | null>;
  /**
   * {@link NextAuth.auth} for pages that need a session: the identity, or a redirect (Next's
   * `redirect()`) to `signInPath` with `?next=`.
   */
  requireAuth(next?: string): Promise<AuthIdentity<Claims>>;
  /**
   * The proxy (Next 16's `proxy.ts`; `middleware.ts` before): refreshes an expired session cookie
   * server-side (the new cookies go to the browser and into this request, so the server
   * components of the same request see the new session), refuses cross-site unsafe requests that
   * carry the session cookie (403), and guards the `protect` paths.
   */
  proxy(request: NextRequest): Promise<Response>;
}

/** Seconds before its `exp` a session cookie counts as expired in the proxy (clock skew, latency). */
const EXPIRY_MARGIN_S = 5;

function matches(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
}

function checkPaths(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' || !p.startsWith('/')))
    throw new TypeError(`evrmoreAuthNext: ${name} must be an array of paths starting with /`);
  return value as string[];
}

/** Whether a JWT's `exp` is still `EXPIRY_MARGIN_S` ahead (decoded only, never trusted). */
function unexpired(token: string, nowS: number): boolean {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && exp - EXPIRY_MARGIN_S > nowS;
  } catch {
    return false;
  }
}

/**
 * Wires an auth instance (created with `sessionCookie: true`) into a Next.js App Router app.
 * Create the auth once per process (a `globalThis` singleton: Next may load a module once per
 * route bundle and once for the proxy, and the memory store and generated keys must be shared).
 *
 * @example
 * ```ts
 * // lib/auth.ts
 * import { createEvrmoreAuth } from '@evrmore-auth/server';
 * import { evrmoreAuthNext } from '@evrmore-auth/server/next';
 *
 * const g = globalThis as { evrmoreAuth?: ReturnType<typeof createEvrmoreAuth> };
 * g.evrmoreAuth ??= createEvrmoreAuth({ domain: 'app.example.com', sessionCookie: true, keys });
 * export const { handlers, auth, requireAuth, proxy } = evrmoreAuthNext(g.evrmoreAuth, {
 *   protect: { pages: ['/dashboard'], api: ['/api'] },
 *   signInPath: '/signin',
 * });
 *
 * // app/auth/[...path]/route.ts
 * export const { GET, POST, DELETE, OPTIONS } = handlers;
 *
 * // proxy.ts (middleware.ts before Next 16)
 * export { proxy } from './lib/auth';
 * export const config = { matcher: ['/((?!_next/|favicon.ico).*)'] };
 *
 * // app/page.tsx (a server component)
 * const user = await auth();
 * return <p>{user ? `Signed in as ${user.address}` : 'Signed out'}</p>;
 * ```
 */
export function evrmoreAuthNext<Claims extends ExtraClaims = ExtraClaims>(
  auth: EvrmoreAuth<Claims>,
  options: NextAuthOptions = {},
): NextAuth<Claims> {
  if (!auth || typeof auth.handler !== 'function')
    throw new TypeError('evrmoreAuthNext: pass the object createEvrmoreAuth returned');
  if (auth.config.sessionCookie === null)
    throw new TypeError(
      'evrmoreAuthNext: create the auth with sessionCookie: true (cookie sessions)',
    );
  if (options.getIp !== undefined && typeof options.getIp !== 'function')
    throw new TypeError('evrmoreAuthNext: getIp must be a function');
  const getIp = (request: { headers: Headers }): string | null => options.getIp?.(request) ?? null;
  const protectedPages = checkPaths(options.protect?.pages, 'protect.pages');
  const protectedApi = checkPaths(options.protect?.api, 'protect.api');
  const signInPath = options.signInPath ?? '/';
  if (typeof signInPath !== 'string' || !signInPath.startsWith('/'))
    throw new TypeError('evrmoreAuthNext: signInPath must be a path starting with /');
  const base = auth.basePath;
  const refreshName = auth.config.cookies.refreshName;
  const sessionName = auth.config.sessionCookie.name;

  const route = (request: Request): Promise<Response> =>
    auth.handler(request, { ip: getIp(request) });

  const signInUrl = (next: string): string =>
    next === signInPath ? signInPath : `${signInPath}?next=${encodeURIComponent(next)}`;

  async function currentIdentity(request?: Request): Promise<AuthIdentity<Claims> | null> {
    const h = request?.headers ?? (await headers());
    // A server action (`next-action`), a form post or a route handler's POST: a request with a
    // body, so unsafe (CSRF rule).
    const unsafe = request
      ? !SAFE_METHODS.has(request.method.toUpperCase())
      : h.get('next-action') !== null || h.get('content-type') !== null;
    const session = await auth.getSession(
      { headers: h, method: unsafe ? 'POST' : 'GET', ...(request ? { url: request.url } : {}) },
      // Refresh only where cookies can be set: a route handler (it passes its request) or an
      // action. A server component cannot set them, and a refresh whose new refresh cookie never
      // reaches the browser would end the session at its next use (reuse detection).
      { refresh: unsafe || request !== undefined, ip: getIp({ headers: h }) },
    );
    if (session.setCookie.length > 0) {
      const jar = await cookies();
      for (const value of session.setCookie) jar.set(parseSetCookie(value));
    }
    return session.identity;
  }

  async function proxy(request: NextRequest): Promise<Response> {
    const path = request.nextUrl.pathname;
    if (path === base || path.startsWith(`${base}/`)) return NextResponse.next();
    const cookieHeader = request.headers.get('cookie');
    const sessionToken = readCookie(request, sessionName);
    const refreshToken = readCookie(request, refreshName);
    const isPage = matches(path, protectedPages);
    const isApi = matches(path, protectedApi);
    const unsafe = !SAFE_METHODS.has(request.method.toUpperCase());
    // Fast path: nothing to refresh, nothing guarded, nothing to check (a page's auth() verifies).
    const fresh = sessionToken !== null && unexpired(sessionToken, auth.config.now() / 1000);
    if (!isPage && !isApi && !unsafe && (fresh || refreshToken === null))
      return NextResponse.next();
    if (!isPage && !isApi && sessionToken === null && refreshToken === null)
      return NextResponse.next();

    let session: CookieSession<Claims>;
    try {
      session = await auth.getSession(request, { ip: getIp(request) });
    } catch (err) {
      return auth.errorResponse(err, request);
    }
    const forward = (response: Response): Response => {
      for (const value of session.setCookie) response.headers.append('set-cookie', value);
      return response;
    };
    if (session.identity === null && (isPage || isApi)) {
      if (isApi)
        return forward(
          auth.errorResponse(authError('token_missing', { detail: 'sign in first' }), request),
        );
      // Against the Host the browser sent: request.url names the host Next binds to (e.g.
      // localhost), which may not be the one the browser used, and the cookies belong to that one.
      const host = request.headers.get('host');
      const origin = host ? `${request.nextUrl.protocol}//${host}` : request.url;
      const target = new URL(signInUrl(path + request.nextUrl.search), origin);
      return forward(NextResponse.redirect(target, 307));
    }
    if (session.setCookie.length === 0) return NextResponse.next();
    const requestHeaders = new Headers(request.headers);
    const cookie = applySetCookie(cookieHeader, session.setCookie);
    if (cookie) requestHeaders.set('cookie', cookie);
    else requestHeaders.delete('cookie');
    return forward(NextResponse.next({ request: { headers: requestHeaders } }));
  }

  return {
    handlers: { GET: route, POST: route, DELETE: route, OPTIONS: route },
    auth: currentIdentity,
    async requireAuth(next) {
      const identity = await currentIdentity();
      if (identity !== null) return identity;
      // Imported here: `next/navigation` only resolves through Next's bundler (its `.js` file
      // name is not aliased to the server build), while this module must also load under Node.
      const { redirect } = await import('next/navigation');
      return redirect(signInUrl(next ?? signInPath));
    },
    proxy,
  };
}
