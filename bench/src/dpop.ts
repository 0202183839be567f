// DPoP (RFC 9449) on an authenticated route: req/s with a DPoP-bound token (a fresh proof per
// request, verified, its jti spent in the replay cache) as a ratio to a bearer token with the
// token cache, on the same route of the same server in the same run; and the replay cache's size
// under steady load (it must level off at about rate × window, not grow with the request count).
// Proofs are made ahead of time with panva's `dpop`, so the load generator does not time them.
import { fork } from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { evrmore, privateKeyToAddress, type TokenResponse } from '@evrmore-auth/core';
import autocannon, { type AutocannonRequest } from 'autocannon';
import * as DPoP from 'dpop';
import type { DPoPServeOptions } from './dpop-serve.js';
import { POST_HEADERS, presign, WALLET_KEYS } from './lib/server.js';
import { median, ratio } from './lib/stats.js';
import type { BenchSection } from './section.js';

const ROUNDS = 5;
const CONNECTIONS = 16;
/** Seconds each variant runs per round (its request count is set from the warm-up rate). */
const SECONDS = 1.5;

interface Stats {
  entries: number;
  rss: number;
  heapUsed: number;
  /** The server's CPU time so far (user + system), µs. */
  cpu: number;
}

interface DPoPServer {
  base: string;
  stats(): Promise<Stats>;
  stop(): Promise<void>;
}

