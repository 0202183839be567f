// Deno: Deno.serve in front of auth.handler, as examples/runtimes/deno.ts.
/* global Deno */
import { benchAuth } from './bench-auth.mjs';

const auth = benchAuth({ ORIGIN: Deno.env.get('ORIGIN'), AUTH_JWK: Deno.env.get('AUTH_JWK') });
await auth.ready();
Deno.serve(
  {
    hostname: '127.0.0.1',
    port: Number(Deno.env.get('PORT')),
    onListen: ({ port }) => console.log(`ready ${port} backend=${auth.config.backend.name}`),
  },
  (request, info) => auth.handler(request, { ip: info.remoteAddr.hostname }),
);
