// The demo's second origin: an API service on another port (so another origin: no cookies reach
// it) that accepts only DPoP-bound access tokens, through `createResourceServer`. The page calls
// it with `auth.fetch`; the client adds `Authorization: DPoP <token>` and a proof for this URL.
import type { AuthStore, EvrmoreAuth } from '@evrmore-auth/server';
import { createResourceServer } from '@evrmore-auth/server/resource';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';

export interface ApiOptions {
  auth: EvrmoreAuth;
  /** The auth server's store: the proof replay cache (and, with sessionCheck, sessions). */
  store: AuthStore;
  /** The page's origin: the only one CORS lets read the answers. */
  pageOrigin: string;
  /** Where this process serves the JWKS (the auth server's `/auth/jwks.json`). */
  jwksUrl: URL;
}

export function createApiApp({ auth, store, pageOrigin, jwksUrl }: ApiOptions) {
  const api = createResourceServer({
    // The tokens' iss and aud: the auth server's.
    issuer: auth.config.issuer,
    audience: auth.config.audience,
    // Fetched once and cached by jose (refetched for an unknown kid).
    jwks: jwksUrl,
    // Shared with the auth server: a proof is spent once across both, and a signed-out session
    // is refused here at once instead of when its access token expires (one store read).
    store,
    sessionCheck: true,
  });
  const app = new Hono();
  // Cross-origin calls from the page: the token and proof travel in headers; the client reads
  // DPoP-Nonce and WWW-Authenticate from refusals. This API reads no cookie (the key binding is
  // its sender constraint), and the client sends an `allowedOrigins` origin none (credentials
  // mode `omit`; browsers would otherwise send localhost's cookies to every port), so the answer
  // does not allow credentials.
  app.use(
    '*',
    cors({
      origin: pageOrigin,
      allowMethods: ['GET'],
      allowHeaders: ['authorization', 'dpop'],
      exposeHeaders: ['dpop-nonce', 'www-authenticate'],
      maxAge: 600,
    }),
  );
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      xFrameOptions: 'DENY',
      referrerPolicy: 'no-referrer',
      crossOriginResourcePolicy: 'cross-origin',
    }),
  );
  app.use('*', async (c, next) => {
    c.header('cache-control', 'no-store');
    await next();
  });
  app.get('/api/notes', async (c) => {
    try {
      const { address, sessionId, claims } = await api.authenticate(c.req.raw);
      return c.json({
        service: 'notes API (another origin)',
        address,
        sessionId,
        boundTo: claims.cnf?.jkt,
        notes: [`${claims.greeting as string}: this answer needed the key that signed in.`],
      });
    } catch (err) {
      // 401 with WWW-Authenticate: DPoP error="…" (or 503 when the store is down).
      return api.errorResponse(err);
    }
  });
  app.notFound((c) => c.json({ code: 'not_found' }, 404));
  return app;
}
