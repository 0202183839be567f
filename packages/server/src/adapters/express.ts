// Express adapter (`@evrmore-auth/server/express`): mounts the auth routes and guards app routes.
import type { Request, RequestHandler } from 'express';
import type { AuthenticateOptions, AuthIdentity, RegisteredClaims } from '../authenticate.js';
import { guardRequest } from '../cookie-session.js';
import { internalsOf, type EvrmoreAuth } from '../create-auth.js';
import type { AuthRequest } from '../http/request.js';
import { validateGuardOptions } from '../access/roles.js';
import { fromNodeRequest, NodeAuthRequest, replyToNode, requestUrl, writeReply } from './node.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified caller, set by {@link requireAuth}; its claims type is
       *  `RegisteredClaims` (declare the application's claims there). */
      auth?: AuthIdentity<RegisteredClaims>;
    }
  }
}

function authRequest(req: Request): AuthRequest {
  const url = requestUrl(req.protocol, req.get('host'), req.originalUrl);
  return fromNodeRequest(req, url, { parsed: (req as { body?: unknown }).body });
}

/**
 * Express middleware serving every auth route under `auth.basePath` (other paths fall through to
 * `next()`, except from a deny-listed IP: 403 `ip_denied`, see `ipLists`). Mount it at the app root, **before** any body parser (`express.json()`): it reads
 * the raw body itself (byte-exact, 16 KiB limit). If a parser ran first, the parsed body is
 * re-serialised as JSON, which keeps every string intact but loses the raw-size check.
 *
 * The TCP peer address (`req.socket.remoteAddress`) is passed to the handler as
 * `handler(request, { ip })`; `x-forwarded-for` counts only with `trustedProxies` in the auth
 * config (Express's own `trust proxy` setting is not used for the client IP).
 *
 * @example
 * ```ts
 * import express from 'express';
 * import { createEvrmoreAuth } from '@evrmore-auth/server';
 * import { evrmoreAuth, requireAuth } from '@evrmore-auth/server/express';
 *
 * const auth = createEvrmoreAuth({ domain: 'example.com', keys });
 * const app = express();
 * app.use(evrmoreAuth(auth)); // POST /auth/challenge, /auth/verify, …
 * app.use(express.json());
 * app.get('/api/me', requireAuth(auth), (req, res) => res.json({ address: req.auth!.address }));
 * app.listen(3000);
 * ```
 */
export function evrmoreAuth(auth: EvrmoreAuth): RequestHandler {
  if (!auth || typeof auth.handler !== 'function')
    throw new TypeError('evrmoreAuth: pass the object createEvrmoreAuth returned');
  const base = auth.basePath;
  const { screen, runtime } = internalsOf(auth);
  return (req, res, next) => {
    const path = req.originalUrl.split('?')[0] ?? '';
    if (path !== base && !path.startsWith(`${base}/`)) {
      // Every other path: only the IP deny list (403 `ip_denied` before any parser runs).
      if (runtime.ipGate.quiet()) {
        next();
        return;
      }
      screen(authRequest(req), req.socket.remoteAddress).then((reply) => {
        if (reply === null) next();
        else writeReply(res, reply);
      }, next);
      return;
    }
    replyToNode(auth, () => authRequest(req), req.socket.remoteAddress)
      .then((reply) => writeReply(res, reply))
      .catch(next);
  };
}

/**
 * Options of {@link requireAuth}.
 *
 * @example
 * ```ts
 * const options: RequireAuthOptions = { permissions: ['posts:write'] };
 * ```
 */
export type RequireAuthOptions = AuthenticateOptions;

/**
 * Express middleware for the application's own routes: verifies the bearer token, fingerprint
 * cookie and session, sets `req.auth` to the identity and calls `next()`; otherwise answers the
 * problem+json error (401 `token_missing`, `token_invalid`, … or 403 `insufficient_scope`;
 * `roles` needs one of the roles, `permissions` every permission; a deny-listed IP, or with
 * `allowListedIp` one not on the allow list, is 403 `ip_denied`).
 * In cookie mode (`sessionCookie`), a request without an `authorization` header is verified by
 * its session cookie, refreshed on the server when it expired (the new cookies are added to the
 * response with `res.append('set-cookie', …)`); an unsafe method from another origin is 403
 * `csrf_rejected`. With DPoP nonces on, a DPoP-bound request's answer gets a fresh `DPoP-Nonce`.
 *
 * @example
 * ```ts
 * app.post('/api/posts', requireAuth(auth, { permissions: ['posts:write'] }), (req, res) => {
 *   res.json({ author: req.auth!.address });
 * });
 * ```
 */
export function requireAuth(auth: EvrmoreAuth, options: RequireAuthOptions = {}): RequestHandler {
  if (!auth || typeof auth.authenticate !== 'function')
    throw new TypeError('requireAuth: pass the object createEvrmoreAuth returned');
  const { errorReply, runtime } = internalsOf(auth);
  validateGuardOptions(runtime.roles, options, 'requireAuth');
  return (req, res, next) => {
    // Only the headers are read (no fetch Request is built); the URL only for a DPoP proof.
    const request = new NodeAuthRequest(req, req.method, () =>
      requestUrl(req.protocol, req.get('host'), req.originalUrl),
    );
    guardRequest(runtime, request, { ...options, ip: req.socket.remoteAddress ?? null }).then(
      ({ identity, setCookie, error }) => {
        try {
          for (const cookie of setCookie) res.append('set-cookie', cookie);
          if (identity !== null) {
            req.auth = identity as AuthIdentity<RegisteredClaims>;
            // RFC 9449 §8.2: the current nonce on a DPoP-bound answer (nonces on).
            if (identity.dpopNonce !== undefined) res.setHeader('dpop-nonce', identity.dpopNonce);
            next();
            return;
          }
          writeReply(res, errorReply(error, authRequest(req), { bearer: 'credentials' }));
        } catch (e) {
          next(e);
        }
      },
      next,
    );
  };
}
