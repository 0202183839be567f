// One fetch handler for every runtime: the auth routes under `/auth`, and an application route
// guarded by `auth.authenticate`. The runtime's entry passes the client IP it knows.
import type { EvrmoreAuth } from '@evrmore-auth/server';

/** A fetch handler that also takes the client IP (the TCP peer's address, from the runtime). */
export type AppHandler = (request: Request, ip: string | undefined) => Promise<Response>;

/**
 * The application: `auth.handler` for the auth routes (rate limits are keyed by `ip`), and
 * `GET /api/me` answering the signed-in address (bearer token + fingerprint cookie).
 *
 * @example
 * ```ts
 * const app = createApp(authFromEnv(process.env));
 * const response = await app(request, '203.0.113.7');
 * ```
 */
export function createApp(auth: EvrmoreAuth): AppHandler {
  return async (request, ip) => {
    const { pathname } = new URL(request.url);
    if (pathname === auth.basePath || pathname.startsWith(`${auth.basePath}/`))
      return auth.handler(request, { ip });
    if (pathname === '/api/me' && request.method === 'GET') {
      try {
        const { address } = await auth.authenticate(request);
        return Response.json({ address });
      } catch (error) {
        return auth.errorResponse(error, request);
      }
    }
    return new Response('not found\n', { status: 404 });
  };
}
