// The proof check of RFC 9449 §4.3, through both signature paths: node:crypto (synchronous, what
// Node, Bun and Deno use) and jose's Web Crypto verify (Workers). Both must accept and refuse the
// same proofs, for the same reason. Proofs are made with jose's SignJWT, not with our code.
import * as nodeCrypto from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createProofKeys } from './proof-keys.js';
import { ProofError, verifyProof, type ProofExpectations } from './proof.js';

const NOW = 1_800_000_000_000;
const HTU = 'https://api.example.com/me';
const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'PS256'];

interface Signer {
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signer(alg: string, options: { modulusLength?: number } = {}): Promise<Signer> {
  const pair = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, {
    extractable: true,
    ...options,
  });
  return { alg, privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
}

/** A proof of `s` with the usual claims, overridden by `claims` / `header`. */
function proof(
  s: Signer,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT({
    jti: nodeCrypto.randomUUID(),
    htm: 'GET',
    htu: HTU,
    iat: NOW / 1000,
    ...claims,
  })
    .setProtectedHeader({ alg: s.alg, typ: 'dpop+jwt', jwk: s.jwk, ...header })
    .sign(s.privateKey);
}

/** A compact JWS made with node:crypto directly: for the headers and keys jose will not sign. */
function rawJws(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: nodeCrypto.KeyObject,
  digest: string | null,
): string {
  const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${nodeCrypto.sign(digest, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const CLAIMS = () => ({ jti: nodeCrypto.randomUUID(), htm: 'GET', htu: HTU, iat: NOW / 1000 });

/** A node:crypto as a partial compatibility layer has it: every verify call throws. */
const throwingNode = {
  KeyObject: nodeCrypto.KeyObject,
  constants: nodeCrypto.constants,
  Buffer,
  verify: (() => {
    throw new Error('crypto.verify is not implemented');
  }) as unknown as typeof nodeCrypto.verify,
};

const verifiers = {
  'node:crypto': () => createProofKeys(10),
  'Web Crypto (jose)': () => createProofKeys(10, null),
  'a node:crypto whose verify throws (Web Crypto answers)': () => createProofKeys(10, throwingNode),
};

describe.each(Object.entries(verifiers))('DPoP proofs verified with %s', (_name, makeKeys) => {
  const expectations = (): ProofExpectations => ({
    method: 'GET',
    htu: HTU,
    algorithms: ALGORITHMS,
    maxAgeSeconds: 60,
    clockToleranceSeconds: 5,
    now: NOW,
    keys: makeKeys(),
  });
  /** The refusal reason of `p`, or 'ok' (with the thumbprint checked) when it is accepted. */
  const outcome = async (p: string, expect = expectations()): Promise<string> => {
    try {
      await verifyProof(p, expect);
      return 'ok';
    } catch (err) {
      if (err instanceof ProofError) return err.reason;
      throw err;
    }
  };

  it('accepts a proof of every allowed algorithm, with its key thumbprint', async () => {
    for (const alg of ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'PS256']) {
      const s = await signer(alg);
      const verified = await verifyProof(await proof(s), expectations());
      const { calculateJwkThumbprint } = await import('jose');
      expect(verified.jkt, alg).toBe(await calculateJwkThumbprint(s.jwk, 'sha256'));
    }
  });

  it('refuses a signature that is not the key’s: tampered, another key, DER-encoded, RSA under 2048 bits', async () => {
    const s = await signer('ES256');
    const good = await proof(s);
    const [h, p, sig] = good.split('.') as [string, string, string];
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    expect(await outcome(`${h}.${p}.${flipped}`)).toBe('the proof signature does not verify');
    // The payload of another proof under this signature.
    const other = (await proof(s, { htm: 'GET' })).split('.')[1]!;
    expect(await outcome(`${h}.${other}.${sig}`)).toBe('the proof signature does not verify');
    // Signed by another key, naming this key.
    const mallory = await signer('ES256');
    const forged = await new SignJWT({ jti: 'abcdefgh12', htm: 'GET', htu: HTU, iat: NOW / 1000 })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: s.jwk })
      .sign(mallory.privateKey);
    expect(await outcome(forged)).toBe('the proof signature does not verify');
    // The same signature in DER (ASN.1), which JWS does not allow.
    const der = nodeCrypto
      .createSign('sha256')
      .update(`${h}.${p}`)
      .sign({ key: nodeCrypto.KeyObject.from(s.privateKey), dsaEncoding: 'der' })
      .toString('base64url');
    expect(await outcome(`${h}.${p}.${der}`)).toBe('the proof signature does not verify');
    // RSA under 2048 bits (jose will not make one: node:crypto does).
    const weak = nodeCrypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weakJwk = weak.publicKey.export({ format: 'jwk' });
    const weakProof = rawJws(
      { alg: 'RS256', typ: 'dpop+jwt', jwk: weakJwk },
      CLAIMS(),
      weak.privateKey,
      'sha256',
    );
    expect(await outcome(weakProof)).toBe('the proof signature does not verify');
    // the same for PS256 (RSA-PSS signatures) under the short key
    const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');
    const pssInput = `${b64({ alg: 'PS256', typ: 'dpop+jwt', jwk: weakJwk })}.${b64(CLAIMS())}`;
    const pssSignature = nodeCrypto
      .sign('sha256', Buffer.from(pssInput), {
        key: weak.privateKey,
        padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      })
      .toString('base64url');
    expect(await outcome(`${pssInput}.${pssSignature}`)).toBe(
      'the proof signature does not verify',
    );
  });

  it('refuses a key that does not fit its alg, and an alg outside the allow-list', async () => {
    const p384 = await signer('ES384');
    const mislabelled = await proof({ ...p384, alg: 'ES384' }, {}, { alg: 'ES384' });
    expect(await outcome(mislabelled)).toBe('ok');
    // An ES384 key named for ES256.
    const [h, rest] = [mislabelled.split('.')[0]!, mislabelled.split('.').slice(1).join('.')];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
    const relabelled = `${Buffer.from(JSON.stringify({ ...header, alg: 'ES256' })).toString('base64url')}.${rest}`;
    expect(await outcome(relabelled)).toBe('the proof jwk is not a public key for its alg');
    const only = { ...expectations(), algorithms: ['EdDSA'] };
    expect(await outcome(await proof(await signer('ES256')), only)).toBe(
      'the proof alg is not accepted',
    );
  });

  it('checks typ and refuses critical extensions', async () => {
    const s = await signer('ES256');
    expect(await outcome(await proof(s, {}, { typ: 'application/DPoP+JWT' }))).toBe('ok');
    expect(await outcome(await proof(s, {}, { typ: 'JWT' }))).toBe(
      'the proof is not a valid dpop+jwt',
    );
    const key = nodeCrypto.KeyObject.from(s.privateKey);
    const header = { alg: 'ES256', typ: 'dpop+jwt', jwk: s.jwk };
    expect(await outcome(rawJws(header, CLAIMS(), key, 'sha256'))).toBe('ok');
    expect(
      await outcome(rawJws({ ...header, crit: ['b64'], b64: true }, CLAIMS(), key, 'sha256')),
    ).toBe('the proof is not a valid dpop+jwt');
  });

  it('checks the iat window with the tolerance, and exp / nbf when a proof has them', async () => {
    const s = await signer('EdDSA');
    const at = (iat: number, more: Record<string, unknown> = {}) =>
      proof(s, { iat: NOW / 1000 + iat, ...more }).then((p) => outcome(p));
    expect(await at(-65)).toBe('ok'); // 60 s + 5 s tolerance
    expect(await at(-66)).toBe('the proof is too old');
    expect(await at(5)).toBe('ok');
    expect(await at(6)).toBe('the proof iat is outside the accepted window');
    expect(await at(0, { exp: NOW / 1000 - 10 })).toBe('the proof is too old');
    expect(await at(0, { nbf: NOW / 1000 + 60 })).toBe(
      'the proof iat is outside the accepted window',
    );
    expect(await proof(s, { iat: 'now' }).then((p) => outcome(p))).toBe(
      'the proof claims are invalid',
    );
  });

  it('checks jti, htm, htu and ath', async () => {
    const s = await signer('ES256');
    expect(await outcome(await proof(s, { jti: 'short' }))).toBe(
      'the proof jti must be a string of 8 to 128 characters',
    );
    expect(await outcome(await proof(s, { htm: 'POST' }))).toBe(
      'the proof is for another HTTP method',
    );
    expect(await outcome(await proof(s, { htu: 'https://api.example.com/other' }))).toBe(
      'the proof is for another URL',
    );
    // The htu normalisation: default port and query/fragment ignored.
    expect(await outcome(await proof(s, { htu: 'https://API.example.com:443/me?x=1#f' }))).toBe(
      'ok',
    );
    const token = 'header.payload.signature';
    const ath = nodeCrypto.createHash('sha256').update(token).digest('base64url');
    const resource = { ...expectations(), accessToken: token };
    expect(await outcome(await proof(s, { ath }), resource)).toBe('ok');
    expect(await outcome(await proof(s, { ath: ath.replace(/^./, 'x') }), resource)).toBe(
      'the proof ath does not match the access token',
    );
    expect(await outcome(await proof(s), resource)).toBe(
      'the proof ath does not match the access token',
    );
  });
});
