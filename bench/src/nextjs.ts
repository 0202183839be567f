// A server-rendered Next.js page guarded by `auth()` (@evrmore-auth/server/next) vs the same page
// without auth, req/s ratio in the same run. The pages are examples/nextjs's /bench/guarded and
// /bench/plain (they differ only by the auth() call), served by `next start` (the production
// server) in its own process; the example is built first when it has no build.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { evrmore, privateKeyToAddress, signMessage } from '@evrmore-auth/core';
import autocannon from 'autocannon';
import { WALLET_KEYS } from './lib/server.js';
import { median, ratio } from './lib/stats.js';
import type { BenchSection } from './section.js';

const ROUNDS = 5;
const SECONDS = 2;
const CONNECTIONS = 8;

const exampleDir = fileURLToPath(new URL('../../examples/nextjs/', import.meta.url));
const nextBin = `${exampleDir}node_modules/.bin/next`;
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(nextBin, ['build'], { cwd: exampleDir, env, stdio: 'pipe' });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`next build: ${out}`))));
  });
}

async function start(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(nextBin, ['start', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: exampleDir,
    env: { ...env, EVRMORE_AUTH_ORIGIN: url },
    stdio: 'ignore',
    detached: true, // its own process group: stop() ends next and any worker it forks
  });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/bench/plain`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  process.kill(-child.pid!, 'SIGTERM');
  throw new Error('next start did not answer within 60 s');
}

/** Sign in over HTTP (challenge, signature, verify): the cookie header of the signed-in browser. */
async function signInCookie(url: string): Promise<string> {
  const address = privateKeyToAddress(WALLET_KEYS[0]!, { network: evrmore });
  const headers = { 'content-type': 'application/json', origin: url };
  const challenge = await fetch(`${url}/auth/challenge`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ address }),
  });
  if (challenge.status !== 201) throw new Error(`challenge: ${challenge.status}`);
  const { message } = (await challenge.json()) as { message: string };
  const signature = signMessage({ privateKey: WALLET_KEYS[0]!, message, network: evrmore });
  const verify = await fetch(`${url}/auth/verify`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ message, signature }),
  });
  if (verify.status !== 200) throw new Error(`verify: ${verify.status} ${await verify.text()}`);
  const cookie = verify.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
  const page = await (await fetch(`${url}/bench/guarded`, { headers: { cookie } })).text();
  if (!page.includes(address)) throw new Error('the guarded page does not see the session');
  return cookie;
}

async function measure(url: string, cookie: string, duration: number): Promise<number> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration, headers: { cookie } });
  if (r.non2xx > 0 || r.errors > 0)
    throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r['2xx'] / r.duration;
}

/**
 * `/bench/guarded` (auth() reads the session cookie: JWT + fingerprint + session in the store)
 * vs `/bench/plain`, both dynamic server renders through the example's proxy, signed-in cookies
 * on both; ROUNDS interleaved rounds, medians.
 *
 * @example
 * ```ts
 * const { rows } = await nextjsSection.run();
 * ```
 */
export const nextjsSection: BenchSection = {
  id: 'nextjs',
  title: 'Next.js: server-rendered page guarded by auth() vs the same page without auth',
  async run() {
    if (!existsSync(`${exampleDir}.next/BUILD_ID`)) await build();
    const { url, child } = await start();
    try {
      const cookie = await signInCookie(url);
      const variants = [
        { name: 'plain', url: `${url}/bench/plain` },
        { name: 'guarded', url: `${url}/bench/guarded` },
      ];
      for (const v of variants) await measure(v.url, cookie, 1); // warm-up
      const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
      for (let r = 0; r < ROUNDS; r++)
        for (let k = 0; k < variants.length; k++) {
          const v = variants[(r + k) % variants.length]!;
          samples.get(v.name)!.push(await measure(v.url, cookie, SECONDS));
        }
      const plain = median(samples.get('plain')!);
      const guarded = median(samples.get('guarded')!);
      return {
        rows: [
          {
            page: 'examples/nextjs /bench/*',
            'without auth req/s': Math.round(plain),
            'auth() req/s': Math.round(guarded),
            'auth() vs without': ratio(guarded, plain),
          },
        ],
        notes: [
          `next start (production build), autocannon ${CONNECTIONS} connections, ${ROUNDS} interleaved ` +
            `rounds of ${SECONDS} s per page (medians), the signed-in cookies on every request. Both pages ` +
            'render on every request (they read headers()) through the same proxy (a fresh session cookie ' +
            'passes it without verification); the guarded page adds auth(): the session cookie JWT verified ' +
            '(token cache), the fingerprint cookie, the session read from the memory store.',
        ],
      };
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  },
};
