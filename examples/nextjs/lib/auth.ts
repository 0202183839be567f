// The app's evrmore-auth: created once per process and shared by the route handlers, the server
// components, the server actions and the proxy. Next may load this module more than once (once per
// route bundle, once for the proxy), so the instance lives on globalThis: the memory store and the
// signing keys must be the same for all of them.
import { createEvrmoreAuth, createMemoryStore, type EvrmoreAuth } from '@evrmore-auth/server';
import { evrmoreAuthNext } from '@evrmore-auth/server/next';

/** The app's own origin (what users sign in to): EVRMORE_AUTH_ORIGIN, e.g. https://app.example.com. */
const origin = new URL(process.env.EVRMORE_AUTH_ORIGIN ?? 'http://localhost:3000').origin;

/** Access-token (and session-cookie) lifetime, seconds: short in tests to see server refreshes. */
const accessTtl = Number(process.env.EVRMORE_AUTH_ACCESS_TTL ?? 900);

/** The header a reverse proxy in front of the app sets to the client's address, e.g. x-real-ip. */
const ipHeader = process.env.EVRMORE_AUTH_IP_HEADER;

/** A signing key from the environment (PEM); without one, development keys are generated at start. */
const privateKey = process.env.EVRMORE_AUTH_PRIVATE_KEY_PEM;

function create(): EvrmoreAuth {
  return createEvrmoreAuth({
    domain: new URL(origin).host,
    uri: origin,
    statement: 'Sign in to the evrmore-auth Next.js example.',
    // The only origin whose cookie-authenticated unsafe requests (server actions, form posts) are
    // accepted: the app itself.
    allowedOrigins: [origin],
    accessTokenTtlSeconds: accessTtl,
    // HttpOnly session cookie (SameSite=Lax, __Host- when secure) that server components read.
    sessionCookie: true,
    // Secure cookies need https (browsers make an exception for http://localhost only). The tests
    // run the app on http://127.0.0.1, so Secure is on only when the origin is https. In
    // production serve the app over https and keep it on.
    cookies: { secure: origin.startsWith('https:') },
    // The client IP (rate limits, the session list). Next hands route handlers no TCP peer, and
    // `next start` puts the peer into x-forwarded-for only when the request has none, so that
    // header is the client's to forge: behind a reverse proxy, name the header it overwrites
    // with the client's address (EVRMORE_AUTH_IP_HEADER=x-real-ip). Without one, development
    // runs without client IPs; production refuses auth requests it cannot key by IP.
    ...(ipHeader ? { trustedProxies: { header: ipHeader } } : {}),
    // One process, so the memory store; with several, use the Redis or Postgres store.
    store: createMemoryStore(),
    // With a key from the environment this runs as production (keys required, client IPs
    // required); without one the server generates ephemeral keys at start and warns (every
    // session ends with the process), which is for development and tests only.
    production: privateKey !== undefined,
    ...(privateKey ? { keys: [{ kid: 'app-1', privateKey }] } : {}),
  });
}

const g = globalThis as { evrmoreAuthExample?: EvrmoreAuth };
export const evrmore: EvrmoreAuth = (g.evrmoreAuthExample ??= create());

export const { handlers, auth, requireAuth, proxy } = evrmoreAuthNext(evrmore, {
  protect: { pages: ['/dashboard'], api: ['/api/notes'] },
  signInPath: '/',
});
