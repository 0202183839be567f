// API keys (issue 19): create (the key shown once, only its SHA-256 stored), list, revoke, and the
// check `authenticate(request, { apiKeys: true })` runs: lookup by id, constant-time comparison of
// the secret's hash, revocation and expiry read from the store on every use (no cache: a revocation
// made on any instance holds at once), the key's IP allow list, and a per-IP lock-out after failed
// attempts (rate-limit.ts). No key, secret or hash ever reaches an event or a log.
import { EvrmoreAuthError, type ErrorCode } from '@evrmore-auth/core';
import type { LRUCache } from 'lru-cache';
import type { AuthIdentity, AuthenticateRequest } from '../authenticate.js';
import { parseOptions } from '../config/validate.js';
import { sha256Base64Url, timingSafeEqualString } from '../crypto.js';
import { authError } from '../errors.js';
import { clientIp } from '../proxy.js';
import type { AuthRuntime } from '../runtime.js';
import { createActivityTracker } from '../session-policy.js';
import type { ApiKeyRecord, ApiKeyStore, AuthStore } from '../store.js';
import type { ResolvedApiKeysConfig } from './config.js';
import { generateApiKey, parseApiKey } from './format.js';
import { CreateApiKeyBodySchema, ipAllowed } from './schemas.js';

/**
 * Input of `auth.apiKeys.create`.
 *
 * @example
 * ```ts
 * const input: CreateApiKeyInput = { owner: 'deploy-bot', permissions: ['deploys:write'], expiresInSeconds: 86_400 };
 * ```
 */
export interface CreateApiKeyInput {
  /** Whose key it is: the identity's `address` when the key is used (an address or a name, 1-128 characters). */
  owner: string;
  /** What the key may do (its identity's `claims.permissions`); may be empty. */
  permissions: string[];
  /** Lifetime in seconds (60 s to 10 years). @default none (the key does not expire) */
  expiresInSeconds?: number;
  /** IP addresses and CIDR ranges the key may be used from (1-64 entries). @default anywhere */
  ipAllowList?: string[];
  /** A label for people (1-100 characters). @default none */
  name?: string;
}

/**
 * What `auth.apiKeys.create` returns: the key (shown this once: only its hash is stored) and the
 * stored record.
 *
 * @example
 * ```ts
 * const { key, record } = await auth.apiKeys.create({ owner, permissions: ['reports:read'] });
 * console.log(`give this to the client once: ${key}; list it as ${record.prefix}…`);
 * ```
 */
export interface CreatedApiKey {
  /** The whole key, `evak_<id>_<secret>`. Show it once; it cannot be recovered. */
  key: string;
  /** The stored record (with the secret's hash, never the secret). */
  record: ApiKeyRecord;
}

/**
 * `auth.apiKeys`: manage API keys from server code (the `/api-keys` routes do the same over HTTP
 * for callers holding the manage permission). Rejects with a TypeError when `apiKeys` is not
 * enabled.
 *
 * @example
 * ```ts
 * const { key } = await auth.apiKeys.create({ owner: 'ci', permissions: ['deploys:write'] });
 * for (const k of await auth.apiKeys.list('ci')) if (k.id !== keep) await auth.apiKeys.revoke(k.id);
 * ```
 */
export interface ApiKeys {
  /** Create a key; the input is validated (TypeError naming the field). */
  create(input: CreateApiKeyInput): Promise<CreatedApiKey>;
  /** The keys of `owner` (every key without it), revoked and expired ones included, newest first. */
  list(owner?: string): Promise<ApiKeyRecord[]>;
  /** Revoke a key at once, on every instance sharing the store; `false` when unknown or already revoked. */
  revoke(id: string): Promise<boolean>;
}

/** API keys' part of the runtime. Internal. */
export interface ApiKeysRuntime {
  config: ResolvedApiKeysConfig;
  store: ApiKeyStore;
  /** When this instance last wrote each key's `lastUsedAt` (bounded). */
  touched: LRUCache<string, number>;
}

const METHODS = ['putApiKey', 'getApiKey', 'listApiKeys', 'revokeApiKey', 'touchApiKey'] as const;

/** The runtime of `config` over `store`; TypeError when the store keeps no API keys. */
export function createApiKeysRuntime(
  config: ResolvedApiKeysConfig | null,
  store: AuthStore,
): ApiKeysRuntime | null {
  if (config === null) return null;
  const missing = METHODS.find((m) => typeof store[m] !== 'function');
  if (missing !== undefined)
    throw new TypeError(
      `createEvrmoreAuth: apiKeys needs a store that keeps API keys (store.${missing} is missing)`,
    );
  return {
    config,
    store: store as AuthStore & ApiKeyStore,
    touched: createActivityTracker(),
  };
}

