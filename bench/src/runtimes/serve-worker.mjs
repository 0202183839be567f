// workerd: a Worker module in front of auth.handler (one isolate, memory store), the client IP from
// cf-connecting-ip (the load generator sends none: the bench runs in development mode, where an
// unknown IP shares one key, and rate limits are off anyway).
import { benchAuth } from './bench-auth.mjs';

let auth;
export default {
  fetch(request, env) {
    auth ??= benchAuth(env);
    // What the bench prints in its backend column (the other servers say it in their ready line).
    if (new URL(request.url).pathname === '/__backend')
      return new Response(auth.config.backend.name);
    return auth.handler(request, { ip: request.headers.get('cf-connecting-ip') });
  },
};
