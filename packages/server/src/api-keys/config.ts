// The `apiKeys` option of createEvrmoreAuth: validated at start-up (resolveConfig), kept on the
// resolved configuration (`config.apiKeys`).
import * as v from 'valibot';
import { boolean, integer, options, parseOptions } from '../config/validate.js';

/**
 * The `apiKeys` option of `createEvrmoreAuth`: API keys for machine clients and admin operations
 * (PROTOCOL.md §13). Off by default; on, `authenticate(request, { apiKeys: true })` and the
 * adapters' `requireAuth(auth, { apiKeys: true })` accept `Authorization: ApiKey evak_…`, and the
 * `/api-keys` routes manage keys for callers holding `managePermission`.
 *
 * @example
 * ```ts
 * createEvrmoreAuth({ domain: 'example.com', keys, store, apiKeys: { enabled: true } });
 * ```
 */
export interface ApiKeysConfig {
  /** Accept API keys where the application opts in, and serve the `/api-keys` routes. @default false */
  enabled?: boolean;
  /** The permission the `/api-keys` routes require of the caller. @default 'api-keys:manage' */
  managePermission?: string;
  /** Serve `POST /api-keys`, `GET /api-keys` and `DELETE /api-keys/{id}`. @default true */
  routes?: boolean;
  /**
   * A key's `lastUsedAt` is written at most once per this many seconds per instance (the
   * `api_key.used` event with it); 0: on every use.
   * @default 60
   */
  lastUsedIntervalSeconds?: number;
}

/**
 * {@link ApiKeysConfig} after validation, when enabled.
 *
 * @example
 * ```ts
 * auth.config.apiKeys?.managePermission; // 'api-keys:manage'
 * ```
 */
export interface ResolvedApiKeysConfig {
  /** The permission the `/api-keys` routes require. */
  managePermission: string;
  /** Whether the `/api-keys` routes are served. */
  routes: boolean;
  /** Seconds between two `lastUsedAt` writes of one key (per instance). */
  lastUsedIntervalSeconds: number;
}

/** A permission: 1-128 printable ASCII characters without spaces. */
export const PERMISSION = /^[\x21-\x7e]{1,128}$/;

const API_KEYS_CONFIG = options({
  enabled: v.optional(boolean, false),
  managePermission: v.optional(
    v.pipe(
      v.string('must be a permission (1-128 printable characters, no spaces)'),
      v.regex(PERMISSION, 'must be a permission (1-128 printable characters, no spaces)'),
    ),
    'api-keys:manage',
  ),
  routes: v.optional(boolean, true),
  lastUsedIntervalSeconds: v.optional(integer(0, 86_400), 60),
});

/** Validate the `apiKeys` option; `null` when absent or not enabled. TypeError on bad input. */
export function resolveApiKeysConfig(value: unknown): ResolvedApiKeysConfig | null {
  if (value === undefined) return null;
  const c = parseOptions('createEvrmoreAuth', API_KEYS_CONFIG, value, { root: 'apiKeys' });
  if (!c.enabled) return null;
  return {
    managePermission: c.managePermission,
    routes: c.routes,
    lastUsedIntervalSeconds: c.lastUsedIntervalSeconds,
  };
}
