// Deno: `deno run --allow-net=127.0.0.1 --allow-env --allow-read deno.ts` (deno.json makes Deno
// use node_modules; add --allow-ffi scoped to the secp256k1 addon for the native backend, see
// README.md). The client IP is the TCP peer, `info.remoteAddr`.
import { createApp } from './app.ts';
import { authFromEnv, listenAddress } from './env-config.ts';

const env = Deno.env.toObject();
const auth = authFromEnv(env);
await auth.ready(); // a bad AUTH_JWK fails here, at start-up
const app = createApp(auth);

Deno.serve(
  {
    ...listenAddress(env),
    onListen: ({ port }) => console.log(`ready ${port} backend=${auth.config.backend.name}`),
  },
  (request, info) => app(request, info.remoteAddr.hostname),
);
