// API keys in the Postgres store (PROTOCOL.md §13): create (the key printed once), list, revoke.
// Keys are made by the server's own `auth.apiKeys` (the same format, hash and events as the app).
import type { ApiKeyRecord, ApiKeys } from '@evrmore-auth/server';
import type { PostgresStore } from '@evrmore-auth/server/postgres';
import { CliError } from '../cli-error.js';
import { json, str, type Command, type ParsedArgs } from '../command.js';
import { COMMON_HELP, withStore } from './db.js';

const STORE_OPTIONS = {
  url: { type: 'string' },
  schema: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The server's API-key facade over `store` (no signing keys are loaded or made). */
async function apiKeysOf(store: PostgresStore): Promise<ApiKeys> {
  const { createEvrmoreAuth } = await import('@evrmore-auth/server');
  const quiet = { info: () => {}, warn: () => {}, error: () => {} };
  return createEvrmoreAuth({
    domain: 'localhost',
    production: false,
    store,
    logger: quiet,
    rateLimits: { enabled: false },
    apiKeys: { enabled: true },
  }).apiKeys;
}

/** A record as printed: never the hash. */
function info(r: ApiKeyRecord) {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: r.id,
    prefix: r.prefix,
    owner: r.owner,
    name: r.name,
    permissions: r.permissions,
    createdAt: iso(r.createdAt),
    expiresAt: iso(r.expiresAt),
    ipAllowList: r.ipAllowList,
    revokedAt: iso(r.revokedAt),
    lastUsedAt: iso(r.lastUsedAt),
  };
}

const list = (args: ParsedArgs, name: string): string[] => {
  const v = args.values[name] as unknown;
  return Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
};

export const apiKeyCreate: Command = {
  path: ['api-key', 'create'],
  summary: 'create an API key in the Postgres store (printed once)',
  usage:
    'api-key create --owner NAME [--permission P]... [--name LABEL] [--expires-in SECONDS] [--ip CIDR]... [--url URL] [--schema NAME] [--json]',
  help: `Creates an API key (evak_<id>_<secret>) and prints it once: only the SHA-256 of its secret is
stored. The key authenticates as --owner with the given permissions where the server accepts API
keys (createEvrmoreAuth({ apiKeys: { enabled: true } }), requireAuth(auth, { apiKeys: true })).

Options:
  --owner NAME          the identity's address when the key is used (an address or a name)
  --permission P        a permission of the key (repeat for several)
  --name LABEL          a label for people
  --expires-in SECONDS  lifetime (60 to 315360000); default: no expiry
  --ip CIDR             an address or CIDR range it may be used from (repeat); default: anywhere
${COMMON_HELP}`,
  options: {
    ...STORE_OPTIONS,
    owner: { type: 'string' },
    permission: { type: 'string', multiple: true },
    name: { type: 'string' },
    'expires-in': { type: 'string' },
    ip: { type: 'string', multiple: true },
  },
  async run(args, io) {
    const owner = str(args, 'owner');
    if (owner === undefined) throw new CliError('missing --owner (see --help)');
    const expires = str(args, 'expires-in');
    if (expires !== undefined && !/^[1-9][0-9]{0,9}$/.test(expires))
      throw new CliError(`--expires-in must be a number of seconds (got '${expires}')`);
    const ips = list(args, 'ip');
    const name = str(args, 'name');
    const input = {
      owner,
      permissions: list(args, 'permission'),
      ...(name === undefined ? {} : { name }),
      ...(expires === undefined ? {} : { expiresInSeconds: Number(expires) }),
      ...(ips.length === 0 ? {} : { ipAllowList: ips }),
    };
    const created = await withStore(args, io, async (store) => {
      const apiKeys = await apiKeysOf(store);
      try {
        return await apiKeys.create(input);
      } catch (err) {
        // the facade's TypeError names the bad field: bad input, exit 2
        if (err instanceof TypeError)
          throw new CliError(err.message.replace(/^apiKeys\.create: /, ''));
        throw err;
      }
    });
    if (args.values.json) io.out(json({ key: created.key, apiKey: info(created.record) }));
    else
      io.out(
        `${created.key}\n(shown once: only its hash is stored) id ${created.record.id}, owner ${created.record.owner}, permissions ${created.record.permissions.join(' ') || '(none)'}\n`,
      );
    return 0;
  },
};

export const apiKeyList: Command = {
  path: ['api-key', 'list'],
  summary: 'list the API keys of the Postgres store (never a secret)',
  usage: 'api-key list [--owner NAME] [--url URL] [--schema NAME] [--json]',
  help: `Lists the API keys (of --owner, else all), newest first, revoked and expired ones included.

Options:
  --owner NAME          only this owner's keys
${COMMON_HELP}`,
  options: { ...STORE_OPTIONS, owner: { type: 'string' } },
  async run(args, io) {
    const owner = str(args, 'owner');
    const keys = await withStore(args, io, async (store) =>
      (await (await apiKeysOf(store)).list(owner)).map(info),
    );
    if (args.values.json) io.out(json(keys));
    else
      for (const k of keys)
        io.out(
          `${k.id}  ${k.owner}  ${k.permissions.join(' ') || '-'}  ${k.revokedAt ? `revoked ${k.revokedAt}` : k.expiresAt ? `expires ${k.expiresAt}` : 'active'}\n`,
        );
    return 0;
  },
};

export const apiKeyRevoke: Command = {
  path: ['api-key', 'revoke'],
  summary: 'revoke an API key of the Postgres store (at once, on every instance)',
  usage: 'api-key revoke ID [--url URL] [--schema NAME] [--json]',
  help: `Revokes the API key with this id (the 24 hex characters after evak_). Exit status 1 when
it is unknown or already revoked.

Options:
${COMMON_HELP}`,
  options: STORE_OPTIONS,
  allowPositionals: 1,
  async run(args, io) {
    const id = args.positionals[0];
    if (id === undefined || !/^[0-9a-f]{24}$/.test(id))
      throw new CliError('pass the key id: 24 lowercase hex characters (see --help)');
    const revoked = await withStore(args, io, async (store) => (await apiKeysOf(store)).revoke(id));
    if (args.values.json) io.out(json({ id, revoked }));
    else io.out(revoked ? `revoked ${id}\n` : `${id}: unknown or already revoked\n`);
    return revoked ? 0 : 1;
  },
};
