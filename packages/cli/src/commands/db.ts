// Postgres store operations: apply migrations, purge expired rows.
import { CliError, oneLine, redactUrl } from '../cli-error.js';
import type { PostgresStore } from '@evrmore-auth/server/postgres';
import { str, type Command, type Io, type ParsedArgs } from '../command.js';

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

export const COMMON_HELP = `  --url URL             connection string (default: the DATABASE_URL environment variable)
  --schema NAME         the store's schema (default evrmore_auth, as createPostgresStore)
  --json                print the result as JSON`;

const OPTIONS = {
  url: { type: 'string' },
  schema: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function withStore<T>(
  args: ParsedArgs,
  io: Io,
  body: (store: PostgresStore) => Promise<T>,
): Promise<T> {
  const url = str(args, 'url') ?? io.env.DATABASE_URL;
  if (url === undefined || url === '') throw new CliError('missing --url (or DATABASE_URL)');
  const schema = str(args, 'schema') ?? 'evrmore_auth';
  if (!SCHEMA.test(schema))
    throw new CliError('--schema must be lower-case letters, digits and _ (at most 63)');
  // Loaded here so the other commands never load pg.
  const { createPostgresStore } = await import('@evrmore-auth/server/postgres');
  let store;
  try {
    store = createPostgresStore({ connectionString: url, schema });
  } catch (err) {
    throw new CliError(oneLine(err));
  }
  try {
    return await body(store);
  } catch (err) {
    if (err instanceof CliError) throw err; // the command's own refusal (bad input)
    // StoreUnavailableError says only "store unavailable": the cause names what went wrong.
    const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
    const message = oneLine(cause);
    const hint = /relation "[^"]+" does not exist/.test(message) ? ' (run db migrate first)' : '';
    throw new CliError(`Postgres at ${redactUrl(url)}: ${message}${hint}`, 1);
  } finally {
    await store.close().catch(() => {});
  }
}

export const dbMigrate: Command = {
  path: ['db', 'migrate'],
  summary: "create or update the Postgres store's tables",
  usage: 'db migrate [--url URL] [--schema NAME] [--json]',
  help: `Applies the Postgres store's pending migrations (store.migrate(): idempotent, versioned in
<schema>.schema_migrations, safe while other instances run it too).

Options:
${COMMON_HELP}`,
  options: OPTIONS,
  async run(args, io) {
    const result = await withStore(args, io, async (store) => ({
      schema: store.schema,
      applied: await store.migrate(),
    }));
    if (args.values.json) io.out(`${JSON.stringify(result)}\n`);
    else if (result.applied.length === 0) io.out(`schema ${result.schema} is up to date\n`);
    else
      io.out(
        `schema ${result.schema}: applied migration${result.applied.length === 1 ? '' : 's'} ${result.applied.join(', ')}\n`,
      );
    return 0;
  },
};

export const dbPurge: Command = {
  path: ['db', 'purge'],
  summary: 'delete expired rows from the Postgres store',
  usage: 'db purge [--url URL] [--schema NAME] [--json]',
  help: `Deletes expired challenges and single-use values, expired and revoked sessions with their
refresh tokens, stale grace blobs and rate-limit rows (store.purgeExpired()). Run it from cron or
one instance, e.g. every few minutes.

Options:
${COMMON_HELP}`,
  options: OPTIONS,
  async run(args, io) {
    const result = await withStore(args, io, async (store) => ({
      schema: store.schema,
      ...(await store.purgeExpired()),
    }));
    if (args.values.json) io.out(`${JSON.stringify(result)}\n`);
    else
      io.out(
        `schema ${result.schema}: removed ${result.challenges} challenges, ${result.onceValues} single-use values, ${result.sessions} sessions, ${result.rateLimits} rate-limit rows\n`,
      );
    return 0;
  },
};
