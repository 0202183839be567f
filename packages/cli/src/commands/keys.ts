// Signing keys for createEvrmoreAuth's `keys` option: generate one, derive the public JWKS.
import { exportJWK, exportPKCS8, generateKeyPair, importJWK, importPKCS8, type JWK } from 'jose';
import { CliError } from '../cli-error.js';
import {
  choice,
  json,
  readInput,
  str,
  type Command,
  type Io,
  type ParsedArgs,
} from '../command.js';

type Alg = 'EdDSA' | 'ES256';
const ALGS: readonly Alg[] = ['EdDSA', 'ES256'];
const FORMATS = ['env', 'json', 'jwk', 'pem'] as const;
const KID = /^[\x21-\x7e]{1,128}$/;

/** The environment variable `--format env` sets and the README's snippet reads. */
export const ENV_NAME = 'AUTH_KEYS';

function checkKid(kid: string): string {
  if (!KID.test(kid)) throw new CliError(`--kid must be 1-128 printable ASCII characters`);
  return kid;
}

/** Today's date (UTC), the default key id: `2026-12-04`. */
function defaultKid(): string {
  return new Date().toISOString().slice(0, 10);
}

export const keysGenerate: Command = {
  path: ['keys', 'generate'],
  summary: 'print a new private signing key',
  usage: 'keys generate [--alg EdDSA|ES256] [--kid ID] [--format jwk|env|json|pem]',
  help: `The key is printed on stdout only: redirect it into your secret store, e.g.
  evrmore-auth keys generate --format env >> .env

Options:
  --alg EdDSA|ES256     signing algorithm (default EdDSA, Ed25519)
  --kid ID              key id in token headers and the JWKS (default today's date, UTC)
  --format jwk          (default) the private JWK, with kid, alg and use
  --format env          a line AUTH_KEYS='[{"kid":…,"alg":…,"privateKey":{…}}]' for a
                        .env file; createEvrmoreAuth({ keys: JSON.parse(process.env.AUTH_KEYS!) })
  --format json         one entry of that array: {"kid","alg","privateKey"} (for rotation)
  --format pem          the private key as PKCS#8 PEM (pass the kid to the server yourself)`,
  options: {
    alg: { type: 'string' },
    kid: { type: 'string' },
    format: { type: 'string' },
  },
  async run(args: ParsedArgs, io: Io) {
    const alg = choice(args, 'alg', ALGS, 'EdDSA');
    const format = choice(args, 'format', FORMATS, 'jwk');
    const kid = checkKid(str(args, 'kid') ?? defaultKid());
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    if (format === 'pem') {
      const pem = await exportPKCS8(privateKey);
      io.out(pem.endsWith('\n') ? pem : `${pem}\n`);
      return 0;
    }
    const jwk = await exportJWK(privateKey);
    if (format === 'jwk') io.out(`${JSON.stringify({ ...jwk, kid, alg, use: 'sig' })}\n`);
    else if (format === 'json') io.out(`${JSON.stringify({ kid, alg, privateKey: jwk })}\n`);
    else io.out(`${ENV_NAME}='${JSON.stringify([{ kid, alg, privateKey: jwk }])}'\n`);
    return 0;
  },
};

/** A private key as found in the input, before import. */
interface FoundKey {
  kid: string | undefined;
  alg: Alg | undefined;
  key: JWK | string;
  where: string;
}

function algOfJwk(jwk: JWK): Alg | undefined {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  return undefined;
}

/** Collects keys from parsed JSON: a JWK, a key config, a JWKS, or an array of those. */
function collect(value: unknown, where: string, out: FoundKey[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => collect(v, `${where}[${i}]`, out));
    return;
  }
  if (typeof value !== 'object' || value === null)
    throw new CliError(`${where}: expected a JWK, a key config or a JWKS`);
  const o = value as Record<string, unknown>;
  if (Array.isArray(o.keys)) {
    collect(o.keys, `${where}.keys`, out);
    return;
  }
  const alg = typeof o.alg === 'string' ? o.alg : undefined;
  if (alg === 'HS256') return; // shared secrets are never published
  if (alg !== undefined && !(ALGS as readonly string[]).includes(alg))
    throw new CliError(`${where}: alg must be EdDSA or ES256 (got '${alg}')`);
  const kid = typeof o.kid === 'string' ? o.kid : undefined;
  if ('privateKey' in o || 'publicKey' in o) {
    const key = o.privateKey ?? o.publicKey;
    if (typeof key !== 'string' && (typeof key !== 'object' || key === null))
      throw new CliError(`${where}: privateKey must be a PEM string or a JWK object`);
    out.push({ kid, alg: alg as Alg | undefined, key: key as JWK | string, where });
    return;
  }
  if (typeof o.kty === 'string') {
    out.push({ kid, alg: alg as Alg | undefined, key: o as JWK, where });
    return;
  }
  throw new CliError(`${where}: expected a JWK, a key config or a JWKS`);
}

