// The demo's HTTP app: the auth routes, one protected API route and the built page, with the
// headers a production deployment sends.
import { serveStatic } from '@hono/node-server/serve-static';
import type { EvrmoreAuth } from '@evrmore-auth/server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { webDist } from './build-web.js';

export interface AppOptions {
  auth: EvrmoreAuth;
  /** The page's origin, e.g. http://localhost:5173. */
  origin: string;
}

export function createApp({ auth, origin }: AppOptions): Hono {
  const app = new Hono();
  const https = origin.startsWith('https://');

  // Headers of the page and its assets.
  const pageHeaders = secureHeaders({
    // CSP: scripts, styles, images and API calls only from this origin. Vite emits external
    // files (no inline script or style), so neither 'unsafe-inline' nor nonces are needed; the QR
    // code is drawn on a <canvas>, so no data: images either.
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      connectSrc: ["'self'"],
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

  // CORS: the page and the API share one origin, so the browser needs no CORS headers and the
  // demo sends none (a cross-site page cannot read any answer). The auth server still checks the
  // Origin of cookie-authenticated calls against its `allowedOrigins` (see main.ts). To serve a
  // page from another origin, add it there and answer it here, never with `*` and credentials:
  //   app.use('/auth/*', cors({ origin: ['https://app.example.com'], credentials: true }))

  // The auth routes (PROTOCOL.md section 3); they set their own, stricter headers.
  // The TCP peer's address feeds rate limits and the sessions list (no proxy in front here; behind
  // one, configure `trustedProxies` instead of trusting x-forwarded-for).
  app.all(`${auth.basePath}/*`, (c) =>
    auth.handler(c.req.raw, { ip: getConnInfo(c).remote.address ?? null }),
  );

  app.use('/api/*', apiHeaders);
  app.use('/api/*', async (c, next) => {
    c.header('cache-control', 'no-store');
    await next();
  });
  // A protected route: the address, session and claims of a valid access token, or a 401/403
  // problem document (token missing/expired/revoked, fingerprint cookie missing…).
  app.get('/api/profile', async (c) => {
    try {
      const identity = await auth.authenticate(c.req.raw);
      return c.json({
        address: identity.address,
        sessionId: identity.sessionId,
        claims: identity.claims,
      });
    } catch (err) {
      return auth.errorResponse(err, c.req.raw);
    }
  });
  app.all('/api/*', (c) =>
    c.json({ type: 'about:blank', title: 'Not found', status: 404, code: 'not_found' }, 404, {
      'content-type': 'application/problem+json',
    }),
  );

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
