// Bun: `bun run bun.ts`. The client IP is the TCP peer, from `server.requestIP(request)`.
import { createApp } from './app.ts';
import { authFromEnv, listenAddress } from './env-config.ts';

const auth = authFromEnv(process.env);
await auth.ready(); // a bad AUTH_JWK fails here, at start-up
const app = createApp(auth);

const server = Bun.serve({
  ...listenAddress(process.env),
  fetch: (request, server) => app(request, server.requestIP(request)?.address),
});
console.log(`ready ${server.port} backend=${auth.config.backend.name}`);