async function startDPoPServer(options: DPoPServeOptions): Promise<DPoPServer> {
  const child = fork(new URL('./dpop-serve.ts', import.meta.url).pathname, [], {
    // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it exits.
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
    ],
    env: { ...process.env, BENCH_DPOP_SERVE: JSON.stringify(options), NODE_ENV: 'development' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`dpop bench server exited (${code})`)));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    stats: () =>
      new Promise<Stats>((resolve) => {
        const onMessage = (m: unknown): void => {
          const stats = (m as { stats?: Stats } | null)?.stats;
          if (!stats) return;
          child.off('message', onMessage);
          resolve(stats);
        };
        child.on('message', onMessage);
        child.send({ stats: true });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

type Key = Awaited<ReturnType<typeof DPoP.generateKeyPair>>;

interface Session {
  token: string;
  cookie: string;
}

/** Sign in over HTTP, with a proof of `key` (a DPoP-bound token) or without (bearer). */
async function signIn(base: string, key: Key | null): Promise<Session> {
  const address = privateKeyToAddress(WALLET_KEYS[0]!, { network: evrmore });
  const [body] = await presign(base, [address], 1);
  const url = `${base}/auth/verify`;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      ...POST_HEADERS,
      ...(key ? { dpop: await DPoP.generateProof(key, url, 'POST') } : {}),
    },
    body: body!,
  });
  if (res.status !== 200) throw new Error(`verify: ${res.status} ${await res.text()}`);
  const tokens = (await res.json()) as TokenResponse;
  if (tokens.tokenType !== (key ? 'DPoP' : 'Bearer'))
    throw new Error(`expected a ${key ? 'DPoP' : 'Bearer'} token, got ${tokens.tokenType}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.includes('fgp='));
  if (!cookie) throw new Error('no fingerprint cookie');
  return { token: tokens.accessToken, cookie };
}

/** `n` proofs for `GET url` with `token`'s `ath`, each with its own jti. */
async function makeProofs(key: Key, url: string, token: string, n: number): Promise<string[]> {
  const proofs: string[] = [];
  for (let i = 0; i < n; i++)
    proofs.push(await DPoP.generateProof(key, url, 'GET', undefined, token));
  return proofs;
}

/**
 * `headersOf(i)` for request i, `n` requests: 2xx per second between the start and the last
 * response (an `amount` run ends on autocannon's next tick; that idle time is not counted).
 */
async function run(url: string, n: number, headersOf: (i: number) => Record<string, string>) {
  let i = 0;
  const request: AutocannonRequest = {
    method: 'GET',
    // The same per-request rebuild for both variants, so the load generator's cost is alike.
    setupRequest: (req) => ({ ...req, headers: headersOf(i++) }),
  };
  const start = performance.now();
  let last = start;
  const instance = autocannon({
    url,
    connections: CONNECTIONS,
    amount: n,
    sampleInt: 100,
    requests: [request],
  });
  instance.on('response', () => {
    last = performance.now();
  });
  const r = await instance;
  if (r.non2xx > 0 || r.errors > 0)
    throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: r['2xx'] / ((last - start) / 1000), ok: r['2xx'] };
}

/**
 * CPU µs of one signature verification of `kind` in OpenSSL (node:crypto, synchronous), over a
 * proof-sized input: the least any DPoP server must spend per request beyond a bearer one.
 */
function verifyFloor(kind: 'ec' | 'ed25519'): number {
  const { publicKey, privateKey } =
    kind === 'ec'
      ? nodeCrypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : nodeCrypto.generateKeyPairSync('ed25519');
  const digest = kind === 'ec' ? 'sha256' : null;
  const data = Buffer.alloc(600, 'e');
  const signature = nodeCrypto.sign(digest, data, privateKey);
  const n = 2000;
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) nodeCrypto.verify(digest, data, publicKey, signature);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

/**
 * Bearer with the token cache vs DPoP (ES256 and Ed25519 proofs) on the same `requireAuth` route:
 * ROUNDS interleaved rounds (the order rotates), medians, fresh proofs made before each DPoP run.
 *
 * @example
 * ```ts
 * const { rows } = await dpopSection.run();
 * ```
 */
export const dpopSection: BenchSection = {
  id: 'dpop',
  title: 'DPoP-bound vs bearer (token cache on) req/s on the same authenticated route',
  async run() {
    const server = await startDPoPServer({ proofMaxAgeSeconds: 60, clockToleranceSeconds: 30 });
    try {
      const url = `${server.base}/me`;
      const bearer = await signIn(server.base, null);
      const bearerHeaders = { authorization: `Bearer ${bearer.token}`, cookie: bearer.cookie };
      /** A DPoP variant: a session bound to a new `alg` key, a fresh proof per request. */
      const dpopVariant = async (alg: 'ES256' | 'Ed25519') => {
        const key = await DPoP.generateKeyPair(alg);
        const bound = await signIn(server.base, key);
        const base = { authorization: `DPoP ${bound.token}`, cookie: bound.cookie };
        return async (n: number) => {
          const proofs = await makeProofs(key, url, bound.token, n);
          // autocannon may build a request more than it sends: reuse is refused, so one extra
          // proof per connection at the end, never a repeat.
          return run(url, n - CONNECTIONS, (i) => ({ ...base, dpop: proofs[i]! }));
        };
      };
      const variants = {
        bearer: async (n: number) => run(url, n, () => bearerHeaders),
        es256: await dpopVariant('ES256'),
        ed25519: await dpopVariant('Ed25519'),
      };
      type Name = keyof typeof variants;
      const names = Object.keys(variants) as Name[];
      /** One timed run: req/s, and the server's CPU µs per answered request. */
      const sample = async (name: Name, n: number) => {
        const before = (await server.stats()).cpu;
        const { rps, ok } = await variants[name](n);
        return { rps, cpu: ((await server.stats()).cpu - before) / ok };
      };
      // Warm-up, and the request count that makes each run last about SECONDS.
      const warm = {} as Record<Name, number>;
      for (const name of names)
        warm[name] = (await sample(name, name === 'bearer' ? 2000 : 1000)).rps;
      const count = (name: Name): number => Math.max(1000, Math.round(warm[name] * SECONDS));
      const samples = Object.fromEntries(names.map((n) => [n, []])) as unknown as Record<
        Name,
        { rps: number; cpu: number }[]
      >;
      for (let r = 0; r < ROUNDS; r++) {
        for (let k = 0; k < names.length; k++) {
          const name = names[(r + k) % names.length]!;
          samples[name].push(await sample(name, count(name)));
        }
      }
      const rps = (name: Name): number => median(samples[name].map((x) => x.rps));
      const cpu = (name: Name): number => median(samples[name].map((x) => x.cpu));
      const row = (variant: string, name: Name, goal: string) => ({
        variant,
        'req/s': Math.round(rps(name)),
        'vs bearer': ratio(rps(name), rps('bearer')),
        'server CPU µs/req': Number(cpu(name).toFixed(1)),
        'vs bearer (CPU)': ratio(cpu('bearer'), cpu(name)),
        goal,
      });
      // The ceiling: a server that did nothing per DPoP request but one signature check more.
      const floor = { es256: verifyFloor('ec'), ed25519: verifyFloor('ed25519') };
      const ceiling = (name: 'es256' | 'ed25519') =>
        ratio(cpu('bearer'), cpu('bearer') + floor[name]);
      return {
        rows: [
          row('bearer + fingerprint cookie, token cache on', 'bearer', ''),
          row(
            'DPoP-bound + cookie + fresh ES256 proof (what the browser client makes)',
            'es256',
            '≥ 0.5×',
          ),
          row('DPoP-bound + cookie + fresh Ed25519 proof', 'ed25519', '≥ 0.5×'),
          {
            variant:
              'ceiling: bearer + one signature check (OpenSSL, this machine), ES256 / Ed25519',
            'req/s': '',
            'vs bearer': '',
            'server CPU µs/req': `+${floor.es256.toFixed(1)} / +${floor.ed25519.toFixed(1)}`,
            'vs bearer (CPU)': `${ceiling('es256')} / ${ceiling('ed25519')}`,
            goal: '',
          },
        ],
        notes: [
          `Hono + requireAuth, one auth instance (dpop mode allowed, memory store, native backend), server in a child process; autocannon, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of about ${SECONDS} s per variant (medians). ` +
            'Each DPoP request carries its own ES256 or Ed25519 proof (made ahead of time with the dpop package, not timed): its signature verified with node:crypto (the key imported once by jose), htm/htu/ath/iat checked, thumbprint compared with cnf.jkt, jti spent in the replay cache. ' +
            'The ceiling row: the bearer CPU plus one OpenSSL verification of that kind, timed in this process: no DPoP server can do better than that ratio on this machine. ' +
            'The bearer token is served from the token cache (signature verified once). Server CPU: the ' +
            'server process\'s user + system time over the requests it answered; "vs bearer (CPU)" is bearer µs / DPoP µs ' +
            '(the req/s ratio a server with a core to itself would show).',
        ],
      };
    } finally {
      await server.stop();
    }
  },
};

const STEPS = 8;
const STEP_REQUESTS = 2500;

/**
 * The proof-jti replay cache under steady load with a short window (proofMaxAgeSeconds 5, clock
 * tolerance 0: entries live 5 s): its live entries after each step level off at about
 * rate × window while the requests served keep growing.
 *
 * @example
 * ```ts
 * const { rows } = await dpopReplaySection.run();
 * ```
 */
export const dpopReplaySection: BenchSection = {
  id: 'dpop-replay',
  title: 'DPoP proof-jti replay cache: live entries under steady load (5 s window)',
  async run() {
    const window = 5;
    const server = await startDPoPServer({ proofMaxAgeSeconds: window, clockToleranceSeconds: 0 });
    try {
      const url = `${server.base}/me`;
      const key = await DPoP.generateKeyPair('ES256');
      const bound = await signIn(server.base, key);
      const base = { authorization: `DPoP ${bound.token}`, cookie: bound.cookie };
      const rows: Record<string, string | number>[] = [];
      const start = performance.now();
      let served = 0;
      for (let step = 1; step <= STEPS; step++) {
        // Made just before their run: each proof's iat must be within the 5 s window.
        const proofs = await makeProofs(key, url, bound.token, STEP_REQUESTS + CONNECTIONS);
        const { rps: rate } = await run(url, STEP_REQUESTS, (i) => ({
          ...base,
          dpop: proofs[i]!,
        }));
        served += STEP_REQUESTS;
        const s = await server.stats();
        rows.push({
          step,
          's since start': Number(((performance.now() - start) / 1000).toFixed(1)),
          'requests served': served,
          'req/s in step': Math.round(rate),
          'live jti entries': s.entries,
          'entries / served': ratio(s.entries, served),
          'server RSS MiB': Number((s.rss / 2 ** 20).toFixed(1)),
        });
      }
      // No load for a window and a second: every entry has expired.
      await new Promise((resolve) => setTimeout(resolve, (window + 1) * 1000));
      const idle = await server.stats();
      rows.push({
        step: `idle ${window + 1} s`,
        's since start': Number(((performance.now() - start) / 1000).toFixed(1)),
        'requests served': served,
        'req/s in step': 0,
        'live jti entries': idle.entries,
        'entries / served': ratio(idle.entries, served),
        'server RSS MiB': Number((idle.rss / 2 ** 20).toFixed(1)),
      });
      return {
        rows,
        notes: [
          `${STEPS} steps of ${STEP_REQUESTS} DPoP requests (fresh proofs made before each step, so the load has pauses), one server with proofMaxAgeSeconds ${window} and clockToleranceSeconds 0: a spent jti is kept ${window} s. ` +
            '"live jti entries" is the size of the memory store\'s ea:dpop limiter map after the step; once the run is longer than the window it stays near (requests in the last window), while "requests served" keeps growing.',
        ],
      };
    } finally {
      await server.stop();
    }
  },
};
