// SHA-256 and RIPEMD-160 for message digests and hash160: the runtime's native one-shot
// `crypto.hash` where it has one (Node >= 20.12, Bun, Deno: several times faster than pure JS on
// these short inputs; see `pnpm bench verify`), else @noble/hashes. Same bytes either way: the
// native path is used only after it reproduced @noble/hashes on a probe input (on first use), and
// returns plain Uint8Arrays (copies, never Buffers).
import { ripemd160 as nobleRipemd160 } from '@noble/hashes/legacy.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

type OneShot = (algorithm: string, data: Uint8Array, outputEncoding: 'buffer') => Uint8Array;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function runtimeHash(): OneShot | null {
  try {
    const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    const hash = (process?.getBuiltinModule?.('node:crypto') as { hash?: OneShot } | undefined)
      ?.hash;
    return typeof hash === 'function' ? hash : null;
  } catch {
    return null;
  }
}

/**
 * `data => hash(data)` through the runtime for `algorithm` if it reproduces `portable` on a probe
 * input, else `portable`. Decided on first use (nothing runs at import, so bundlers can drop an
 * unused hash entirely).
 */
function lazyHash(
  algorithm: string,
  portable: (data: Uint8Array) => Uint8Array,
): (data: Uint8Array) => Uint8Array {
  let impl: ((data: Uint8Array) => Uint8Array) | undefined;
  return (data) => {
    if (impl === undefined) {
      impl = portable;
      const hash = runtimeHash();
      const probe = new Uint8Array([0x45, 0x56, 0x52]);
      try {
        if (hash && sameBytes(hash(algorithm, probe, 'buffer'), portable(probe)))
          impl = (d) => new Uint8Array(hash(algorithm, d, 'buffer'));
      } catch {
        // an algorithm the runtime lacks: stay portable
      }
    }
    return impl(data);
  };
}

/**
 * SHA-256 of `data`.
 *
 * @example
 * ```ts
 * sha256(new Uint8Array()).length; // 32
 * ```
 */
export const sha256: (data: Uint8Array) => Uint8Array = /* @__PURE__ */ lazyHash(
  'sha256',
  nobleSha256,
);

/**
 * RIPEMD-160 of `data`.
 *
 * @example
 * ```ts
 * ripemd160(new Uint8Array()).length; // 20
 * ```
 */
export const ripemd160: (data: Uint8Array) => Uint8Array = /* @__PURE__ */ lazyHash(
  'ripemd160',
  nobleRipemd160,
);