/** The event fields of who acted. */
export interface EventOrigin {
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

const NO_ORIGIN: EventOrigin = { requestId: null, ip: null, userAgent: null };

function need(rt: AuthRuntime): ApiKeysRuntime {
  if (rt.apiKeys === null)
    throw new TypeError(
      'API keys are off: createEvrmoreAuth({ apiKeys: { enabled: true }, … }) to use them',
    );
  return rt.apiKeys;
}

/** Create a key for already-validated input. */
export async function createApiKey(
  rt: AuthRuntime,
  input: CreateApiKeyInput,
  origin: EventOrigin = NO_ORIGIN,
): Promise<CreatedApiKey> {
  const ak = need(rt);
  const now = rt.config.now();
  const { id, secret, key } = generateApiKey(rt.config.randomBytes);
  const record: ApiKeyRecord = {
    id,
    prefix: `evak_${id}`,
    hash: await sha256Base64Url(secret),
    owner: input.owner,
    name: input.name ?? null,
    permissions: [...new Set(input.permissions)],
    createdAt: now,
    expiresAt: input.expiresInSeconds === undefined ? null : now + input.expiresInSeconds * 1000,
    ipAllowList: input.ipAllowList ? [...input.ipAllowList] : null,
    revokedAt: null,
    lastUsedAt: null,
  };
  await ak.store.putApiKey(record);
  rt.events.emit({
    type: 'api_key.created',
    ...origin,
    address: record.owner,
    keyId: id,
    detail: { permissions: record.permissions.join(' '), expires: record.expiresAt !== null },
  });
  return { key, record };
}

/** The facade `auth.apiKeys`. */
export function apiKeysFacade(rt: AuthRuntime): ApiKeys {
  return {
    async create(input) {
      need(rt);
      const parsed = parseOptions('apiKeys.create', CreateApiKeyBodySchema, input);
      if (parsed.owner === undefined)
        throw new TypeError('apiKeys.create: owner must be a string of 1-128 characters');
      return createApiKey(rt, { ...parsed, owner: parsed.owner });
    },
    list: async (owner) => need(rt).store.listApiKeys(owner),
    revoke: (id) => revokeApiKey(rt, id),
  };
}

/** Revoke a key (from the store, so every instance sees it at once). */
export async function revokeApiKey(
  rt: AuthRuntime,
  id: string,
  origin: EventOrigin = NO_ORIGIN,
): Promise<boolean> {
  const ak = need(rt);
  if (typeof id !== 'string') throw new TypeError('apiKeys.revoke: id must be a string');
  const revoked = await ak.store.revokeApiKey(id, rt.config.now());
  if (revoked) rt.events.emit({ type: 'api_key.revoked', ...origin, keyId: id });
  return revoked;
}

/** A placeholder hash compared against when the id is unknown (same work either way). */
const NO_HASH = 'x'.repeat(43);

/**
 * Authenticate `key` (the text after `ApiKey `): the identity of its owner with the key's
 * permissions. Throws `rate_limited` (the client's network is locked out after failed attempts),
 * `api_key_invalid` (counted towards that lock-out), `api_key_revoked`, `api_key_expired`,
 * `api_key_ip_forbidden` or `unavailable`.
 */
export async function authenticateApiKey(
  rt: AuthRuntime,
  request: AuthenticateRequest,
  key: string,
  peer: string | null | undefined,
): Promise<AuthIdentity> {
  const ak = need(rt);
  const { config } = rt;
  const ip = clientIp(request, peer, config.trustedProxies);
  const origin: EventOrigin = {
    requestId: null,
    ip,
    userAgent: request.headers.get('user-agent'),
  };
  const refuse = (code: ErrorCode, keyId?: string): EvrmoreAuthError => {
    rt.events.emit({
      type: 'api_key.refused',
      ...origin,
      code,
      ...(keyId === undefined ? {} : { keyId }),
    });
    return authError(code);
  };
  // A locked-out network is refused before any work (and spends nothing).
  try {
    await rt.rateLimits.checkApiKey({ ip });
  } catch (err) {
    if (err instanceof EvrmoreAuthError && err.code === 'rate_limited')
      rt.events.emit({
        type: 'rate_limited',
        ...origin,
        code: 'rate_limited',
        detail: { route: 'api-key' },
      });
    throw err;
  }
  const parsed = parseApiKey(key);
  const record = parsed === null ? null : await ak.store.getApiKey(parsed.id);
  const presented = parsed === null ? '' : await sha256Base64Url(parsed.secret);
  const matches = timingSafeEqualString(presented, record?.hash ?? NO_HASH) && record !== null;
  if (!matches) {
    await rt.rateLimits.recordApiKeyFailure({ ip });
    throw refuse('api_key_invalid', record?.id);
  }
  const now = config.now();
  if (record.revokedAt !== null) throw refuse('api_key_revoked', record.id);
  if (record.expiresAt !== null && now >= record.expiresAt)
    throw refuse('api_key_expired', record.id);
  if (record.ipAllowList !== null && !ipAllowed(ip, record.ipAllowList))
    throw refuse('api_key_ip_forbidden', record.id);
  await touch(rt, ak, record, now, origin);
  return {
    address: record.owner,
    sessionId: record.id,
    kind: 'api-key',
    keyId: record.id,
    claims: {
      iss: config.issuer,
      aud: config.audience,
      sub: record.owner,
      sid: record.id,
      fgp: '',
      iat: Math.floor(record.createdAt / 1000),
      ...(record.expiresAt === null ? {} : { exp: Math.floor(record.expiresAt / 1000) }),
      permissions: [...record.permissions],
    },
  };
}

/** Record the use (at most once per interval per key on this instance; best effort). */
async function touch(
  rt: AuthRuntime,
  ak: ApiKeysRuntime,
  record: ApiKeyRecord,
  now: number,
  origin: EventOrigin,
): Promise<void> {
  const last = ak.touched.get(record.id);
  if (last !== undefined && now - last < ak.config.lastUsedIntervalSeconds * 1000) return;
  ak.touched.set(record.id, now);
  try {
    await ak.store.touchApiKey(record.id, now);
  } catch (err) {
    rt.logger?.warn(
      { keyId: record.id, err: (err as Error).name },
      'evrmore-auth: lastUsedAt not recorded',
    );
  }
  rt.events.emit({ type: 'api_key.used', ...origin, address: record.owner, keyId: record.id });
}
