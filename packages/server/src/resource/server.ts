// A resource server: an API on another origin (no cookies) accepting the auth server's
// DPoP-bound access tokens. The key binding is the sender constraint there, so a token without
// `cnf.jkt` is refused: on another origin it would be a plain bearer token again.
import { checkAccess } from '../access/roles.js';
import { EvrmoreAuthError } from '@evrmore-auth/core';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import type { AuthenticateOptions, AuthenticateRequest, AuthIdentity } from '../authenticate.js';
import type { ExtraClaims } from '../config.js';
import { checkResourceRequestProof } from '../dpop/check.js';
import { resolveDPoPConfig, type ResolvedDPoPConfig } from '../dpop/config.js';
import { DPoPError, dpopChallenge } from '../dpop/errors.js';
import { createDPoPRuntime, type DPoPRuntime } from '../dpop/runtime.js';
import { authError } from '../errors.js';
import { createEventSink, type EventSink } from '../events.js';
import { problemReply, toResponse } from '../http/reply.js';
import { clientIp, requestIsHttps, resolveTrustedProxies } from '../proxy.js';
import { isLive } from '../store.js';
import { parseResourceServerOptions, type ResourceServerOptions } from './options.js';
import { verifyResourceToken } from './token.js';

/**
 * A resource server made by {@link createResourceServer}.
 *
 * @example
 * ```ts
 * app.get('/api/notes', async (c) => {
 *   try {
 *     const { address, dpopNonce } = await api.authenticate(c.req.raw);
 *     if (dpopNonce) c.header('dpop-nonce', dpopNonce); // with nonces on
 *     return c.json(await notesOf(address));
 *   } catch (err) {
 *     return api.errorResponse(err);
 *   }
 * });
 * ```
 */
export interface ResourceServer<Claims extends object = ExtraClaims> {
  /**
   * Verify `Authorization: DPoP <token>` and its `DPoP` proof: the token with the JWKS (issuer,
   * audience, times, `cnf.jkt`), the proof with the auth server's checks (`htm`, `htu` of this
   * request, `iat`, `ath`, nonce, the key is the token's), the proof's `jti` spent in the shared
   * store, and with `sessionCheck` the session's liveness. No fingerprint cookie: none reaches
   * another origin. Throws `EvrmoreAuthError` `token_missing`, `token_invalid` (a token sent as
   * `Bearer`, or one without `cnf.jkt`), `token_expired`, `token_revoked`, `dpop_proof_invalid`,
   * `use_dpop_nonce`, `dpop_key_mismatch`, `insufficient_scope` or `unavailable` (503: the store
   * or the JWKS is unreachable). A replayed proof and a proof from another key are also audit
   * events (the `onEvent` and `logger` options). With nonces on, the identity's `dpopNonce` is
   * the fresh nonce to send as `DPoP-Nonce` on the answer.
   */
  authenticate(
    request: AuthenticateRequest & { method: string; url: string },
    options?: AuthenticateOptions,
  ): Promise<AuthIdentity<Claims>>;
  /**
   * The problem+json `Response` of an error of {@link ResourceServer.authenticate}, with RFC 9449
   * §7.1's `WWW-Authenticate: DPoP error="…", algs="…"` and `DPoP-Nonce` when nonces are on. Any
   * other error is a 500 without its message (logged with `console.error`).
   */
  errorResponse(error: unknown): Response;
  /** The proof rules in force. */
  readonly dpop: ResolvedDPoPConfig;
}

/**
 * Create a resource server: authenticate requests to an API on another origin than the auth
 * server with DPoP-bound access tokens (PROTOCOL.md §9). Share the auth server's store so a proof
 * is spent once across every service, and `sessionCheck: true` to see sign-outs before the token
 * expires.
 *
 * @example
 * ```ts
 * import { createResourceServer } from '@evrmore-auth/server/resource';
 * import { redisStore } from '@evrmore-auth/server/redis';
 *
 * const api = createResourceServer({
 *   issuer: 'https://app.example.com',
 *   audience: 'https://app.example.com',
 *   jwks: new URL('https://app.example.com/auth/jwks.json'),
 *   store: redisStore({ client: redis }),
 *   sessionCheck: true,
 * });
 * const identity = await api.authenticate(request); // a fetch Request
 * ```
 */
