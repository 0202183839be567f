// GET /openapi.json: the OpenAPI 3.1 document of these routes, when `openapi: true`.
import { jsonReply, baseHeaders } from '../http/reply.js';
import type { Route } from '../http/router.js';
import type { AuthRuntime } from '../runtime.js';

export function openapiRoutes(rt: AuthRuntime): Route[] {
  if (!rt.config.openapi) return [];
  let body: object | undefined;
  return [
    {
      pattern: /^\/openapi\.json$/,
      methods: {
        GET: async (ctx) => {
          // Loaded on first use: servers without `openapi: true` never load the converter.
          body ??= (await import('../openapi/document.js')).buildOpenApiDocument(rt.config);
          return jsonReply(200, body, baseHeaders(ctx));
        },
      },
    },
  ];
}
