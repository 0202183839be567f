// An evrmore-auth server on Cloudflare Workers: /auth/* is the auth API, GET /api/me a protected
// route. Every isolate of the Worker shares one store, a Durable Object (README.md).
import { env } from 'cloudflare:workers';
import { createEvrmoreAuth, type KeyConfig } from '@evrmore-auth/server';
import { durableObjectStore } from '@evrmore-auth/server/cloudflare';

// The store's Durable Object class: wrangler.jsonc binds it as AUTH_STORE, and a Worker's main
// module must export every class it binds.
export { EvrmoreAuthStoreObject } from '@evrmore-auth/server/cloudflare';

/** The signing keys from the AUTH_KEYS secret; the error names the secret, never its value. */
function signingKeys(json: string | undefined): KeyConfig[] {
  try {
    const keys: unknown = JSON.parse(json ?? '');
    if (Array.isArray(keys)) return keys as KeyConfig[];
  } catch {
    // fall through to the one error below
  }
  throw new TypeError(
    'AUTH_KEYS must be a JSON array of keys: set it with `wrangler secret put AUTH_KEYS` (README.md)',
  );
}

/** An optional numeric var; createEvrmoreAuth rejects a value that is not a number in range. */
const numberVar = (value: string | undefined): number | undefined =>
  value === undefined || value === '' ? undefined : Number(value);
const challengesPerMinute = numberVar(env.CHALLENGES_PER_IP_PER_MINUTE) ?? 30;
const refreshGraceSeconds = numberVar(env.REFRESH_GRACE_SECONDS);

// Created once per isolate, at module scope: `env` comes from `cloudflare:workers` (bindings and
// secrets are readable at import time; only I/O, timers and random bytes are not), and creating
// the auth does none of those: its keys are imported on the first request, and the store talks
// to its Durable Object only when asked. A Worker without the `cloudflare:workers` import would
// create it lazily in `fetch(request, env)` and keep it in a module variable instead.
// createEvrmoreAuth validates the configuration here, so a bad var or secret fails the Worker at
// start-up (and `wrangler deploy`), not on a user's request.
const auth = createEvrmoreAuth({
  domain: new URL(env.ORIGIN).host,
  uri: env.ORIGIN,
  keys: signingKeys(env.AUTH_KEYS),
  // One Durable Object holds challenges, sessions, revocations and rate limits for every isolate.
  store: durableObjectStore(env.AUTH_STORE),
  // Cloudflare's edge sets cf-connecting-ip to the client's address, overwriting one a client
  // sent, so it is the client IP that rate limits key on. Locally (workerd, `wrangler dev`) there
  // is no edge: whatever a client sends in it is believed.
  trustedProxies: { header: 'cf-connecting-ip' },
  rateLimits: { challenge: { perIp: { points: challengesPerMinute, duration: 60 } } },
  ...(refreshGraceSeconds === undefined ? {} : { refreshGraceSeconds }),
});

export default {
  async fetch(request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === auth.basePath || pathname.startsWith(`${auth.basePath}/`))
      return auth.handler(request);
    if (pathname === '/api/me' && request.method === 'GET') {
      try {
        const { address, sessionId } = await auth.authenticate(request);
        return Response.json({ address, sessionId });
      } catch (error) {
        // 401 with WWW-Authenticate: Bearer for a missing, expired, revoked or forged token.
        return auth.errorResponse(error, request);
      }
    }
    return new Response('Not found', { status: 404 });
  },
} satisfies ExportedHandler<Cloudflare.Env>;
