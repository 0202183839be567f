import type { Signer } from './signer.js';
import { assertAddress, assertSignatureEncoding } from './validate.js';
import { evrmore, type Network } from '@evrmore-auth/core';

/**
 * What {@link manualSigner} hands to its prompt.
 *
 * @example
 * ```ts
 * const prompt = async ({ command }: ManualSignRequest) => showDialog(command);
 * ```
 */
export interface ManualSignRequest {
  /** The address to sign with. */
  address: string;
  /** The exact message (multi-line) to sign. */
  message: string;
  /** A ready-to-paste POSIX shell command: `evrmore-cli signmessage 'ADDRESS' 'MESSAGE'`. */
  command: string;
}

/**
 * Options of {@link manualSigner}.
 *
 * @example
 * ```ts
 * manualSigner({ address: 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5', prompt: askUserToPaste });
 * ```
 */
export interface ManualSignerOptions {
  /**
   * The address the user signs in with (or a function asking for it). Optional when the app
   * passes the address to `signIn(address)`: the signer then reads it from the message.
   */
  address?: string | (() => Promise<string>);
  /** Shows the request to the user and resolves to the signature they paste. */
  prompt: (request: ManualSignRequest) => Promise<string>;
  /**
   * The network of the address.
   * @default evrmore
   */
  network?: Network;
  /**
   * The CLI binary shown in the command.
   * @default 'evrmore-cli'
   */
  cli?: string;
}

/**
 * Quote `value` as one POSIX shell word: single quotes, with each `'` written as `'\''`. Newlines
 * survive inside single quotes, so a multi-line message pastes as one argument.
 *
 * @example
 * ```ts
 * shellQuote("it's"); // 'it'\''s'
 * ```
 */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `evrmore-cli signmessage` command that signs `message` with `address` in Evrmore Core.
 *
 * @example
 * ```ts
 * signMessageCommand('EK4B…', 'line 1\nline 2');
 * // "evrmore-cli signmessage 'EK4B…' 'line 1\nline 2'" (with a real newline)
 * ```
 */
export function signMessageCommand(address: string, message: string, cli = 'evrmore-cli'): string {
  return `${cli} signmessage ${shellQuote(address)} ${shellQuote(message)}`;
}

/**
 * A signer for wallets without a browser API (Evrmore Core/Qt, Electrum-Evrmore): it hands the
 * message and the exact `evrmore-cli signmessage` command to `prompt`, and returns the pasted
 * signature once it is checked to be base64 of 65 bytes.
 *
 * @example
 * ```ts
 * import { createAuthClient, manualSigner } from '@evrmore-auth/client';
 * const signer = manualSigner({
 *   address: 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5',
 *   prompt: async ({ command }) => window.prompt(`Run:\n${command}\nthen paste the signature`) ?? '',
 * });
 * const auth = createAuthClient({ baseUrl: '/auth', signer });
 * // or, with the address typed into the page: manualSigner(prompt) + auth.signIn(address)
 * ```
 */
export function manualSigner(
  optionsOrPrompt: ManualSignerOptions | ManualSignerOptions['prompt'],
): Signer {
  const options =
    typeof optionsOrPrompt === 'function' ? { prompt: optionsOrPrompt } : optionsOrPrompt;
  if (typeof options !== 'object' || options === null)
    throw new TypeError('manualSigner: options must be an object');
  if (typeof options.prompt !== 'function')
    throw new TypeError('manualSigner: prompt must be a function');
  if (
    options.address !== undefined &&
    typeof options.address !== 'string' &&
    typeof options.address !== 'function'
  )
    throw new TypeError('manualSigner: address must be a string or a function');
  const network = options.network ?? evrmore;
  const cli = options.cli ?? 'evrmore-cli';
  let address: string | undefined;
  const getAddress = async (): Promise<string> => {
    if (options.address === undefined)
      throw new TypeError(
        'manualSigner: no address configured; pass it to signIn(address) or to manualSigner({ address, prompt })',
      );
    const raw = typeof options.address === 'function' ? await options.address() : options.address;
    address = assertAddress(typeof raw === 'string' ? raw.trim() : raw, network);
    return address;
  };
  return {
    getAddress,
    async signMessage(message) {
      // The sign-in message names the address on its second line (the client checked it).
      const fromMessage = options.address === undefined ? message.split('\n')[1] : undefined;
      const addr =
        fromMessage !== undefined
          ? assertAddress(fromMessage, network)
          : (address ?? (await getAddress()));
      const signature = await options.prompt({
        address: addr,
        message,
        command: signMessageCommand(addr, message, cli),
      });
      return assertSignatureEncoding(signature);
    },
  };
}
