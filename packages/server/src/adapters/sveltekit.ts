// SvelteKit adapter (`@evrmore-auth/server/sveltekit`): one `handle` hook that serves the auth
// routes, reads the cookie session (refreshing it server-side), puts the identity on
// `event.locals.auth` and guards configured paths. Types only from @sveltejs/kit: nothing of kit is
// loaded at run time (a redirect is a plain 303 Response, which kit turns into its JSON redirect
// for `__data.json` requests).
import type { Handle, RequestEvent } from '@sveltejs/kit';
import * as v from 'valibot';
import type { AuthIdentity } from '../authenticate.js';
import type { ExtraClaims } from '../config.js';
import { resolveCookieSession } from '../cookie-session.js';
import { options as objectOptions, parseOptions } from '../config/validate.js';
import { internalsOf, type EvrmoreAuth } from '../create-auth.js';
import { authError } from '../errors.js';
import { toResponse } from '../http/reply.js';
import { fromWebRequest } from '../http/request.js';
import { readCookie } from '../http/cookies.js';

/**
 * Which paths need a signed-in user: path prefixes (`'/account'` guards `/account` and everything
 * under `/account/`), regular expressions tested against the path, or a function of the event.
 *
 * @example
 * ```ts
 * const protect: ProtectedPaths = ['/account', /^\/admin(\/|$)/];
 * ```
 */
export type ProtectedPaths = ReadonlyArray<string | RegExp> | ((event: RequestEvent) => boolean);

/**
 * Options of {@link evrmoreAuthHandle}.
 *
 * @example
 * ```ts
 * const options: SvelteKitAuthOptions = { protect: ['/account'], signInPath: '/signin' };
 * ```
 */
export interface SvelteKitAuthOptions {
  /**
   * The paths that need a signed-in user. Signed out, a page request (`GET`/`HEAD` of a page, or
   * the `__data.json` request of a client-side navigation) is redirected (303) to `signInPath`
   * with `?redirectTo=<path and query>`; any other request (an endpoint, a form action, a POST)
   * gets 401 problem+json (`token_missing`).
   * @default [] (nothing guarded: pages read `event.locals.auth` themselves)
   */
  protect?: ProtectedPaths;
  /**
   * Where signed-out page requests to a protected path go (a path on this site).
   * @default '/signin'
   */
  signInPath?: string;
  /**
   * The client's address, passed to the auth as `{ ip }` (rate limits, audit events; the auth's
   * `trustedProxies` applies to it).
   * @default `event.getClientAddress()` (with `@sveltejs/adapter-node`: the socket address, or
   * the header named by its `ADDRESS_HEADER`), `null` where the platform has none
   */
  getIp?: (event: RequestEvent) => string | null | undefined;
}

const SCHEMA = objectOptions(
  {
    protect: v.optional(
      v.union(
        [
          v.array(v.union([v.pipe(v.string(), v.startsWith('/')), v.instance(RegExp)])),
          v.custom<(event: RequestEvent) => boolean>((f) => typeof f === 'function'),
        ],
        'must be a list of paths ("/…") and RegExps, or a function of the event',
      ),
      [],
    ),
    signInPath: v.optional(
      v.pipe(
        v.string('must be a string'),
        v.regex(/^\/(?!\/)/, 'must be a path on this site ("/signin")'),
      ),
      '/signin',
    ),
    getIp: v.optional(
      v.custom<(event: RequestEvent) => string | null | undefined>(
        (f) => typeof f === 'function',
        'must be a function',
      ),
    ),
  },
  'must be an object { protect?, signInPath?, getIp? }',
);

function defaultIp(event: RequestEvent): string | null {
  try {
    return event.getClientAddress();
  } catch {
    // Platforms without a client address (prerendering, some adapters) throw.
    return null;
  }
}

function matcher(protect: ProtectedPaths): (event: RequestEvent) => boolean {
  if (typeof protect === 'function') return protect;
  const prefixes: string[] = [];
  const patterns: RegExp[] = [];
  for (const p of protect) {
    if (typeof p === 'string') prefixes.push(p.replace(/\/+$/, ''));
    else patterns.push(p);
  }
  return (event) => {
    const path = event.url.pathname;
    for (const prefix of prefixes)
      if (prefix === '' || path === prefix || path.startsWith(`${prefix}/`)) return true;
    for (const pattern of patterns) {
      pattern.lastIndex = 0;
      if (pattern.test(path)) return true;
    }
    return false;
  };
}

/** A page the browser navigates to: `GET`/`HEAD` asking for HTML, or kit's `__data.json`. */
function isPageRequest(event: RequestEvent): boolean {
  const method = event.request.method;
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (event.isDataRequest) return true;
  return (event.request.headers.get('accept') ?? '').includes('text/html');
}

/** `response` with the `set-cookie` values added (a copy when its headers are immutable). */
function withCookies(response: Response, setCookie: readonly string[]): Response {
  if (setCookie.length === 0) return response;
  let out = response;
  try {
    for (const c of setCookie) out.headers.append('set-cookie', c);
  } catch {
    // A Response from fetch() has immutable headers: copy it.
    out = new Response(response.body, response);
    for (const c of setCookie) out.headers.append('set-cookie', c);
  }
  return out;
}

