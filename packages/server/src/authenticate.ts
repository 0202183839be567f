// Authenticating application requests: bearer access token + fingerprint cookie + live session.
import type { AccessTokenClaims, ExtraClaims } from './config.js';
import { authError } from './errors.js';
import { readCookie } from './http/cookies.js';
import type { HeaderReader, RequestContext } from './http/request.js';
import type { AuthRuntime } from './runtime.js';
import { isLive, type SessionRecord } from './store.js';
import { verifyAccessToken } from './tokens.js';
import {
  getSessionForAuth,
  recentBearer,
  rememberBearer,
  verifyAccessTokenCached,
} from './token-cache.js';
import { clientIp, requestIsHttps } from './proxy.js';
import { checkResourceRequestProof } from './dpop/check.js';
import { DPoPError } from './dpop/errors.js';
import { checkCsrf } from './http/csrf.js';
import { apiKeyFromHeader } from './api-keys/format.js';
import { authenticateApiKey } from './api-keys/service.js';
import { checkAccess } from './access/roles.js';
import { recordActivity } from './session-policy.js';

/**
 * The verified caller. `Claims` is the application's extra claims type (see
 * `createEvrmoreAuth<Claims>`).
 *
 * @example
 * ```ts
 * const { address, sessionId, claims } = await auth.authenticate(request);
 * ```
 */
export interface AuthIdentity<Claims extends object = ExtraClaims> {
  /** The signed-in address (the token's `sub`). */
  address: string;
  /** The session the token belongs to (its `sid`); for an API key, the key's id. */
  sessionId: string;
  /** Every claim of the verified access token, your `claims` provider's included. For an API key:
   *  `sub` (the owner), `sid` (the key's id), `permissions` (the key's), `iat` (its creation),
   *  `exp` when it expires, `iss`, `aud`, and an empty `fgp`; no claims of your provider. */
  claims: AccessTokenClaims & Claims;
  /** `'api-key'` when an API key authenticated the request (`apiKeys: true`); absent for a
   *  session's access token. */
  kind?: 'api-key';
  /** The API key's id, when `kind` is `'api-key'`. */
  keyId?: string;
  /**
   * A fresh `DPoP-Nonce` to send on the response (RFC 9449 §8.2), so the client's next proof
   * carries the current nonce without a `use_dpop_nonce` round trip: set when nonces are on
   * (`dpop.nonce`) and the request was DPoP-bound; absent otherwise. The adapters' `requireAuth`
   * send it; with `authenticate`, add it yourself (and expose it to CORS callers).
   *
   * @example
   * ```ts
   * if (identity.dpopNonce) response.headers.set('dpop-nonce', identity.dpopNonce);
   * ```
   */
  dpopNonce?: string;
}

/**
 * The application's claims as the Express and Fastify adapters type `req.auth` / `request.auth`
 * (their request types are global, so they cannot follow one auth instance's `Claims` the way
 * `authenticate()` and Hono's `c.get('auth')` do): declare your claims here once.
 *
 * @example
 * ```ts
 * declare module '@evrmore-auth/server' {
 *   interface RegisteredClaims {
 *     roles: string[];
 *   }
 * }
 * app.get('/api/me', requireAuth(auth), (req, res) => res.json(req.auth!.claims.roles));
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RegisteredClaims {}

/** What an auth route (`/sessions`, `/logout`, …) knows of its request. */
type RouteFacts = Pick<RequestContext, 'tls' | 'requestId' | 'ip'>;

/**
 * Options of `authenticate` (the `EvrmoreAuth` method and the adapters' `requireAuth`).
 *
 * @example
 * ```ts
 * await auth.authenticate(request, { permissions: ['posts:write'] });
 * ```
 */
