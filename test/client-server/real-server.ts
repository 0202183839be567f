// The real server of @evrmore-auth/server, configured for a loopback origin (shared by the Node
// cross-package test and the browser test).
import { createEvrmoreAuth } from '@evrmore-auth/server';

/** What the tests use of the server. */
export interface RealAuth {
  handler(request: Request): Promise<Response>;
  authenticate(request: Request): Promise<unknown>;
}

/** Options of {@link createRealAuth}. */
export interface RealAuthOptions {
  /** The page/app origin, e.g. `http://localhost:43123`. */
  origin: string;
  /** @default 900 */
  accessTokenTtlSeconds?: number;
  /** The server's clock. @default Date.now */
  now?: () => number;
}

/** The real handler for `origin`: domain and URI from it, memory store, development keys. */
export async function createRealAuth(options: RealAuthOptions): Promise<RealAuth> {
  const url = new URL(options.origin);
  const auth = createEvrmoreAuth({
    domain: url.host,
    uri: url.origin,
    statement: 'Sign in to the evrmore-auth test app.',
    production: false,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 900,
    ...(options.now ? { now: options.now } : {}),
    // Quiet: the development-key warning is expected here.
    logger: {
      warn: () => undefined,
      info: () => undefined,
      error: () => undefined,
      debug: () => undefined,
    } as never,
  });
  return {
    handler: (request) => auth.handler(request),
    authenticate: (request) => auth.authenticate(request),
  };
}
