// Node (any version): @hono/node-server in front of auth.handler, as examples/runtimes/node.ts.
import { serve } from '@hono/node-server';
import { benchAuth } from './bench-auth.mjs';

const auth = benchAuth(process.env);
await auth.ready();
serve(
  {
    fetch: (request, env) => auth.handler(request, { ip: env.incoming.socket.remoteAddress }),
    hostname: '127.0.0.1',
    port: Number(process.env.PORT),
  },
  (info) => console.log(`ready ${info.port} backend=${auth.config.backend.name}`),
);
