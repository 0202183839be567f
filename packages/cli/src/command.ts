import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './cli-error.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Where a command writes; tests and the entry point pass the process's streams. */
export interface Io {
  out(text: string): void;
  readStdin(): Promise<string>;
  stdinIsTty: boolean;
  env: Record<string, string | undefined>;
}

/** One leaf command: `evrmore-auth <path...> [options]`. */
export interface Command {
  /** e.g. `['keys', 'generate']`. */
  path: readonly string[];
  summary: string;
  /** Usage line after `evrmore-auth `, e.g. `keys generate [--alg EdDSA|ES256]`. */
  usage: string;
  /** Option lines and notes printed by `--help`, after the usage line. */
  help: string;
  options: Options;
  allowPositionals?: number;
  run(args: ParsedArgs, io: Io): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses a command's arguments strictly; a mistake is a one-line {@link CliError}. */
export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: command.options,
      strict: true,
      allowPositionals: true, // counted below, without echoing them
    });
  } catch (err) {
    // node:util's messages run on with advice about `--`; the first sentence says it all.
    const message = err instanceof Error ? err.message : String(err);
    throw new CliError(`${message.split(/\.\s/, 1)[0]!.replace(/\.$/, '')} (see --help)`);
  }
  if (parsed.positionals.length > (command.allowPositionals ?? 0)) {
    // Not echoed: a misplaced argument may be a secret (a WIF typed without --wif).
    throw new CliError(
      `unexpected argument #${parsed.positionals.length} (this command takes ${command.allowPositionals ?? 0}; see --help)`,
    );
  }
  return {
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
  };
}

/** A string option's value, or `undefined`. */
export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A required string option. */
export function required(args: ParsedArgs, name: string): string {
  const v = str(args, name);
  if (v === undefined) throw new CliError(`missing --${name} (see --help)`);
  return v;
}

/** One of a fixed set of values. */
export function choice<T extends string>(
  args: ParsedArgs,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const v = str(args, name);
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v))
    throw new CliError(`--${name} must be one of ${allowed.join(', ')} (got '${v}')`);
  return v as T;
}

/** A positive integer option (milliseconds and the like). */
export function positiveInt(args: ParsedArgs, name: string, fallback: number): number {
  const v = str(args, name);
  if (v === undefined) return fallback;
  if (!/^[1-9][0-9]{0,8}$/.test(v))
    throw new CliError(`--${name} must be a positive integer (got '${v}')`);
  return Number(v);
}

/**
 * The text of a file argument, or of stdin when the argument is absent or `-`. Refuses to wait on
 * an interactive terminal.
 */
export async function readInput(io: Io, file: string | undefined, what: string): Promise<string> {
  if (file !== undefined && file !== '-') {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(
        code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? 'error'})`,
      );
    }
  }
  if (io.stdinIsTty) throw new CliError(`no ${what}: pass a file or pipe it on stdin`);
  return io.readStdin();
}

/** JSON for humans and machines alike: two-space indented. */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
