// GET /openapi.json: the OpenAPI 3.1 document of these routes, when `openapi: true`.
import { jsonReply, baseHeaders } from '../http/reply.js';
import type { Route } from '../http/router.js';
import { buildOpenApiDocument } from '../openapi/document.js';
import type { AuthRuntime } from '../runtime.js';

export function openapiRoutes(rt: AuthRuntime): Route[] {
  if (!rt.config.openapi) return [];
  let body: unknown;
  return [
    {
      pattern: /^\/openapi\.json$/,
      methods: {
        GET: async (ctx) => {
          body ??= buildOpenApiDocument(rt.config);
          return jsonReply(200, body, baseHeaders(ctx));
        },
      },
    },
  ];
}
