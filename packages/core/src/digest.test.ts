import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { messageDigest } from './digest.js';
import { bytesToHex, compactSize, concatBytes, utf8ToBytes } from './encoding.js';
import { defineNetwork, evrmore, evrmoreTestnet } from './networks.js';

// Independent spelling of Evrmore Core's digest, with literal magic bytes.
const MAGIC = utf8ToBytes('Evrmore Signed Message:\n');
function expected(body: Uint8Array, lengthPrefix: Uint8Array, magicLength = 0x18): Uint8Array {
  return sha256(sha256(concatBytes(Uint8Array.of(magicLength), MAGIC, lengthPrefix, body)));
}

describe('compactSize', () => {
  it('encodes the boundaries as Bitcoin does', () => {
    expect(bytesToHex(compactSize(0))).toBe('00');
    expect(bytesToHex(compactSize(252))).toBe('fc');
    expect(bytesToHex(compactSize(253))).toBe('fdfd00');
    expect(bytesToHex(compactSize(65535))).toBe('fdffff');
    expect(bytesToHex(compactSize(65536))).toBe('fe00000100');
    expect(bytesToHex(compactSize(0xffffffff))).toBe('feffffffff');
    expect(bytesToHex(compactSize(0x100000000))).toBe('ff0000000001000000');
    expect(() => compactSize(-1)).toThrow(TypeError);
    expect(() => compactSize(1.5)).toThrow(TypeError);
  });
});

describe('messageDigest', () => {
  it('the magic is 24 bytes, so its length byte is 0x18', () => {
    expect(MAGIC.length).toBe(24);
    expect(evrmore.messagePrefix.length).toBe(0x18);
  });

  it.each([
    [0, '00'],
    [1, '01'],
    [252, 'fc'],
    [253, 'fdfd00'],
    [65535, 'fdffff'],
    [65536, 'fe00000100'],
  ])('hashes a %i-byte message with CompactSize %s', (length, prefixHex) => {
    const message = 'x'.repeat(length);
    const body = utf8ToBytes(message);
    const prefix = Uint8Array.from(prefixHex.match(/../g)!.map((h) => parseInt(h, 16)));
    expect(bytesToHex(messageDigest(message))).toBe(bytesToHex(expected(body, prefix)));
    expect(bytesToHex(messageDigest(body))).toBe(bytesToHex(expected(body, prefix)));
  });

  it('counts non-ASCII in UTF-8 bytes, not UTF-16 code units', () => {
    // 84 × '中' = 84 code units but 252 bytes; 85 × = 255 bytes, past the 252 boundary.
    const at252 = '中'.repeat(84);
    expect(bytesToHex(messageDigest(at252))).toBe(
      bytesToHex(expected(utf8ToBytes(at252), Uint8Array.of(252))),
    );
    const over = '中'.repeat(85);
    expect(bytesToHex(messageDigest(over))).toBe(
      bytesToHex(expected(utf8ToBytes(over), Uint8Array.of(0xfd, 255, 0))),
    );
    const emoji = 'é😀';
    expect(bytesToHex(messageDigest(emoji))).toBe(
      bytesToHex(expected(utf8ToBytes(emoji), Uint8Array.of(6))),
    );
    // A wrong (code-unit) length would produce a different digest.
    expect(bytesToHex(messageDigest(emoji))).not.toBe(
      bytesToHex(expected(utf8ToBytes(emoji), Uint8Array.of(emoji.length))),
    );
  });

  it('regression: the magic length byte is \\x18, not \\x15 (the length of "Bitcoin Signed Message:\\n" minus…)', () => {
    const body = utf8ToBytes('Login to Satori: challenge-12345');
    const right = bytesToHex(messageDigest('Login to Satori: challenge-12345'));
    expect(right).toBe(bytesToHex(expected(body, Uint8Array.of(body.length), 0x18)));
    expect(right).not.toBe(bytesToHex(expected(body, Uint8Array.of(body.length), 0x15)));
  });

  it('uses the network magic: testnet shares it, another chain does not', () => {
    expect(messageDigest('hi', evrmoreTestnet)).toEqual(messageDigest('hi', evrmore));
    const raven = defineNetwork({
      name: 'ravencoin',
      chainId: 'ravencoin:mainnet',
      messagePrefix: 'Raven Signed Message:\n',
      pubKeyHash: 60,
      scriptHash: 122,
      wif: 128,
    });
    const ravenMagic = utf8ToBytes('Raven Signed Message:\n');
    expect(messageDigest('hi', raven)).toEqual(
      sha256(
        sha256(
          concatBytes(
            Uint8Array.of(ravenMagic.length),
            ravenMagic,
            Uint8Array.of(2),
            utf8ToBytes('hi'),
          ),
        ),
      ),
    );
  });

  it('throws TypeError for a message that is neither string nor bytes', () => {
    expect(() => messageDigest(42 as unknown as string)).toThrow(TypeError);
  });
});
