// The app's evrmore-auth: cookie sessions, so server code (hooks, load functions, form actions)
// sees who is signed in on the first request.
import { env } from '$env/dynamic/private';
import { createEvrmoreAuth } from '@evrmore-auth/server';

/** The site's own origin: adapter-node's ORIGIN (set it in production), else the local default. */
export const origin = new URL(env.ORIGIN ?? `http://localhost:${env.PORT ?? '3000'}`).origin;

const accessTtl = Number(env.EVRMORE_AUTH_ACCESS_TTL ?? 900);

export const auth = createEvrmoreAuth({
  // What the user signs: "127.0.0.1:3000 wants you to sign in…" (the client refuses a message
  // naming another site).
  domain: new URL(origin).host,
  uri: origin,
  statement: 'Sign in to the evrmore-auth SvelteKit example.',
  // The only origin whose cookie-authenticated POSTs (form actions, /auth/*) are accepted.
  allowedOrigins: [origin],
  // Cookie mode: an HttpOnly session cookie the hook reads on every request.
  sessionCookie: true,
  // Secure cookies (and their __Host- names) need https. Off only for a plain-http origin such as
  // http://127.0.0.1 in the tests and on a laptop; an https ORIGIN turns them on.
  cookies: { secure: new URL(origin).protocol === 'https:' },
  // EVRMORE_AUTH_ACCESS_TTL (seconds, 30 to 86400): short values show the server-side refresh.
  accessTokenTtlSeconds: Number.isFinite(accessTtl) ? accessTtl : 900,
  // The memory store: sessions live as long as the process. Pass a Redis or Postgres store
  // (@evrmore-auth/server/redis, /postgres) when the app runs on more than one process.
  // No `keys` and `production: false`: the server makes ephemeral signing keys at start and warns
  // (tokens die with the process). In production pass `keys` (JWK or PEM) and drop this line.
  production: false,
});
