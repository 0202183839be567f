// The demo's HTTP app: the auth routes, one protected API route and the built page, with the
// headers a production deployment sends.
import { serveStatic } from '@hono/node-server/serve-static';
import { EvrmoreAuthError, type EvrmoreAuth } from '@evrmore-auth/server';
import { evrmoreAuth, requireAuth, type EvrmoreAuthVariables } from '@evrmore-auth/server/hono';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { webDist } from './build-web.js';

export interface AppOptions {
  auth: EvrmoreAuth;
  /** The page's origin, e.g. http://localhost:5173. */
  origin: string;
  /** The API on the second origin the page may call (server/api.ts), e.g. http://localhost:5174. */
  apiOrigin: string;
}

export function createApp({ auth, origin, apiOrigin }: AppOptions) {
  const app = new Hono<{ Variables: EvrmoreAuthVariables }>();
  const https = origin.startsWith('https://');

  // Headers of the page and its assets.
  const pageHeaders = secureHeaders({
    // CSP: scripts, styles, images and API calls only from this origin, and calls to the API on
    // the second origin. Vite emits external files (no inline script or style), so neither
    // 'unsafe-inline' nor nonces are needed; the QR code is drawn on a <canvas>, so no data:
    // images either.
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      connectSrc: ["'self'", apiOrigin],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      // The page may not be framed (clickjacking: a framed "Sign" button).
      frameAncestors: ["'none'"],
    },
    // Also against framing, for browsers without CSP frame-ancestors.
    xFrameOptions: 'DENY',
    // No MIME sniffing of responses.
    xContentTypeOptions: 'nosniff',
    // Never leak the page URL to other sites.
    referrerPolicy: 'no-referrer',
    // Another site's window cannot keep a handle on this one (window.opener attacks).
    crossOriginOpenerPolicy: 'same-origin',
    // Only this origin may load the assets.
    crossOriginResourcePolicy: 'same-origin',
    // HSTS only means something over HTTPS: in production (behind TLS) send it for two years.
    // Over plain http://localhost browsers ignore it, so the demo leaves it out.
    strictTransportSecurity: https ? 'max-age=63072000; includeSubDomains' : false,
    // No camera, microphone, geolocation… for this page.
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
  });
  // JSON answers of the app's own API: nothing in them may ever run or be framed.
  const apiHeaders = secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    strictTransportSecurity: https ? 'max-age=63072000; includeSubDomains' : false,
  });

  // CORS: the page and the API share one origin, so the page and /api send no CORS headers (a
  // page on another site can call nothing here with credentials, nor read an answer). The auth
  // routes answer CORS themselves, only for `allowedOrigins` (auth.ts: just this origin), and
  // refuse cookie-authenticated calls from any other Origin. To host the page elsewhere, add its
  // origin there and here, never `*` with credentials:
  //   app.use('/api/*', cors({ origin: ['https://app.example.com'], credentials: true }))

  // The auth routes under /auth (PROTOCOL.md section 3), with their own, stricter headers. The
  // adapter passes the TCP peer's address for rate limits and the sessions list; behind a reverse
  // proxy configure `trustedProxies` instead of trusting x-forwarded-for.
  app.use(evrmoreAuth(auth));

  app.use('/api/*', apiHeaders);
  app.use('/api/*', async (c, next) => {
    c.header('cache-control', 'no-store');
    await next();
  });
  // A protected route: the address, session and claims of a valid access token, or a 401/403
  // problem document (token missing/expired/revoked, fingerprint cookie missing…).
  app.get('/api/profile', requireAuth(auth), async (c) => {
    const identity = c.get('auth');
    return c.json({
      address: identity.address,
      sessionId: identity.sessionId,
      claims: identity.claims,
      mfaEnabled: await auth.isMfaEnabled(identity.address),
    });
  });
  // Admin only (the roles map in server/auth.ts): a viewer's token gets 403 insufficient_scope
  // with WWW-Authenticate: Bearer error="insufficient_scope".
  app.post('/api/admin/announce', requireAuth(auth, { roles: ['admin'] }), (c) =>
    c.json({
      announced: true,
      by: c.get('auth').address,
      roles: c.get('auth').claims.roles ?? [],
    }),
  );
  app.all('/api/*', (c) => auth.errorResponse(new EvrmoreAuthError('not_found'), c.req.raw));

  // The page built by Vite: hashed assets may be cached for a year, index.html is revalidated.
  app.use('*', pageHeaders);
  app.use(
    '/assets/*',
    serveStatic({
      root: webDist,
      onFound: (_path, c) => {
        c.header('cache-control', 'public, max-age=31536000, immutable');
      },
    }),
  );
  app.use(
    '*',
    serveStatic({
      root: webDist,
      onFound: (_path, c) => {
        c.header('cache-control', 'no-cache');
      },
    }),
  );
  app.notFound((c) => c.text('Not found', 404));
  return app;
}
