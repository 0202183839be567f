/**
 * An error the CLI reports as one line on stderr (no stack), exiting with `exitCode`
 * (2: bad input or usage, 1: the operation failed, e.g. a service is unreachable).
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/** The first line of an error's message, for errors the CLI did not raise itself. */
export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n', 1)[0]!.trim() || (err instanceof Error ? err.name : 'error');
}

/** A URL without its password and query (for messages; never print credentials). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    // The query may hold password=… (pg) or other credentials.
    const query = u.search ? '?***' : '';
    u.search = '';
    return `${u.toString()}${query}`;
  } catch {
    return '<invalid url>';
  }
}