export interface AuthenticateOptions {
  /** Every one of these must be in the token's `permissions` claim, else 403 `insufficient_scope`
   *  (for an API key: in the key's permissions). */
  permissions?: string[];
  /**
   * Accept an API key too (`Authorization: ApiKey evak_…`, or `Bearer evak_…`): the identity is
   * the key's owner with the key's permissions (`kind: 'api-key'`). Needs `apiKeys: { enabled:
   * true }` in `createEvrmoreAuth` (TypeError otherwise). Pass `ip` (the adapters do): a key's IP
   * allow list and the lock-out after failed attempts go by the client IP.
   * @default false (an API key is `token_invalid`)
   */
  apiKeys?: boolean;
  /**
   * At least one of these must be in the token's `roles` claim (the `roles` option of
   * `createEvrmoreAuth`), else 403 `insufficient_scope`. With `permissions` too, both must hold.
   * The adapters' `requireAuth` refuses a role that is not in the roles map when it is made.
   */
  roles?: string[];
  /**
   * Only clients on the IP allow list (`ipLists`) get through; others get 403 `ip_denied`
   * before the token is looked at. For admin routes (internal networks, a VPN). Not on a
   * resource server (`createResourceServer`: TypeError), which keeps no IP lists.
   * @default false
   */
  allowListedIp?: boolean;
  /**
   * The TCP peer's address, as for `handler(request, { ip })`: with `trustedProxies` as a list of
   * addresses, it decides whether `x-forwarded-proto` is believed when matching a DPoP proof's
   * `htu` (the adapters pass it).
   * @default none
   */
  ip?: string | null;
}

/**
 * What `authenticate` reads of a request: a fetch `Request`, or `{ headers }` with a `get`.
 * `method` and `url` (absolute, as the server received it) are needed for DPoP-bound tokens,
 * whose proof names them; a fetch `Request` has them.
 *
 * @example
 * ```ts
 * await auth.authenticate({ method: req.method, url: `https://api.example.com${req.url}`, headers });
 * ```
 */
export interface AuthenticateRequest {
  /** The request's headers (`authorization`, `cookie`, `dpop`, forwarding headers). */
  headers: HeaderReader;
  /** The HTTP method; needed for a DPoP-bound token. */
  method?: string;
  /** The absolute request URL; needed for a DPoP-bound token. */
  url?: string;
}

/**
 * Verify `authorization: Bearer …` (or `DPoP …` with its proof, for a DPoP-bound token), the
 * fingerprint cookie and the session's liveness. In cookie mode (`sessionCookie`), a request
 * without an `authorization` header is verified by its session cookie instead, after the CSRF
 * rule (`csrf_rejected`); it is never refreshed here (`token_expired`). Throws
 * `EvrmoreAuthError` `token_missing`, `token_invalid`, `token_expired`, `fingerprint_mismatch`,
 * `token_revoked`, `dpop_proof_invalid`, `use_dpop_nonce`, `dpop_key_mismatch`,
 * `insufficient_scope`, `csrf_rejected` or `unavailable`; with `apiKeys: true` also `api_key_invalid`,
 * `api_key_expired`, `api_key_revoked`, `api_key_ip_forbidden` and `rate_limited`.
 *
 * @example
 * ```ts
 * const identity = await authenticateRequest(runtime, request, { permissions: ['admin'] });
 * ```
 */
