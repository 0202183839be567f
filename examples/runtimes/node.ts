// Node: `node node.ts` (Node ≥ 22.18 strips the types itself), `node --import tsx node.ts` on
// Node 20. The client IP is the TCP peer, the request socket's `remoteAddress`.
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { authFromEnv, listenAddress } from './env-config.ts';

const auth = authFromEnv(process.env);
await auth.ready(); // a bad AUTH_JWK fails here, at start-up
const app = createApp(auth);

serve(
  {
    ...listenAddress(process.env),
    fetch: (request, env) => app(request, env.incoming.socket.remoteAddress),
  },
  ({ port }) => console.log(`ready ${port} backend=${auth.config.backend.name}`),
);
