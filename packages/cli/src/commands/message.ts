// A Sign-In with Evrmore message (docs/PROTOCOL.md) to JSON, with core's parser.
import { SignInMessageError, parseSignInMessage } from '@evrmore-auth/core';
import { CliError } from '../cli-error.js';
import { json, readInput, type Command } from '../command.js';

export const messageParse: Command = {
  path: ['message', 'parse'],
  summary: 'parse a Sign-In with Evrmore message into JSON',
  usage: 'message parse [FILE|-] [--exact]',
  help: `Reads a Sign-In with Evrmore message from FILE (or stdin) and prints its fields as JSON
(domain, address, statement, uri, version, chainId, nonce, issuedAt, expirationTime, …).
A message that breaks the grammar is an error naming the line, e.g.
  evrmore-auth: line 6 (uri): expected 'URI: …'
and exit status 2.

One trailing newline (from an editor or echo) is ignored, since a message never ends with one.

Options:
  --exact               parse the input byte for byte (keep a trailing newline)`,
  options: { exact: { type: 'boolean' } },
  allowPositionals: 1,
  async run(args, io) {
    let text = await readInput(io, args.positionals[0], 'message');
    if (!args.values.exact && text.endsWith('\n')) text = text.slice(0, -1);
    try {
      io.out(json(parseSignInMessage(text)));
    } catch (err) {
      if (err instanceof SignInMessageError) throw new CliError(err.detail ?? err.message);
      throw err;
    }
    return 0;
  },
};