/**
 * A SvelteKit `handle` hook for an auth created with `sessionCookie: true`. On every request it:
 *
 * 1. serves the auth routes under `auth.basePath` (`/auth/challenge`, `/auth/verify`, …) with
 *    `auth.handler`, passing the client IP (`event.getClientAddress()` by default);
 * 2. reads the session with `auth.getSession(event.request)` and puts the identity on
 *    `event.locals.auth` (an `AuthIdentity`, or `null` when signed out). An expired session
 *    cookie is refreshed on the server (refresh-token rotation, reuse detection) and the new
 *    `Set-Cookie` values are added to the response, as are the clearing cookies of a session that
 *    ended. A request without a session or refresh cookie skips the lookup (`locals.auth = null`):
 *    with no credential it carries, there is nothing to forge (webhooks keep working);
 * 3. refuses a cookie-authenticated unsafe request (`POST`/`PUT`/`PATCH`/`DELETE`: form actions,
 *    endpoints) whose `Origin` is not one of the auth's `allowedOrigins`: 403 problem+json
 *    (`csrf_rejected`). SvelteKit's own `csrf.checkOrigin` covers form content types only; this
 *    covers every unsafe method. A store outage answers 503 (fail closed);
 * 4. guards the `protect` paths: signed out, a page request is redirected (303) to `signInPath`
 *    with `?redirectTo=…`, anything else gets 401 problem+json.
 *
 * A response rendered with a session (or carrying its cookies) without a `cache-control` header
 * gets `cache-control: private, no-store`, so no shared cache keeps a signed-in page.
 *
 * Declare the local in `src/app.d.ts`:
 * ```ts
 * import type { AuthIdentity } from '@evrmore-auth/server';
 * declare global {
 *   namespace App {
 *     interface Locals {
 *       auth: AuthIdentity | null;
 *     }
 *   }
 * }
 * export {};
 * ```
 *
 * @example
 * ```ts
 * // src/hooks.server.ts
 * import { sequence } from '@sveltejs/kit/hooks';
 * import { createEvrmoreAuth } from '@evrmore-auth/server';
 * import { evrmoreAuthHandle } from '@evrmore-auth/server/sveltekit';
 *
 * const auth = createEvrmoreAuth({ domain: 'example.com', keys, sessionCookie: true });
 * export const handle = sequence(
 *   evrmoreAuthHandle(auth, { protect: ['/account'], signInPath: '/signin' }),
 *   async ({ event, resolve }) => resolve(event), // your other hooks see event.locals.auth
 * );
 *
 * // src/routes/account/+page.server.ts
 * export const load = ({ locals }) => ({ address: locals.auth!.address });
 * ```
 */
export function evrmoreAuthHandle<Claims extends ExtraClaims = ExtraClaims>(
  auth: EvrmoreAuth<Claims>,
  options: SvelteKitAuthOptions = {},
): Handle {
  if (
    !auth ||
    typeof auth.handler !== 'function' ||
    typeof (auth as Partial<EvrmoreAuth<Claims>>).getSession !== 'function'
  )
    throw new TypeError('evrmoreAuthHandle: pass the object createEvrmoreAuth returned');
  const cookieMode = auth.config.sessionCookie;
  if (cookieMode === null)
    throw new TypeError(
      'evrmoreAuthHandle: the auth needs cookie sessions: createEvrmoreAuth({ sessionCookie: true, … })',
    );
  const sessionName = cookieMode.name;
  const refreshName = auth.config.cookies.refreshName;
  /** Whether the request carries a session or refresh cookie (the only ambient credentials). */
  const hasAuthCookie = (request: Request): boolean =>
    !!readCookie(request, sessionName) || !!readCookie(request, refreshName);
  const parsed = parseOptions('evrmoreAuthHandle', SCHEMA, options);
  const isProtected = matcher(parsed.protect);
  const getIp = parsed.getIp ?? defaultIp;
  const signInPath = parsed.signInPath;
  const base = auth.basePath;
  const internals = internalsOf(auth as unknown as EvrmoreAuth);
  const screen = internals.runtime.ipGate.active ? internals.screen : null;

  return async ({ event, resolve }) => {
    const path = event.url.pathname;
    const ip = getIp(event) ?? null;
    if (path === base || path.startsWith(`${base}/`)) return auth.handler(event.request, { ip });
    // Every other path: a deny-listed client IP is refused before any work (ipLists).
    if (screen !== null) {
      const denied = await screen(fromWebRequest(event.request), ip);
      if (denied !== null) return toResponse(denied);
    }

    let identity: AuthIdentity<Claims> | null = null;
    let setCookie: string[] = [];
    if (hasAuthCookie(event.request)) {
      try {
        // resolveCookieSession, not auth.getSession: the IP lists were screened above.
        const session = await resolveCookieSession(internals.runtime, event.request, { ip });
        identity = session.identity as AuthIdentity<Claims> | null;
        setCookie = session.setCookie;
      } catch (err) {
        // csrf_rejected → 403, store outage → 503; bad input is the auth's 4xx.
        return auth.errorResponse(err, event.request);
      }
    }
    (event.locals as { auth?: AuthIdentity<Claims> | null }).auth = identity;

    let response: Response;
    if (identity === null && isProtected(event)) {
      if (isPageRequest(event)) {
        const target = `${signInPath}?redirectTo=${encodeURIComponent(path + event.url.search)}`;
        response = new Response(null, {
          status: 303,
          headers: { location: target, 'cache-control': 'no-store' },
        });
      } else {
        response = auth.errorResponse(authError('token_missing'), event.request);
      }
    } else {
      response = await resolve(event);
    }
    response = withCookies(response, setCookie);
    if ((identity !== null || setCookie.length > 0) && !response.headers.has('cache-control')) {
      try {
        response.headers.set('cache-control', 'private, no-store');
      } catch {
        // Immutable headers (a fetch() response passed through): leave them.
      }
    }
    return response;
  };
}
