// Request and response schemas of the `/api-keys` routes (and the facade's input), valibot: the
// routes validate with them and the OpenAPI document is generated from them.
import { inIpRanges, parseIp, parseIpRange } from '../proxy.js';
import * as v from 'valibot';
import { API_KEY_ID_PATTERN, API_KEY_PATTERN } from './format.js';
import { PERMISSION } from './config.js';

/** An IP address or CIDR range (`203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32`). */
export function isIpRange(entry: unknown): entry is string {
  return typeof entry === 'string' && entry.length <= 64 && parseIpRange(entry) !== null;
}

/** Whether `ip` (a normalised client IP, or `null` when unknown) is in one of `list`'s ranges. */
export function ipAllowed(ip: string | null, list: readonly string[]): boolean {
  const address = ip === null ? null : parseIp(ip);
  if (address === null) return false;
  return inIpRanges(
    address,
    list.map(parseIpRange).filter((r) => r !== null),
  );
}

const PERMISSION_MESSAGE = 'must be a permission (1-128 printable characters, no spaces)';
const Permission = v.pipe(
  v.string(PERMISSION_MESSAGE),
  v.regex(PERMISSION, PERMISSION_MESSAGE),
  v.description('A permission: 1-128 printable ASCII characters without spaces.'),
);

const text = (max: number) => {
  const message = `must be a string of 1-${max} characters`;
  return v.pipe(v.string(message), v.minLength(1, message), v.maxLength(max, message));
};
const IP_MESSAGE = 'must be an IP address or CIDR range like 10.0.0.0/8';
const LIFETIME_MESSAGE = 'must be an integer number of seconds from 60 to 315360000 (10 years)';

/** `POST /api-keys` body (and `auth.apiKeys.create`'s input). Messages name no field (the
 *  caller's error does) and never echo a value. */
export const CreateApiKeyBodySchema = v.strictObject(
  {
    owner: v.optional(
      v.pipe(
        text(128),
        v.description(
          "Whose key it is: the identity's address when the key is used. Default: the caller's address.",
        ),
      ),
    ),
    name: v.optional(text(100)),
    permissions: v.pipe(
      v.array(Permission, 'must be a list of permissions'),
      v.maxLength(64, 'must hold at most 64 permissions'),
      v.description(
        "What the key may do (the identity's claims.permissions). Over HTTP, only permissions the caller holds itself.",
      ),
    ),
    expiresInSeconds: v.optional(
      v.pipe(
        v.number(LIFETIME_MESSAGE),
        v.integer(LIFETIME_MESSAGE),
        v.minValue(60, LIFETIME_MESSAGE),
        v.maxValue(10 * 365 * 86_400, LIFETIME_MESSAGE),
      ),
    ),
    ipAllowList: v.optional(
      v.pipe(
        v.array(
          v.pipe(
            v.string(IP_MESSAGE),
            v.regex(/^[0-9A-Fa-f:.]{2,45}(?:\/\d{1,3})?$/, IP_MESSAGE),
            v.check((entry: string) => isIpRange(entry), IP_MESSAGE),
            v.description('An IP address or CIDR range, e.g. 203.0.113.7 or 10.0.0.0/8.'),
          ),
          'must be a list of IP addresses or CIDR ranges',
        ),
        v.minLength(1, 'must hold 1-64 addresses or ranges'),
        v.maxLength(64, 'must hold 1-64 addresses or ranges'),
        v.description('Where the key may be used from; without it, anywhere.'),
      ),
    ),
  },
  (issue) =>
    issue.expected === 'never'
      ? 'is not a known field (owner, name, permissions, expiresInSeconds, ipAllowList)'
      : issue.path?.length
        ? 'is required'
        : 'must be an object { owner, permissions, … }',
);

/** An RFC 3339 UTC timestamp as the server writes it. */
const Timestamp = v.pipe(v.string(), v.isoTimestamp());

/** `{id}` of `DELETE /api-keys/{id}`. */
export const ApiKeyIdSchema = v.pipe(v.string(), v.regex(new RegExp(`^${API_KEY_ID_PATTERN}$`)));

/** An API key as the routes report it (never the secret nor its hash). */
export const ApiKeyInfoSchema = v.strictObject({
  id: ApiKeyIdSchema,
  prefix: v.pipe(v.string(), v.description('`evak_<id>`: the start of the key, to recognise it.')),
  owner: v.string(),
  name: v.nullable(v.string()),
  permissions: v.array(v.string()),
  createdAt: Timestamp,
  expiresAt: v.nullable(Timestamp),
  ipAllowList: v.nullable(v.array(v.string())),
  revokedAt: v.nullable(Timestamp),
  lastUsedAt: v.nullable(Timestamp),
});

/** `POST /api-keys` 201 body: the key, shown this once. */
export const ApiKeyCreatedSchema = v.strictObject({
  key: v.pipe(
    v.string(),
    v.regex(new RegExp(`^${API_KEY_PATTERN}$`)),
    v.description('The API key, shown this once (only its hash is stored).'),
  ),
  apiKey: ApiKeyInfoSchema,
});

/** `GET /api-keys` 200 body. */
export const ApiKeysResponseSchema = v.strictObject({ apiKeys: v.array(ApiKeyInfoSchema) });
