// API keys in the Postgres store (issue 19): the `api_keys` table of migration 4. Revocation and
// the last-use time are single UPDATEs guarded by `revoked_at IS NULL`, so a late touch never
// clears a revocation and of two concurrent revocations one reports `true`.
import type { QueryResult } from 'pg';
import type { ApiKeyRecord, ApiKeyStore } from '../store.js';

interface Row {
  id: string;
  prefix: string;
  hash: string;
  owner: string;
  name: string | null;
  permissions: string[];
  created_at: string;
  expires_at: string | null;
  ip_allow_list: string[] | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));

function decode(r: Row): ApiKeyRecord {
  return {
    id: r.id,
    prefix: r.prefix,
    hash: r.hash,
    owner: r.owner,
    name: r.name,
    permissions: r.permissions,
    createdAt: Number(r.created_at),
    expiresAt: num(r.expires_at),
    ipAllowList: r.ip_allow_list,
    revokedAt: num(r.revoked_at),
    lastUsedAt: num(r.last_used_at),
  };
}

/**
 * The API-key part of the Postgres store: `S` is the quoted schema, `q` runs one query on the
 * pool and `run` is the store's guard (failures as `StoreUnavailableError`).
 */
export function postgresApiKeys(
  S: string,
  q: (text: string, values?: unknown[]) => Promise<QueryResult>,
  run: <T>(fn: () => Promise<T>) => Promise<T>,
): ApiKeyStore {
  return {
    putApiKey: (r) =>
      run(async () => {
        await q(
          `INSERT INTO ${S}.api_keys (id, prefix, hash, owner, name, permissions, created_at,
             expires_at, ip_allow_list, revoked_at, last_used_at)
           VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8, $9::text[], $10, $11)`,
          [
            r.id,
            r.prefix,
            r.hash,
            r.owner,
            r.name,
            r.permissions,
            r.createdAt,
            r.expiresAt,
            r.ipAllowList,
            r.revokedAt,
            r.lastUsedAt,
          ],
        );
      }),

    getApiKey: (id) =>
      run(async () => {
        const res = await q(`SELECT * FROM ${S}.api_keys WHERE id = $1`, [id]);
        const row = res.rows[0] as Row | undefined;
        return row ? decode(row) : null;
      }),

    listApiKeys: (owner) =>
      run(async () => {
        const res =
          owner === undefined
            ? await q(`SELECT * FROM ${S}.api_keys ORDER BY created_at DESC, id`)
            : await q(`SELECT * FROM ${S}.api_keys WHERE owner = $1 ORDER BY created_at DESC, id`, [
                owner,
              ]);
        return (res.rows as Row[]).map(decode);
      }),

    revokeApiKey: (id, at) =>
      run(async () => {
        const res = await q(
          `UPDATE ${S}.api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`,
          [id, at],
        );
        return (res.rowCount ?? 0) === 1;
      }),

    touchApiKey: (id, at) =>
      run(async () => {
        await q(
          `UPDATE ${S}.api_keys SET last_used_at = $2
            WHERE id = $1 AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < $2)`,
          [id, at],
        );
      }),
  };
}
