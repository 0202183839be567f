// Evrmore Core's signmessage / verifymessage on the command line, through @evrmore-auth/core.
import {
  decodeAddress,
  decodeSignature,
  evrmore,
  evrmoreTestnet,
  signMessage,
  verifyMessage,
  type Network,
} from '@evrmore-auth/core';
import { CliError } from '../cli-error.js';
import { choice, readInput, str, type Io, type ParsedArgs, type Command } from '../command.js';

const NETWORK_NAMES = ['mainnet', 'testnet'] as const;
const BY_NAME: Record<(typeof NETWORK_NAMES)[number], Network> = {
  mainnet: evrmore,
  testnet: evrmoreTestnet,
};

/** `--network`, or `undefined` to detect it from the WIF / address. */
function networkOption(args: ParsedArgs): Network | undefined {
  return str(args, 'network') === undefined
    ? undefined
    : BY_NAME[choice(args, 'network', NETWORK_NAMES, 'mainnet')];
}

/** The message: `--message TEXT` or `--message-file FILE|-`, exactly (no newline is added or removed). */
async function message(args: ParsedArgs, io: Io): Promise<string> {
  const text = str(args, 'message');
  const file = str(args, 'message-file');
  if ((text === undefined) === (file === undefined))
    throw new CliError('pass exactly one of --message and --message-file (see --help)');
  return text ?? readInput(io, file, 'message');
}

const MESSAGE_HELP = `  --message TEXT        the message, exactly as signed
  --message-file FILE   read the message from FILE (- for stdin), byte for byte: a trailing
                        newline in the file is part of the message
  --network NAME        mainnet or testnet (default: detected from the address or WIF)`;

export const sign: Command = {
  path: ['sign'],
  summary: 'sign a message with a WIF private key (Evrmore Core signmessage)',
  usage: 'sign --wif WIF (--message TEXT | --message-file FILE) [--network mainnet|testnet]',
  help: `Prints the base64 compact signature that Evrmore Core's signmessage prints for the same key
and message ("Evrmore Signed Message:\\n" magic, deterministic RFC 6979 nonce, low S).

Options:
  --wif WIF             the private key in wallet import format (dumpprivkey); when absent it is
                        read from the EVRMORE_WIF environment variable (keeps it out of ps and
                        shell history)
${MESSAGE_HELP}`,
  options: {
    wif: { type: 'string' },
    message: { type: 'string' },
    'message-file': { type: 'string' },
    network: { type: 'string' },
  },
  async run(args, io) {
    const wif = str(args, 'wif') ?? io.env.EVRMORE_WIF;
    if (wif === undefined || wif === '') throw new CliError('missing --wif (or EVRMORE_WIF)');
    const text = await message(args, io);
    const explicit = networkOption(args);
    const networks = explicit ? [explicit] : [evrmore, evrmoreTestnet];
    for (const network of networks) {
      let signature: string;
      try {
        signature = signMessage({ wif, message: text, network });
      } catch {
        continue; // never echo the key: the error below names no part of it
      }
      io.out(`${signature}\n`);
      return 0;
    }
    throw new CliError(
      `--wif is not a valid WIF private key${explicit ? ` for ${str(args, 'network')}` : ''}`,
    );
  },
};

export const verify: Command = {
  path: ['verify'],
  summary: 'verify a signed message (Evrmore Core verifymessage)',
  usage: 'verify --address ADDR --signature SIG (--message TEXT | --message-file FILE) [--json]',
  help: `Prints true or false, like evrmore-cli verifymessage. Exit status: 0 valid, 1 not valid,
2 bad input (an invalid address, a signature that is not base64, a missing option).

Options:
  --address ADDR        the P2PKH address that signed
  --signature SIG       the base64 signature (65 bytes)
${MESSAGE_HELP}
  --json                print {"valid":…,"address":…,"network":…,"reason"?:…}`,
  options: {
    address: { type: 'string' },
    signature: { type: 'string' },
    message: { type: 'string' },
    'message-file': { type: 'string' },
    network: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const address = str(args, 'address');
    const signature = str(args, 'signature');
    if (address === undefined) throw new CliError('missing --address (see --help)');
    if (signature === undefined) throw new CliError('missing --signature (see --help)');
    const text = await message(args, io);
    const explicit = networkOption(args);
    // The address names its network (version byte); --network only narrows it, like a node does.
    const network =
      explicit ?? [evrmore, evrmoreTestnet].find((n) => decodeAddress(address, n).ok) ?? evrmore;
    const decoded = decodeAddress(address, network);
    if (!decoded.ok) throw new CliError(`--address: ${decoded.message}`);
    // Core: undecodable base64 is an error ("Malformed base64 encoding"); a well-formed signature
    // that does not recover to the address is `false`.
    const sig = decodeSignature(signature);
    if (!sig.ok && sig.reason === 'not_base64')
      throw new CliError('--signature: malformed base64 encoding');
    const result = verifyMessage({ address, message: text, signature, network });
    const networkName = network === evrmore ? 'mainnet' : 'testnet';
    if (args.values.json) {
      io.out(
        `${JSON.stringify({
          valid: result.valid,
          address,
          network: networkName,
          ...(result.valid ? {} : { reason: result.reason }),
        })}\n`,
      );
    } else io.out(`${result.valid}\n`);
    return result.valid ? 0 : 1;
  },
};
