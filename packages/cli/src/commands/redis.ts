// Redis store check: reachable, which version, does it hold the store's keys.
import { CliError, oneLine, redactUrl } from '../cli-error.js';
import { positiveInt, str, type Command } from '../command.js';

/** createRedisStore's default `keyPrefix`. */
const DEFAULT_PREFIX = 'evrauth:';

export const redisCheck: Command = {
  path: ['redis', 'check'],
  summary: 'check that the Redis store is reachable',
  usage: 'redis check [--url URL] [--prefix PREFIX] [--timeout MS] [--json]',
  help: `Connects, sends PING, reports the server's version and whether keys with the store's prefix
exist. Exit status 1 with a one-line error when Redis cannot be reached within the timeout.

Options:
  --url URL             redis:// or rediss:// URL (default: the REDIS_URL environment variable)
  --prefix PREFIX       the store's keyPrefix (default ${DEFAULT_PREFIX}, as createRedisStore)
  --timeout MS          give up after this many milliseconds (default 3000)
  --json                print {"ok":true,"version":…,"prefix":…,"hasKeys":…}`,
  options: {
    url: { type: 'string' },
    prefix: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const url = str(args, 'url') ?? io.env.REDIS_URL;
    if (url === undefined || url === '') throw new CliError('missing --url (or REDIS_URL)');
    if (!/^rediss?:\/\//.test(url))
      throw new CliError('--url must start with redis:// or rediss://');
    const prefix = str(args, 'prefix') ?? DEFAULT_PREFIX;
    const timeout = positiveInt(args, 'timeout', 3000);
    // Loaded here so the other commands never load ioredis.
    const { Redis } = await import('ioredis');
    const client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeout,
      commandTimeout: timeout,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    // ioredis rejects with "Connection is closed."; its 'error' event has the cause (ECONNREFUSED…).
    let lastError: unknown;
    client.on('error', (err: unknown) => {
      lastError = err;
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout);
    });
    try {
      const result = await Promise.race([
        (async () => {
          await client.connect();
          const pong = await client.ping();
          if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
          const info = await client.info('server');
          const version = /^redis_version:(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown';
          const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
          let cursor = '0';
          let hasKeys: boolean;
          do {
            const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
            cursor = next;
            hasKeys = keys.length > 0;
          } while (!hasKeys && cursor !== '0');
          return { version, hasKeys };
        })(),
        deadline,
      ]);
      if (args.values.json)
        io.out(`${JSON.stringify({ ok: true, url: redactUrl(url), prefix, ...result })}\n`);
      else
        io.out(
          `ok: Redis ${result.version} at ${redactUrl(url)}; keys with prefix ${JSON.stringify(prefix)}: ${result.hasKeys ? 'yes' : 'none'}\n`,
        );
      return 0;
    } catch (err) {
      throw new CliError(`Redis at ${redactUrl(url)}: ${oneLine(lastError ?? err)}`, 1);
    } finally {
      clearTimeout(timer);
      client.disconnect();
    }
  },
};
