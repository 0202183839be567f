import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  defineNetwork,
  evrmore,
  encodeWif,
  hexToBytes,
  privateKeyToAddress,
  signMessage,
  verifyMessage,
} from '@evrmore-auth/core';
import { EvrmoreAuthClientError } from '../errors.js';
import { injectedWalletSigner, type InjectedEvrmoreProvider } from './injected-wallet.js';
import { localKeySigner } from './local-key.js';
import { manualSigner, signMessageCommand } from './manual.js';

const KEY = '42'.repeat(32);
const ADDRESS = privateKeyToAddress(KEY);
const ravencoin = defineNetwork({
  ...evrmore,
  name: 'ravencoin',
  chainId: 'ravencoin:mainnet',
  pubKeyHash: 60,
  scriptHash: 122,
});
const R_ADDRESS = privateKeyToAddress(KEY, { network: ravencoin });
const MESSAGE =
  'app.test wants you to sign in with your Evrmore account:\nline \'two\'\n\n$HOME `id` "x"';

function wallet(overrides: Partial<InjectedEvrmoreProvider> = {}): InjectedEvrmoreProvider {
  return {
    connect: async () => ({ address: ADDRESS }),
    signMessage: async (message) => ({
      address: ADDRESS,
      signature: signMessage({ privateKey: KEY, message }),
    }),
    ...overrides,
  };
}

function windowWith(provider?: InjectedEvrmoreProvider) {
  return Object.assign(new EventTarget(), { evrmore: provider });
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EvrmoreAuthClientError);
  return (err as EvrmoreAuthClientError).code;
}

describe('injectedWalletSigner', () => {
  it('connects and signs through window.evrmore; the signature verifies', async () => {
    const signer = injectedWalletSigner({ window: windowWith(wallet()) });
    expect(await signer.getAddress()).toBe(ADDRESS);
    const signature = await signer.signMessage(MESSAGE);
    expect(verifyMessage({ address: ADDRESS, message: MESSAGE, signature }).valid).toBe(true);
  });

  it('maps user-rejected and not-connected to typed errors', async () => {
    const rejecting = injectedWalletSigner({
      window: windowWith(wallet({ connect: () => Promise.reject(new Error('user-rejected')) })),
    });
    expect(await codeOf(rejecting.getAddress())).toBe('user_rejected');
    const notConnected = injectedWalletSigner({
      window: windowWith(
        wallet({ signMessage: () => Promise.reject({ code: 'not-connected', message: 'x' }) }),
      ),
    });
    expect(await codeOf(notConnected.signMessage(MESSAGE))).toBe('not_connected');
    const broken = injectedWalletSigner({
      window: windowWith(wallet({ signMessage: () => Promise.reject(new Error('boom')) })),
    });
    expect(await codeOf(broken.signMessage(MESSAGE))).toBe('wallet_error');
  });

  it('rejects an R-address from a Ravencoin-mode wallet, naming the cause', async () => {
    const signer = injectedWalletSigner({
      window: windowWith(wallet({ connect: async () => ({ address: R_ADDRESS }) })),
    });
    const err = await signer.getAddress().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'wrong_network' });
    expect((err as Error).message).toContain('Ravencoin');
    const signing = injectedWalletSigner({
      window: windowWith(
        wallet({ signMessage: async () => ({ address: R_ADDRESS, signature: 'x' }) }),
      ),
    });
    expect(await codeOf(signing.signMessage(MESSAGE))).toBe('wrong_network');
  });

  it('refuses a signature from another address than the connected one, or a malformed one', async () => {
    const other = privateKeyToAddress('43'.repeat(32));
    const signer = injectedWalletSigner({
      window: windowWith(
        wallet({
          signMessage: async (m) => ({
            address: other,
            signature: signMessage({ privateKey: '43'.repeat(32), message: m }),
          }),
        }),
      ),
    });
    await signer.getAddress();
    expect(await codeOf(signer.signMessage(MESSAGE))).toBe('wallet_error');
    const bad = injectedWalletSigner({
      window: windowWith(
        wallet({ signMessage: async () => ({ address: ADDRESS, signature: 'AAAA' }) }),
      ),
    });
    expect(await codeOf(bad.signMessage(MESSAGE))).toBe('invalid_signature_encoding');
  });

  it('waits for evrmore#initialized when the wallet injects late', async () => {
    const win = windowWith(undefined);
    const signer = injectedWalletSigner({ window: win, timeoutMs: 10_000 });
    const address = signer.getAddress();
    win.evrmore = wallet();
    win.dispatchEvent(new Event('evrmore#initialized'));
    expect(await address).toBe(ADDRESS);
  });

  it('gives up with wallet_not_found after the timeout', async () => {
    let fire: (() => void) | undefined;
    const signer = injectedWalletSigner({
      window: windowWith(undefined),
      timeoutMs: 3000,
      setTimeout: (fn) => {
        fire = fn;
        return 1;
      },
      clearTimeout: () => undefined,
    });
    const p = signer.getAddress();
    fire!();
    expect(await codeOf(p)).toBe('wallet_not_found');
  });
});

