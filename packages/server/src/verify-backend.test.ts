import { createRequire } from 'node:module';
import {
  evrmore,
  nobleBackend,
  privateKeyToAddress,
  signMessage,
  verifyMessage,
} from '@evrmore-auth/core';
import { describe, expect, it, vi } from 'vitest';
import { resolveConfig } from './config.js';
import { defaultBackend, loadNativeBackend, type ProcessLike } from './verify-backend.js';

const NATIVE = 'secp256k1 (native)';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('the default secp256k1 backend', () => {
  it('is the native addon on Node when it is installed, named in one info line', () => {
    // The addon is an optional dependency of this package and installs here: if this throws, the
    // test environment lost it, not the code under test.
    expect(() => createRequire(import.meta.url)('secp256k1/bindings.js')).not.toThrow();
    const info = vi.fn();
    const config = resolveConfig({
      domain: 'example.com',
      production: false,
      logger: { ...quiet, info },
    });
    expect(config.backend.name).toBe(NATIVE);
    expect(info).toHaveBeenCalledTimes(1);
    expect(info).toHaveBeenCalledWith(
      { backend: NATIVE },
      'evrmore-auth: verifying signatures with secp256k1 (native) (libsecp256k1: the secp256k1 addon loaded)',
    );
  });

  it('verifies what the pure-JS backend verifies (and refuses what it refuses)', () => {
    const backend = defaultBackend(quiet);
    const privateKey = new Uint8Array(32).fill(7);
    const message = 'example.com wants you to sign in';
    const signature = signMessage({ message, privateKey, network: evrmore });
    const address = privateKeyToAddress(privateKey, { network: evrmore });
    for (const b of [backend, nobleBackend]) {
      expect(verifyMessage({ address, message, signature, backend: b }).valid).toBe(true);
      expect(verifyMessage({ address, message: `${message}!`, signature, backend: b }).valid).toBe(
        false,
      );
    }
  });

  it('is not chosen when the config names one, and then nothing is logged', () => {
    const mine = { name: 'mine', recover: nobleBackend.recover };
    const info = vi.fn();
    const config = resolveConfig({
      domain: 'example.com',
      production: false,
      backend: mine,
      logger: { ...quiet, info },
    });
    expect(config.backend).toBe(mine);
    expect(info).not.toHaveBeenCalled();
  });

  it('without a logger says it once per process on console.info, and not under a test runner', () => {
    const spy = vi.spyOn(console, 'info').mockImplementation(() => undefined);
    try {
      defaultBackend();
      defaultBackend();
      expect(spy).not.toHaveBeenCalled(); // NODE_ENV=test under vitest
    } finally {
      spy.mockRestore();
    }
  });
});

describe('loadNativeBackend off Node or without the addon', () => {
  const node = process as unknown as ProcessLike;
  it.each<[string, ProcessLike | undefined]>([
    ['no process (Workers, browsers)', undefined],
    ['a process without versions.node', { versions: {} }],
    ['Node without process.getBuiltinModule', { versions: { node: '20.0.0' } }],
    [
      'Node where the addon does not load',
      {
        versions: { node: '22.0.0' },
        getBuiltinModule: () => ({
          createRequire: () => () => {
            throw new Error("Cannot find module 'secp256k1/bindings.js'");
          },
        }),
      },
    ],
  ])('%s: null (the default stays @noble/secp256k1)', (_, proc) => {
    expect(loadNativeBackend(proc)).toBeNull();
  });

  it('Node with the addon: the native backend', () => {
    expect(loadNativeBackend(node)?.name).toBe(NATIVE);
  });

  it('Bun and Deno (which emulate Node) with the addon: the native backend, as on Node', () => {
    // The addon itself under the real Bun and Deno: test/runtimes/matrix.test.ts.
    expect(loadNativeBackend({ ...node, versions: { node: '24.3.0', bun: '1.4.5' } })?.name).toBe(
      NATIVE,
    );
    expect(loadNativeBackend({ ...node, versions: { node: '24.3.0', deno: '2.9.6' } })?.name).toBe(
      NATIVE,
    );
  });
});
