// A server-rendered Next.js page guarded by `auth()` (@evrmore-auth/server/next) vs the same page
// without auth, req/s ratio in the same run. The pages are examples/nextjs's /bench/guarded and
// /bench/plain (they differ only by the auth() call), served by `next start` (the production
// server) in its own process; the example is built first when it has no build.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { evrmore, privateKeyToAddress, signMessage } from '@evrmore-auth/core';
import autocannon from 'autocannon';
import { WALLET_KEYS } from './lib/server.js';
import { median, ratio } from './lib/stats.js';
import type { BenchSection } from './section.js';

const ROUNDS = 7;
const SECONDS = 3;
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

/**
 * CPU time (user + system, µs) of every process in the process group `pgid` (`next start` and the
 * next-server it starts), from /proc; `null` where there is no /proc.
 */
function groupCpuMicros(pgid: number): number | null {
  if (!existsSync('/proc/self/stat')) return null;
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command name (which may hold spaces): state ppid pgrp … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

interface Sample {
  rps: number;
  /** Server CPU µs per request, or null without /proc. */
  cpu: number | null;
}

async function measure(
  url: string,
  cookie: string,
  duration: number,
  pgid: number,
): Promise<Sample> {
  const before = groupCpuMicros(pgid);
  const r = await autocannon({ url, connections: CONNECTIONS, duration, headers: { cookie } });
  const after = groupCpuMicros(pgid);
  if (r.non2xx > 0 || r.errors > 0)
    throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return {
    rps: r['2xx'] / r.duration,
    cpu: before === null || after === null ? null : (after - before) / r['2xx'],
  };
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
      const pgid = child.pid!;
      for (const v of variants) await measure(v.url, cookie, 1, pgid); // warm-up
      const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
      for (let r = 0; r < ROUNDS; r++)
        for (let k = 0; k < variants.length; k++) {
          const v = variants[(r + k) % variants.length]!;
          samples.get(v.name)!.push(await measure(v.url, cookie, SECONDS, pgid));
        }
      const rps = (name: string): number => median(samples.get(name)!.map((s) => s.rps));
      const cpus = (name: string): number[] =>
        samples.get(name)!.flatMap((s) => (s.cpu === null ? [] : [s.cpu]));
      const [plain, guarded] = [rps('plain'), rps('guarded')];
      const [plainCpu, guardedCpu] = [cpus('plain'), cpus('guarded')];
      const haveCpu = plainCpu.length > 0 && guardedCpu.length > 0;
      return {
        rows: [
          {
            page: 'examples/nextjs /bench/*',
            'without auth req/s': Math.round(plain),
            'auth() req/s': Math.round(guarded),
            'auth() vs without': ratio(guarded, plain),
            'server CPU µs/req: without, auth()': haveCpu
              ? `${Math.round(median(plainCpu))}, ${Math.round(median(guardedCpu))}`
              : null,
            'auth() vs without (CPU)': haveCpu ? ratio(median(plainCpu), median(guardedCpu)) : null,
          },
        ],
        notes: [
          `next start (production build), autocannon ${CONNECTIONS} connections, ${ROUNDS} interleaved ` +
            `rounds of ${SECONDS} s per page (medians), the signed-in cookies on every request. Both pages ` +
            'render on every request (they read headers()) through the same proxy (a fresh session cookie ' +
            'passes it without verification); the guarded page adds auth(): the session cookie JWT verified ' +
            '(token cache), the fingerprint cookie, the session read from the memory store. Server CPU: user + ' +
            "system time of next's process group over the requests it answered in the round (from /proc); " +
            '"vs without (CPU)" is without µs / auth() µs: on a loaded machine req/s moves with the load, CPU ' +
            'per request much less.',
        ],
      };
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  },
};
