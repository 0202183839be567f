/**
 * Regenerates test/vectors/oracle-generated.json: Evrmore signed-message vectors produced by an
 * independent implementation, `bitcoinjs-message` (with its own `secp256k1` 3.x, `bs58check` 2.x and
 * `create-hash`), given the Evrmore magic. Nothing here imports @evrmore-auth/core: the keys,
 * addresses, WIFs and signatures all come from the oracle's dependency tree.
 *
 * Deterministic: the same SEED always yields the same file.
 *
 *   pnpm --filter @evrmore-auth/core vectors:oracle
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const oracleEntry = require.resolve('bitcoinjs-message');
const oracleRequire = createRequire(oracleEntry);
const bitcoinMessage = require('bitcoinjs-message') as {
  sign(message: string, privateKey: Buffer, compressed: boolean, prefix: string): Buffer;
  verify(message: string, address: string, signature: string, prefix: string): boolean;
};
const oracleVersion = (require('bitcoinjs-message/package.json') as { version: string }).version;
// The oracle's own dependencies, not ours.
const oracleSecp = oracleRequire('secp256k1') as {
  privateKeyVerify(key: Buffer): boolean;
  publicKeyCreate(key: Buffer, compressed: boolean): Buffer;
};
const oracleBs58check = oracleRequire('bs58check') as { encode(payload: Buffer): string };
const oracleCreateHash = oracleRequire('create-hash') as (alg: string) => {
  update(data: Buffer): { digest(): Buffer };
};

export const SEED = 'evrmore-auth oracle vectors v1';
const COUNT = 240;
const PREFIX = '\x18Evrmore Signed Message:\n';
const NETWORKS = [
  { name: 'evrmore', pubKeyHash: 33, wif: 128 },
  { name: 'evrmore-testnet', pubKeyHash: 111, wif: 239 },
] as const;

/** A reproducible byte stream: SHA-256(seed ‖ counter) blocks. Not for secrets; for fixtures. */
class SeededRandom {
  private counter = 0;
  private pool = Buffer.alloc(0);
  constructor(private readonly seed: string) {}
  bytes(n: number): Buffer {
    while (this.pool.length < n) {
      const block = createHash('sha256').update(`${this.seed}/${this.counter++}`).digest();
      this.pool = Buffer.concat([this.pool, block]);
    }
    const out = this.pool.subarray(0, n);
    this.pool = this.pool.subarray(n);
    return Buffer.from(out);
  }
  /** Uniform integer in [0, max). */
  int(max: number): number {
    return this.bytes(4).readUInt32BE(0) % max;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

const ASCII =
  ' !"#$%&()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_abcdefghijklmnopqrstuvwxyz{|}~';
// 1-, 2-, 3- and 4-byte UTF-8 characters, plus line breaks and a tab.
const NON_ASCII = ['é', 'ß', 'Ж', 'ñ', '中', '文', '€', '✓', 'ｅ', '😀', '🚀', '\n', '\t', 'ü'];

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** A message of about `target` UTF-8 bytes (exactly, for ASCII-only). */
function message(rng: SeededRandom, target: number, nonAscii: boolean): string {
  let out = '';
  while (utf8Length(out) < target) {
    const ch = nonAscii && rng.int(3) === 0 ? rng.pick(NON_ASCII) : ASCII[rng.int(ASCII.length)]!;
    if (utf8Length(out + ch) > target) {
      out += 'a';
      continue;
    }
    out += ch;
  }
  return out;
}

function hash160(data: Buffer): Buffer {
  return oracleCreateHash('ripemd160')
    .update(oracleCreateHash('sha256').update(data).digest())
    .digest();
}

// Lengths around the CompactSize boundary (252/253) and the extremes, then random ones.
const FIXED_LENGTHS = [0, 1, 2, 251, 252, 253, 254, 255, 256, 500, 999, 1000];

function main(): void {
  const rng = new SeededRandom(SEED);
  const vectors = [];
  for (let i = 0; i < COUNT; i++) {
    let privateKey: Buffer;
    do privateKey = rng.bytes(32);
    while (!oracleSecp.privateKeyVerify(privateKey));
    const compressed = i % 4 !== 3; // a quarter uncompressed
    const network = NETWORKS[i % 2]!;
    const nonAscii = i % 3 === 0;
    const length = i < FIXED_LENGTHS.length * 2 ? FIXED_LENGTHS[i >> 1]! : rng.int(1001);
    const text = message(rng, length, nonAscii);

    const publicKey = oracleSecp.publicKeyCreate(privateKey, compressed);
    const address = oracleBs58check.encode(
      Buffer.concat([Buffer.of(network.pubKeyHash), hash160(publicKey)]),
    );
    const wif = oracleBs58check.encode(
      Buffer.concat([
        Buffer.of(network.wif),
        privateKey,
        compressed ? Buffer.of(1) : Buffer.alloc(0),
      ]),
    );
    const signature = bitcoinMessage.sign(text, privateKey, compressed, PREFIX).toString('base64');
    if (!bitcoinMessage.verify(text, address, signature, PREFIX)) {
      throw new Error(`oracle does not verify its own vector ${i}`);
    }
    vectors.push({
      network: network.name,
      privateKey: privateKey.toString('hex'),
      compressed,
      wif,
      publicKey: publicKey.toString('hex'),
      address,
      messageBytes: utf8Length(text),
      message: text,
      signature,
    });
  }
  const file = {
    description:
      'GENERATED vectors (not from a wallet): Evrmore signed messages produced by bitcoinjs-message ' +
      "with messagePrefix '\\x18Evrmore Signed Message:\\n' as an independent oracle. Keys, " +
      "addresses and WIFs come from the oracle's own secp256k1/bs58check/create-hash dependencies. " +
      'Every vector is valid; tests derive negatives from them.',
    generator: 'bitcoinjs-message',
    version: oracleVersion,
    script: 'packages/core/scripts/generate-oracle-vectors.ts',
    seed: SEED,
    messagePrefix: PREFIX,
    count: vectors.length,
    vectors,
  };
  const out = new URL('../../../test/vectors/oracle-generated.json', import.meta.url);
  writeFileSync(out, `${JSON.stringify(file, null, 1)}\n`);
  console.log(`wrote ${vectors.length} vectors to ${out.pathname}`);
}

main();
