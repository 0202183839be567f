#!/usr/bin/env node
// evrmore-auth: the command line of @evrmore-auth (keys, sign/verify, message parse, store ops).
import { createRequire } from 'node:module';
import { CliError, oneLine } from './cli-error.js';
import { parseCommandArgs, type Command, type Io } from './command.js';
import { dbMigrate, dbPurge } from './commands/db.js';
import { apiKeyCreate, apiKeyList, apiKeyRevoke } from './commands/api-key.js';
import { keysGenerate, keysPublic } from './commands/keys.js';
import { messageParse } from './commands/message.js';
import { redisCheck } from './commands/redis.js';
import { sign, verify } from './commands/sign.js';

const COMMANDS: readonly Command[] = [
  keysGenerate,
  keysPublic,
  sign,
  verify,
  messageParse,
  dbMigrate,
  dbPurge,
  apiKeyCreate,
  apiKeyList,
  apiKeyRevoke,
  redisCheck,
];

const GROUPS: Record<string, string> = {
  keys: 'signing keys for createEvrmoreAuth({ keys })',
  message: 'Sign-In with Evrmore messages',
  db: 'the Postgres store',
  'api-key': 'API keys in the Postgres store',
  redis: 'the Redis store',
};

function version(): string {
  // dist/cli.js → ../package.json, in the repository and in the published package alike.
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}

function list(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length));
  return commands.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`).join('\n');
}

function mainHelp(): string {
  return `Usage: evrmore-auth <command> [options]

Commands:
${list(COMMANDS)}

Options:
  -h, --help            help for evrmore-auth or a command (evrmore-auth keys generate --help)
  -v, --version         print the version

Exit status: 0 success (verify: valid), 1 failure (verify: not valid; a service unreachable),
2 bad input.
`;
}

function groupHelp(group: string): string {
  return `Usage: evrmore-auth ${group} <command> [options]

${GROUPS[group]}:
${list(COMMANDS.filter((c) => c.path[0] === group))}

Run evrmore-auth ${group} <command> --help for its options.
`;
}

function commandHelp(c: Command): string {
  return `Usage: evrmore-auth ${c.usage}

${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.

${c.help}
  -h, --help            show this help
`;
}

const isHelp = (a: string | undefined) => a === '--help' || a === '-h';

/** Runs the CLI on `argv` (without node and the script); resolves to the exit status. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [first, second] = argv;
  if (first === undefined || isHelp(first) || first === 'help') {
    io.out(mainHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v') {
    io.out(`${version()}\n`);
    return 0;
  }
  let command = COMMANDS.find((c) => c.path.length === 1 && c.path[0] === first);
  let rest = argv.slice(1);
  if (!command) {
    if (!(first in GROUPS)) throw new CliError(`unknown command '${first}' (see --help)`);
    if (second === undefined || isHelp(second)) {
      io.out(groupHelp(first));
      return second === undefined ? 2 : 0;
    }
    command = COMMANDS.find((c) => c.path[0] === first && c.path[1] === second);
    if (!command) throw new CliError(`unknown command '${first} ${second}' (see ${first} --help)`);
    rest = argv.slice(2);
  }
  if (rest.some(isHelp)) {
    io.out(commandHelp(command));
    return 0;
  }
  return command.run(parseCommandArgs(command, rest), io);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const io: Io = {
  out: (text) => void process.stdout.write(text),
  readStdin,
  stdinIsTty: process.stdin.isTTY === true,
  env: process.env,
};

main(process.argv.slice(2), io)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // One line, never a stack: errors the CLI raised say what to fix; others by their message.
      process.stderr.write(
        `evrmore-auth: ${err instanceof CliError ? err.message : oneLine(err)}\n`,
      );
      process.exitCode = err instanceof CliError ? err.exitCode : 1;
    },
  )
  .finally(() => {
    // Done: do not linger on a client library's timers (ioredis keeps one for ~2 s after a
    // refused connection). Unref'd, so it only matters when something else holds the loop.
    setTimeout(() => process.exit(), 0).unref();
  });