describe('manualSigner', () => {
  it('hands the message and a correctly shell-quoted command to the prompt', async () => {
    let seen: { command: string; message: string; address: string } | undefined;
    const signer = manualSigner({
      address: ` ${ADDRESS} `,
      prompt: async (req) => {
        seen = req;
        return ` ${signMessage({ privateKey: KEY, message: req.message })}\n`;
      },
    });
    const signature = await signer.signMessage(MESSAGE);
    expect(verifyMessage({ address: ADDRESS, message: MESSAGE, signature }).valid).toBe(true);
    expect(seen?.message).toBe(MESSAGE);
    expect(seen?.command.startsWith(`evrmore-cli signmessage '${ADDRESS}' '`)).toBe(true);
    // A real POSIX shell must see exactly three arguments, the message byte for byte.
    const probe = signMessageCommand(ADDRESS, MESSAGE, `printf '%s\\0'`);
    const argv = execFileSync('sh', ['-c', probe], { encoding: 'utf8' }).split('\0');
    expect(argv.slice(0, 3)).toEqual(['signmessage', ADDRESS, MESSAGE]);
  });

  it('manualSigner(prompt) takes the address from the message when signIn(address) named it', async () => {
    const message = `app.test wants you to sign in with your Evrmore account:\n${ADDRESS}\n\nURI: https://app.test`;
    let command = '';
    const signer = manualSigner(async (req) => {
      command = req.command;
      return signMessage({ privateKey: KEY, message: req.message });
    });
    await expect(signer.getAddress()).rejects.toThrow(TypeError);
    const signature = await signer.signMessage(message);
    expect(verifyMessage({ address: ADDRESS, message, signature }).valid).toBe(true);
    expect(command.startsWith(`evrmore-cli signmessage '${ADDRESS}' `)).toBe(true);
  });

  it('refuses a pasted signature that is not 65-byte base64', async () => {
    const signer = manualSigner({ address: ADDRESS, prompt: async () => 'bm90IGEgc2lnbmF0dXJl' });
    expect(await codeOf(signer.signMessage(MESSAGE))).toBe('invalid_signature_encoding');
  });

  it('validates its options and the address', async () => {
    expect(() => manualSigner({ address: ADDRESS } as never)).toThrow(
      'manualSigner: prompt must be a function',
    );
    const signer = manualSigner({ address: R_ADDRESS, prompt: async () => '' });
    expect(await codeOf(signer.getAddress())).toBe('wrong_network');
  });
});

describe('localKeySigner', () => {
  it('signs as the key address, from hex or WIF', async () => {
    const signer = localKeySigner({ privateKey: KEY });
    expect(await signer.getAddress()).toBe(ADDRESS);
    const signature = await signer.signMessage(MESSAGE);
    expect(verifyMessage({ address: ADDRESS, message: MESSAGE, signature }).valid).toBe(true);
    expect(() => localKeySigner({})).toThrow(
      'localKeySigner: pass exactly one of wif and privateKey',
    );
    const wif = encodeWif({ privateKey: hexToBytes(KEY), compressed: true });
    expect(await localKeySigner(wif).getAddress()).toBe(ADDRESS);
    expect(await localKeySigner(KEY).getAddress()).toBe(ADDRESS);
    expect(await localKeySigner(hexToBytes(KEY)).getAddress()).toBe(ADDRESS);
    const fromWif = await localKeySigner(wif).signMessage(MESSAGE);
    expect(verifyMessage({ address: ADDRESS, message: MESSAGE, signature: fromWif }).valid).toBe(
      true,
    );
  });
});