/** Finds the keys in the input text: JSON, `NAME='json'` lines of a .env file, or one PEM. */
function findKeys(text: string, source: string): FoundKey[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new CliError(`${source}: empty input`);
  const found: FoundKey[] = [];
  if (trimmed.startsWith('-----BEGIN')) {
    if (!trimmed.startsWith('-----BEGIN PRIVATE KEY-----'))
      throw new CliError(`${source}: expected a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)`);
    found.push({ kid: undefined, alg: undefined, key: trimmed, where: source });
    return found;
  }
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch {
      throw new CliError(`${source}: not valid JSON`);
    }
    collect(value, source, found);
    return found;
  }
  // A .env file: the AUTH_KEYS line when there is one (its mistakes are reported), else every
  // NAME='[…]' / NAME={…} line whose JSON value holds keys (other JSON settings are skipped).
  const entries: { name: string; raw: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) return;
    let raw = m[2]!.trim();
    if (/^(['"]).*\1$/.test(raw)) raw = raw.slice(1, -1);
    if (raw.startsWith('[') || raw.startsWith('{')) entries.push({ name: m[1]!, raw, line: i + 1 });
  });
  const named = entries.filter((e) => e.name === ENV_NAME);
  for (const e of named.length > 0 ? named : entries) {
    let value: unknown;
    try {
      value = JSON.parse(e.raw);
    } catch {
      if (named.length === 0) continue;
      throw new CliError(`${source}: line ${e.line} (${e.name}): not valid JSON`);
    }
    const before = found.length;
    try {
      collect(value, `${source}: ${e.name}`, found);
    } catch (err) {
      found.length = before;
      if (named.length > 0) throw err;
    }
  }
  if (found.length === 0)
    throw new CliError(`${source}: no keys found (expected JSON, a PEM or NAME='…' lines)`);
  return found;
}

async function publicJwk(
  found: FoundKey,
  kidOption: string | undefined,
  algOption: Alg | undefined,
) {
  const kid = found.kid ?? kidOption;
  if (kid === undefined) throw new CliError(`${found.where}: the key has no kid: pass --kid`);
  checkKid(kid);
  let alg = found.alg ?? algOption;
  if (typeof found.key !== 'string') {
    const fromJwk = algOfJwk(found.key);
    if (fromJwk === undefined)
      throw new CliError(`${found.where}: not an Ed25519 (OKP) or P-256 (EC) key`);
    if (alg !== undefined && alg !== fromJwk)
      throw new CliError(`${found.where}: the key is ${fromJwk}, not ${alg}`);
    alg = fromJwk;
  }
  const candidates: readonly Alg[] = alg === undefined ? ALGS : [alg];
  for (const a of candidates) {
    try {
      const key =
        typeof found.key === 'string'
          ? await importPKCS8(found.key, a, { extractable: true })
          : await importJWK({ ...found.key, ext: true }, a, { extractable: true });
      if (key instanceof Uint8Array) break;
      // A public-only input yields a public key; either way export only the public members.
      const { kty, crv, x, y } = await exportJWK(key);
      const pub: JWK = { kty, crv, x, ...(y === undefined ? {} : { y }) };
      return { ...pub, kid, alg: a, use: 'sig' } satisfies JWK;
    } catch {
      // try the next algorithm
    }
  }
  throw new CliError(
    `${found.where}: cannot import the key${alg === undefined ? '' : ` as ${alg}`}`,
  );
}

export const keysPublic: Command = {
  path: ['keys', 'public'],
  summary: 'print the public JWKS of private keys',
  usage: 'keys public [FILE|-] [--kid ID] [--alg EdDSA|ES256]',
  help: `Reads private keys from FILE (or stdin) and prints the JWKS {"keys":[…]} with public parts
only, as GET /auth/jwks.json serves it. The input may be:
  - the AUTH_KEYS array (or one entry) that keys generate prints, or a .env file holding it;
  - a private JWK, an array of them, or a JWKS;
  - one PKCS#8 PEM (then --kid is required; --alg when it is not obvious).
HS256 entries (shared secrets) are never published and are left out.

Options:
  --kid ID              key id for inputs that carry none (a PEM, a JWK without kid)
  --alg EdDSA|ES256     algorithm for a PEM (default: detected)`,
  options: { kid: { type: 'string' }, alg: { type: 'string' } },
  allowPositionals: 1,
  async run(args, io) {
    const file = args.positionals[0];
    const text = await readInput(io, file, 'keys');
    const algOption =
      str(args, 'alg') === undefined ? undefined : choice(args, 'alg', ALGS, 'EdDSA');
    const found = findKeys(text, file === undefined || file === '-' ? 'stdin' : file);
    const keys: JWK[] = [];
    for (const f of found) keys.push(await publicJwk(f, str(args, 'kid'), algOption));
    const kids = new Set<string>();
    for (const k of keys) {
      if (kids.has(k.kid!)) throw new CliError(`kid '${k.kid}' appears twice`);
      kids.add(k.kid!);
    }
    io.out(json({ keys }));
    return 0;
  },
};