export function createResourceServer<Claims extends object = ExtraClaims>(
  options: ResourceServerOptions,
): ResourceServer<Claims> {
  const o = parseResourceServerOptions(options);
  const resolved = resolveProofRules(o.dpop);
  const trusted = resolveTrustedProxies(o.trustedProxies, 'createResourceServer: trustedProxies');
  const now = o.now ?? Date.now;
  const jwks: JWTVerifyGetKey = o.jwks instanceof URL ? createRemoteJWKSet(o.jwks) : o.jwks;
  const { store } = o;
  const dpop: DPoPRuntime = createDPoPRuntime(resolved, store, o.clockToleranceSeconds);
  const { algorithms } = resolved.config;
  // Without a hook or a logger, no event is even built.
  const events: EventSink | null =
    o.onEvent === undefined && o.logger === undefined
      ? null
      : createEventSink({
          ...(o.onEvent ? { onEvent: o.onEvent } : {}),
          ...(o.logger ? { logger: o.logger } : {}),
          now,
        });

  const refuse = (code: 'token_invalid', detail: string): DPoPError =>
    new DPoPError(code, { resource: true, detail });

  return {
    dpop: resolved.config,
    async authenticate(request, authOptions = {}) {
      if (authOptions.allowListedIp === true)
        throw new TypeError(
          'authenticate: allowListedIp needs the auth server (a resource server keeps no IP lists)',
        );
      const header = request.headers.get('authorization');
      if (header === null || header.trim() === '') throw authError('token_missing');
      const m = /^(Bearer|DPoP) +([^\s]+) *$/i.exec(header);
      if (!m) throw refuse('token_invalid', 'the Authorization header is malformed');
      if (m[1]!.length !== 4)
        throw refuse(
          'token_invalid',
          'this API accepts DPoP-bound tokens only: Authorization: DPoP with a proof',
        );
      const token = m[2]!;
      const t = now();
      const claims = await verifyResourceToken(token, jwks, {
        issuer: o.issuer,
        audience: o.audience,
        clockToleranceSeconds: o.clockToleranceSeconds,
        now: t,
      });
      const jkt = claims.cnf?.jkt;
      if (jkt === undefined) throw refuse('token_invalid', 'the token is not DPoP-bound');
      const tls = requestIsHttps(request, authOptions.ip, trusted);
      const dpopNonce = await checkResourceRequestProof(dpop, events, {
        request: { method: request.method, url: request.url, headers: request.headers, tls },
        clock: { now: t, clockToleranceSeconds: o.clockToleranceSeconds },
        token,
        jkt,
        claims,
        ip: () => clientIp(request, authOptions.ip, trusted),
      });
      if (o.sessionCheck) {
        const session = await store.getSession(claims.sid);
        if (session !== null && (session.address !== claims.sub || session.dpopJkt !== jkt))
          throw authError('token_invalid');
        if (!isLive(session, t)) throw authError('token_revoked');
      }
      // every one of `permissions`, at least one of `roles` (the auth server's roles map)
      checkAccess(claims, authOptions);
      const identity: AuthIdentity<Claims> = {
        address: claims.sub,
        sessionId: claims.sid,
        claims: claims as AuthIdentity<Claims>['claims'],
      };
      if (dpopNonce !== undefined) identity.dpopNonce = dpopNonce;
      return identity;
    },
    errorResponse(error) {
      const headers: Record<string, string> = { 'cache-control': 'no-store' };
      if (!(error instanceof EvrmoreAuthError)) {
        console.error('evrmore-auth resource server: internal error', error);
        headers['content-type'] = 'application/problem+json';
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
      if (error instanceof DPoPError && error.nonce !== undefined)
        headers['dpop-nonce'] = error.nonce;
      const challenge = dpopChallenge(error, algorithms);
      if (challenge !== undefined) headers['www-authenticate'] = challenge;
      return toResponse(problemReply(error, headers));
    },
  };
}

/** The proof rules: the auth server's `dpop` option in mode `required`. */
function resolveProofRules(value: unknown): NonNullable<ReturnType<typeof resolveDPoPConfig>> {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value)))
    throw new TypeError(
      'createResourceServer: dpop must be an object { algorithms?, proofMaxAgeSeconds?, nonce? }',
    );
  try {
    return resolveDPoPConfig({ ...(value ?? {}), mode: 'required' })!;
  } catch (err) {
    // The shared validator names the auth server's constructor.
    if (err instanceof TypeError && err.message.startsWith('createEvrmoreAuth'))
      throw new TypeError(`createResourceServer${err.message.slice('createEvrmoreAuth'.length)}`, {
        cause: err,
      });
    throw err;
  }
}
