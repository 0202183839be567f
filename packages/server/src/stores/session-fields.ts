// A session record as flat fields: the one encoding the Redis store (hash fields) and the
// Postgres store (columns, the same names in snake_case) share.
import type { SessionRecord } from '../store.js';

/** The session record's fields, in the order the stores read them. */
export const SESSION_FIELDS = [
  'id',
  'address',
  'createdAt',
  'lastSeenAt',
  'expiresAt',
  'idleExpiresAt',
  'fingerprintHash',
  'userAgent',
  'ip',
  'revokedAt',
  'revokedReason',
  'dpopJkt',
] as const satisfies readonly (keyof SessionRecord)[];

/** One field of a stored session. */
export type SessionField = (typeof SESSION_FIELDS)[number];

/** A field's Postgres column: `idleExpiresAt` → `idle_expires_at`. */
export const sessionColumn = (field: SessionField): string =>
  field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * The session read back from its stored fields (`get` answers `null` or `undefined` where the
 * record holds `null`; numbers may come as strings, as Redis and Postgres `bigint` give them);
 * `null` when the id or address is missing (no such session).
 */
export function decodeSession(
  get: (field: SessionField) => string | number | null | undefined,
): SessionRecord | null {
  const text = (field: SessionField): string | null => {
    const value = get(field);
    return value === null || value === undefined ? null : String(value);
  };
  const id = text('id');
  const address = text('address');
  if (id === null || address === null) return null;
  const revokedAt = text('revokedAt');
  return {
    id,
    address,
    createdAt: Number(get('createdAt')),
    lastSeenAt: Number(get('lastSeenAt')),
    expiresAt: Number(get('expiresAt')),
    idleExpiresAt: Number(get('idleExpiresAt')),
    userAgent: text('userAgent'),
    ip: text('ip'),
    fingerprintHash: text('fingerprintHash') ?? '',
    revokedAt: revokedAt === null ? null : Number(revokedAt),
    revokedReason: text('revokedReason'),
    dpopJkt: text('dpopJkt'),
  };
}
