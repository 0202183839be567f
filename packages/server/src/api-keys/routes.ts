// `POST /api-keys`, `GET /api-keys` and `DELETE /api-keys/{id}` (issue 19): API-key management
// for callers holding the manage permission (a session's token, or an API key that has it).
import { authenticateRequest, type AuthIdentity } from '../authenticate.js';
import { authError } from '../errors.js';
import { readJsonBody } from '../http/body.js';
import { respond } from '../http/reply.js';
import type { RequestContext } from '../http/request.js';
import type { Route } from '../http/router.js';
import { eventBase, type AuthRuntime } from '../runtime.js';
import { parseBody } from '../schemas.js';
import type { ApiKeyRecord } from '../store.js';
import { API_KEY_ID_PATTERN } from './format.js';
import { CreateApiKeyBodySchema } from './schemas.js';
import { createApiKey, revokeApiKey } from './service.js';

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** A record as the routes report it: never the hash. */
export function apiKeyInfo(r: ApiKeyRecord) {
  return {
    id: r.id,
    prefix: r.prefix,
    owner: r.owner,
    name: r.name,
    permissions: r.permissions,
    createdAt: new Date(r.createdAt).toISOString(),
    expiresAt: iso(r.expiresAt),
    ipAllowList: r.ipAllowList,
    revokedAt: iso(r.revokedAt),
    lastUsedAt: iso(r.lastUsedAt),
  };
}

/** The API-key routes; none unless `apiKeys` is enabled with `routes`. */
export function apiKeyRoutes(rt: AuthRuntime): Route[] {
  const cfg = rt.config.apiKeys;
  if (cfg === null || !cfg.routes || rt.apiKeys === null) return [];
  const store = rt.apiKeys.store;
  const manager = (ctx: RequestContext): Promise<AuthIdentity> =>
    authenticateRequest(
      rt,
      ctx.request,
      { permissions: [cfg.managePermission], apiKeys: true, ip: ctx.ip },
      ctx,
    );
  return [
    {
      pattern: /^\/api-keys$/,
      bearer: true,
      methods: {
        POST: async (ctx) => {
          const caller = await manager(ctx);
          const input = parseBody(
            CreateApiKeyBodySchema,
            await readJsonBody(ctx.request, { allowEmpty: false }),
          );
          // Nobody grants what they do not hold (a key cannot mint a stronger key).
          const held = Array.isArray(caller.claims.permissions)
            ? (caller.claims.permissions as unknown[])
            : [];
          const extra = input.permissions.filter((p) => !held.includes(p));
          if (extra.length > 0)
            throw authError('insufficient_scope', {
              detail: 'a key can only be given permissions the caller holds',
            });
          const { key, record } = await createApiKey(
            rt,
            { ...input, owner: input.owner ?? caller.address },
            eventBase(ctx),
          );
          return respond(ctx, 201, { key, apiKey: apiKeyInfo(record) });
        },
        GET: async (ctx) => {
          await manager(ctx);
          const owners = new URL(ctx.request.url).searchParams.getAll('owner');
          if (
            owners.length > 1 ||
            (owners[0] !== undefined && (owners[0] === '' || owners[0].length > 128))
          )
            throw authError('invalid_request', {
              detail: 'owner must be given at most once, 1-128 characters',
            });
          const keys = await store.listApiKeys(owners[0]);
          return respond(ctx, 200, { apiKeys: keys.map(apiKeyInfo) });
        },
      },
    },
    {
      pattern: new RegExp(`^/api-keys/(${API_KEY_ID_PATTERN})$`),
      bearer: true,
      methods: {
        DELETE: async (ctx, [id]) => {
          await manager(ctx);
          if ((await store.getApiKey(id!)) === null) throw authError('not_found');
          await revokeApiKey(rt, id!, eventBase(ctx));
          return respond(ctx, 204, null);
        },
      },
    },
  ];
}
