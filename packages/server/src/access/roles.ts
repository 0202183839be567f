// Roles → permissions: the `roles` map of the configuration, resolved into the access token's
// `roles` and `permissions` claims at sign-in and at every refresh, and the role/permission check
// of `authenticate` and the adapters' `requireAuth`.
import * as v from 'valibot';
import type { ClaimsContext, ExtraClaims } from '../config.js';
import { fn, parseOptions } from '../config/validate.js';
import { authError } from '../errors.js';

/**
 * The roles map: role name → the permissions it grants.
 *
 * @example
 * ```ts
 * const roles: RolesConfig = {
 *   viewer: ['posts:read'],
 *   admin: ['posts:read', 'posts:write', 'api-keys:manage'],
 * };
 * ```
 */
export type RolesConfig = Record<string, readonly string[]>;

/**
 * Which roles an address has (asked at sign-in and at every refresh, so a change reaches the
 * next access token). Names that are not in the `roles` map are dropped with a warning.
 *
 * @example
 * ```ts
 * const rolesOf: RolesProvider = async (address) => (admins.has(address) ? ['admin'] : []);
 * ```
 */
export type RolesProvider = (
  address: string,
  context: ClaimsContext,
) => readonly string[] | undefined | Promise<readonly string[] | undefined>;

/** The validated roles configuration. Internal. */
export interface ResolvedRoles {
  /** role → its permissions */
  map: ReadonlyMap<string, readonly string[]>;
  /** Roles every signed-in address has. */
  defaultRoles: readonly string[];
  /** The application's provider; `undefined`: the claims provider's `roles` claim. */
  rolesOf: RolesProvider | undefined;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9:._*/-]{0,127}$/;
const name = (what: string) =>
  v.pipe(v.string(`must be a ${what} name`), v.regex(NAME, `must be a ${what} name`));

const ROLES = v.record(
  name('role'),
  v.array(name('permission'), 'must be an array of permissions'),
);

const ROLE_OPTIONS = v.object({
  roles: v.optional(
    v.pipe(
      v.custom<RolesConfig>(
        (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
        'must be an object { role: [permissions] }',
      ),
      ROLES,
    ),
  ),
  defaultRoles: v.optional(v.array(name('role'), 'must be an array of role names')),
  rolesOf: v.optional(fn<RolesProvider>()),
});

/**
 * Validate `roles`, `defaultRoles` and `rolesOf` of the configuration (a TypeError naming the
 * option, at start-up); `null` when no roles map is configured.
 */
export function resolveRoles(config: {
  roles?: RolesConfig | undefined;
  defaultRoles?: readonly string[] | undefined;
  rolesOf?: RolesProvider | undefined;
}): ResolvedRoles | null {
  const c = parseOptions('createEvrmoreAuth', ROLE_OPTIONS, config);
  if (c.roles === undefined) {
    if (c.defaultRoles !== undefined || c.rolesOf !== undefined)
      throw new TypeError('createEvrmoreAuth: defaultRoles and rolesOf need a roles map');
    return null;
  }
  const map = new Map(Object.entries(c.roles).map(([role, perms]) => [role, [...new Set(perms)]]));
  const defaultRoles = c.defaultRoles ?? [];
  for (const role of defaultRoles) assertKnownRole(map, role, 'createEvrmoreAuth: defaultRoles');
  return { map, defaultRoles, rolesOf: c.rolesOf };
}

/** TypeError unless `role` is in the roles map. */
export function assertKnownRole(
  map: ReadonlyMap<string, readonly string[]>,
  role: string,
  where: string,
): void {
  if (!map.has(role))
    throw new TypeError(
      `${where}: unknown role ${JSON.stringify(role)} (roles: ${[...map.keys()].join(', ')})`,
    );
}

/**
 * The claims with `roles` (default roles + `rolesOf`, or the claims provider's `roles`) and
 * `permissions` (the roles' permissions + the claims provider's own `permissions`).
 */
export async function applyRoles(
  roles: ResolvedRoles,
  claims: ExtraClaims | undefined,
  context: ClaimsContext,
  warn: (message: string) => void,
): Promise<ExtraClaims> {
  const named: unknown = roles.rolesOf
    ? await roles.rolesOf(context.address, context)
    : claims?.roles;
  if (named !== undefined && named !== null && !Array.isArray(named))
    throw new TypeError('rolesOf must return an array of role names');
  const granted: string[] = [...roles.defaultRoles];
  for (const role of (named ?? []) as unknown[]) {
    if (typeof role !== 'string' || !roles.map.has(role)) {
      warn(`evrmore-auth: ignoring unknown role ${JSON.stringify(role)} (not in the roles map)`);
      continue;
    }
    if (!granted.includes(role)) granted.push(role);
  }
  const permissions = new Set<string>();
  for (const role of granted) for (const p of roles.map.get(role)!) permissions.add(p);
  const own = claims?.permissions;
  if (Array.isArray(own)) for (const p of own) if (typeof p === 'string') permissions.add(p);
  return { ...claims, roles: granted, permissions: [...permissions] };
}

/**
 * The access check of `authenticate` / `requireAuth`: every one of `permissions` is in the
 * token's `permissions` claim, and (when `roles` is given) at least one of `roles` is in its
 * `roles` claim; else 403 `insufficient_scope`.
 */
export function checkAccess(
  claims: Record<string, unknown>,
  options: { permissions?: readonly string[] | undefined; roles?: readonly string[] | undefined },
): void {
  const { permissions: required, roles: anyOf } = options;
  if (required !== undefined && required.length > 0) {
    const granted = Array.isArray(claims.permissions) ? (claims.permissions as unknown[]) : [];
    if (!required.every((p) => granted.includes(p))) throw authError('insufficient_scope');
  }
  if (anyOf !== undefined && anyOf.length > 0) {
    const held = Array.isArray(claims.roles) ? (claims.roles as unknown[]) : [];
    if (!anyOf.some((r) => held.includes(r))) throw authError('insufficient_scope');
  }
}

/**
 * Check a guard's `roles` / `permissions` options once, when the guard is made: arrays of
 * strings, and with a roles map every role in it (a typo fails at start-up, not as a 403 later).
 */
export function validateGuardOptions(
  roles: ResolvedRoles | null,
  options: { permissions?: unknown; roles?: unknown },
  where: string,
): void {
  for (const key of ['permissions', 'roles'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Array.isArray(value) || !value.every((x) => typeof x === 'string'))
      throw new TypeError(`${where}: ${key} must be an array of strings`);
  }
  if (roles !== null && Array.isArray(options.roles))
    for (const role of options.roles as string[]) assertKnownRole(roles.map, role, where);
}
