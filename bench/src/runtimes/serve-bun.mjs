// Bun: Bun.serve in front of auth.handler, as examples/runtimes/bun.ts.
/* global Bun */
import { benchAuth } from './bench-auth.mjs';

const auth = benchAuth(process.env);
await auth.ready();
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT),
  fetch: (request, srv) => auth.handler(request, { ip: srv.requestIP(request)?.address }),
});
console.log(`ready ${server.port} backend=${auth.config.backend.name}`);