export async function authenticateRequest(
  rt: AuthRuntime,
  request: AuthenticateRequest,
  options: AuthenticateOptions = {},
  /** The auth routes' request context: whether the client used HTTPS, and the request id and
   *  client IP of an audit event. */
  route?: RouteFacts,
): Promise<AuthIdentity> {
  const header = request.headers.get('authorization');
  const { config } = rt;
  if (header === null || header.trim() === '') {
    // Cookie mode: without an Authorization header, the session cookie (CSRF rule first).
    const token =
      config.sessionCookie === null ? null : readCookie(request, config.sessionCookie.name);
    if (token === null || token === '') throw authError('token_missing');
    checkCsrf(config, request);
    const identity = await verifySessionCookie(
      rt,
      token,
      readCookie(request, config.cookies.fingerprintName),
      config.now(),
    );
    checkPermissions(identity, options);
    return identity;
  }
  if (options.apiKeys === true) {
    if (rt.apiKeys === null)
      throw new TypeError(
        'authenticate: apiKeys: true needs createEvrmoreAuth({ apiKeys: { enabled: true } })',
      );
    const key = apiKeyFromHeader(header);
    if (key !== null) {
      const identity = await authenticateApiKey(rt, request, key, options.ip);
      checkPermissions(identity, options);
      return identity;
    }
  }
  const now = config.now();
  const cookies = request.headers.get('cookie');
  // The same header and cookies as a request of the last second: its claims (unbound tokens).
  let claims = recentBearer(rt, header, cookies, now);
  let dpopNonce: string | undefined;
  if (claims === undefined) {
    const presented = await headerToken(rt, request, header, cookies, now);
    claims = presented.claims;
    // A bound token only with its key's proof; the bearer path stays a property read.
    if (claims.cnf !== undefined || presented.dpop)
      dpopNonce = await checkResourceProof(
        rt,
        request,
        options,
        route,
        presented.token,
        claims,
        now,
      );
  }
  const touched = sessionLive(rt, await getSessionForAuth(rt, claims.sid, now), claims, now);
  if (touched !== undefined) await touched;
  const identity: AuthIdentity = { address: claims.sub, sessionId: claims.sid, claims };
  if (dpopNonce !== undefined) identity.dpopNonce = dpopNonce;
  checkPermissions(identity, options);
  return identity;
}

/** The `Authorization` header's token (`dpop`: sent as `DPoP`) and its claims, verified with the
 *  fingerprint cookie. An unbound token sent as Bearer is remembered for about a second
 *  ({@link rememberBearer}). */
async function headerToken(
  rt: AuthRuntime,
  request: AuthenticateRequest,
  header: string,
  cookies: string | null,
  now: number,
): Promise<{ token: string; dpop: boolean; claims: AccessTokenClaims }> {
  const m = /^(Bearer|DPoP) +([^\s]+) *$/i.exec(header);
  if (!m) throw authError('token_invalid');
  const dpop = m[1]!.length === 4;
  if (dpop && rt.dpop === null) throw authError('token_invalid');
  const token = m[2]!;
  // The token, then its fingerprint cookie (`fingerprint_mismatch`), both skipped on a cache hit.
  const fingerprint = readCookie(request, rt.config.cookies.fingerprintName);
  const claims = await verifiedClaims(rt, token, fingerprint, now);
  if (!dpop && claims.cnf === undefined) rememberBearer(rt, header, cookies, claims, now);
  return { token, dpop, claims };
}

/** The access token's claims: from the verified-token cache, else verified with the keys (the
 *  fingerprint cookie is checked against `fgp` either way). One path for bearer and cookie. */
function verifiedClaims(
  rt: AuthRuntime,
  token: string,
  fingerprint: string | null,
  now: number,
): AccessTokenClaims | Promise<AccessTokenClaims> {
  const { config } = rt;
  return verifyAccessTokenCached(rt, token, fingerprint, now, async () =>
    verifyAccessToken(token, {
      keys: await rt.keys(),
      issuer: config.issuer,
      audience: config.audience,
      clockToleranceSeconds: config.clockToleranceSeconds,
      now,
    }),
  );
}

/**
 * Verify the session cookie's access token (cookie mode): signature, times, fingerprint cookie,
 * session live in the store (exactly as for a bearer token; the same verified-token cache). A
 * DPoP-bound token is never a session cookie (`token_invalid`). No CSRF check (the caller's).
 *
 * @example
 * ```ts
 * const identity = await verifySessionCookie(rt, token, fingerprint, rt.config.now());
 * ```
 */
export async function verifySessionCookie(
  rt: AuthRuntime,
  token: string,
  fingerprint: string | null,
  now: number,
): Promise<AuthIdentity> {
  const claims = await verifiedClaims(rt, token, fingerprint, now);
  if (claims.cnf !== undefined) throw authError('token_invalid');
  const touched = sessionLive(rt, await getSessionForAuth(rt, claims.sid, now), claims, now);
  if (touched !== undefined) await touched;
  return { address: claims.sub, sessionId: claims.sid, claims };
}

/** The token's session (as `getSessionForAuth` read it) is the token's address's, live, and of
 *  the token's sign-in; then its activity (lastSeenAt, and the idle end with
 *  `sessionPolicy.idleTimeoutSeconds`): a store write (the promise returned) at most once per
 *  session per interval, none on the other requests. Not a function of its own that awaits the
 *  read: one promise frame less on every authenticated request. */
function sessionLive(
  rt: AuthRuntime,
  session: SessionRecord | null,
  claims: AuthIdentity['claims'],
  now: number,
): Promise<void> | undefined {
  if (session !== null && session.address !== claims.sub) throw authError('token_invalid');
  if (!isLive(session, now)) throw authError('token_revoked');
  if (session.fingerprintHash !== claims.fgp) throw authError('fingerprint_mismatch');
  return recordActivity(rt, session, now);
}

/** Every one of `options.permissions` is in the token's `permissions` claim and (when given) one
 *  of `options.roles` in its `roles` claim, else `insufficient_scope`. */
export function checkPermissions(
  identity: AuthIdentity,
  options: Pick<AuthenticateOptions, 'permissions' | 'roles'>,
): void {
  if (options.permissions === undefined && options.roles === undefined) return;
  checkAccess(identity.claims, options);
}

/**
 * The DPoP check of a protected resource (RFC 9449 §7): a bound token comes as `DPoP` with a
 * proof for this method and URL, whose `ath` is the token's hash and whose key is the token's
 * `cnf.jkt`; an unbound token never comes as `DPoP`. A replayed proof or one from another key
 * is also an audit event. Resolves to the fresh nonce to answer with, when nonces are on.
 */
async function checkResourceProof(
  rt: AuthRuntime,
  request: AuthenticateRequest,
  options: AuthenticateOptions,
  route: RouteFacts | undefined,
  token: string,
  claims: AccessTokenClaims,
  now: number,
): Promise<string | undefined> {
  const jkt = claims.cnf?.jkt ?? null;
  const refuse = (code: 'token_invalid', detail: string): DPoPError =>
    new DPoPError(code, { resource: true, detail });
  const { dpop } = rt;
  if (jkt === null) throw refuse('token_invalid', 'a bearer token is sent as Bearer, not DPoP');
  if (dpop === null) throw refuse('token_invalid', 'DPoP-bound tokens are not accepted here');
  if (request.headers.get('authorization')!.trimStart().slice(0, 5).toLowerCase() !== 'dpop ')
    throw refuse(
      'token_invalid',
      'the token is DPoP-bound: send it as Authorization: DPoP with a proof',
    );
  if (typeof request.method !== 'string' || typeof request.url !== 'string')
    throw new TypeError(
      'authenticate: a DPoP-bound token needs the request method and url (pass the fetch Request, or { method, url, headers })',
    );
  const tls =
    route?.tls ??
    requestIsHttps(
      { url: request.url, headers: request.headers },
      options.ip,
      rt.config.trustedProxies,
    );
  return checkResourceRequestProof(dpop, rt.events, {
    request: { method: request.method, url: request.url, headers: request.headers, tls },
    clock: { now, clockToleranceSeconds: rt.config.clockToleranceSeconds },
    token,
    jkt,
    claims,
    ip: () => (route ? route.ip : clientIp(request, options.ip, rt.config.trustedProxies)),
    requestId: route?.requestId,
  });
}

/**
 * The IP lists' check of `authenticate` / `requireAuth`, before anything else: a deny-listed
 * client IP (the peer `options.ip` through `trustedProxies`) → 403 `ip_denied`, and with
 * `allowListedIp` one that is not on the allow list (or unknown) too. Synchronous (no promise)
 * while the instance's copy of the lists is fresh; without deny rules, no IP is even parsed.
 */
export function enforceIpLists(
  rt: AuthRuntime,
  request: AuthenticateRequest,
  options: AuthenticateOptions,
): void | Promise<void> {
  if (rt.ipGate.quiet(options.allowListedIp)) return;
  const ip = clientIp(request, options.ip, rt.config.trustedProxies);
  return rt.ipGate.enforce(ip, { allowListedOnly: options.allowListedIp });
}
