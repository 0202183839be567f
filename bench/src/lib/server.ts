// Start the bench server (src/lib/serve.ts) in a child process, so the load generator (autocannon,
// in this process) and the server under test do not share an event loop.
import { fork, type ChildProcess } from 'node:child_process';
import { evrmore, signMessage, type TokenResponse } from '@evrmore-auth/core';

/** What the child serves. */
export interface ServeOptions {
  /** secp256k1 backend of the server's sign-in verification. */
  backend: 'noble' | 'tiny-secp256k1' | 'native';
}

/** A running bench server. */
export interface BenchServer {
  hono: string;
  express: string;
  /** A bare node:http server answering any POST like Hono's `/floor` (no framework, no auth). */
  node: string;
  /** The server's event-loop utilisation (0–1) since the previous call. */
  elu(): Promise<number>;
  /** The server process's CPU time (user + system, µs) since the previous call. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

export const DOMAIN = 'app.example.com';
export const ORIGIN = `https://${DOMAIN}`;
/** Headers every POST to the auth routes carries (CSRF guard of the server). */
export const POST_HEADERS = {
  'content-type': 'application/json',
  'x-requested-with': 'evrmore-auth',
  origin: ORIGIN,
};

/**
 * Fork `serve.ts` (through tsx) and wait for its ports.
 *
 * @example
 * ```ts
 * const server = await startServer({ backend: 'native' });
 * await server.stop();
 * ```
 */
export async function startServer(options: ServeOptions): Promise<BenchServer> {
  const child: ChildProcess = fork(new URL('./serve.ts', import.meta.url).pathname, [], {
    // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it exits.
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
    ],
    env: { ...process.env, BENCH_SERVE: JSON.stringify(options), NODE_ENV: 'development' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  type Ports = { hono: number; express: number; node: number };
  const ports = await new Promise<Ports>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ports));
    child.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
  });
  /** Ask the child for one figure (`{ [what]: true }` → `{ [what]: number }`). */
  const ask = (what: 'elu' | 'cpu'): Promise<number> =>
    new Promise<number>((resolve) => {
      const onMessage = (m: Record<string, unknown>): void => {
        const value = m?.[what];
        if (typeof value !== 'number') return;
        child.off('message', onMessage);
        resolve(value);
      };
      child.on('message', onMessage);
      child.send({ [what]: true });
    });
  return {
    hono: `http://127.0.0.1:${ports.hono}`,
    express: `http://127.0.0.1:${ports.express}`,
    node: `http://127.0.0.1:${ports.node}`,
    elu: () => ask('elu'),
    cpu: () => ask('cpu'),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Bench wallets (fixed test keys, never real funds). */
export const WALLET_KEYS = ['11', '22', '33', '44'].map((b) => b.repeat(32));

/**
 * Issue `n` challenges over HTTP and sign each ahead of time: the bodies of `POST /auth/verify`.
 *
 * @example
 * ```ts
 * const bodies = await presign(server.hono, addresses, 100);
 * ```
 */
export async function presign(base: string, addresses: string[], n: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % addresses.length;
    const res = await fetch(`${base}/auth/challenge`, {
      method: 'POST',
      headers: POST_HEADERS,
      body: JSON.stringify({ address: addresses[k] }),
    });
    if (res.status !== 201) throw new Error(`challenge: ${res.status} ${await res.text()}`);
    const { message } = (await res.json()) as { message: string };
    const signature = signMessage({ privateKey: WALLET_KEYS[k]!, message, network: evrmore });
    bodies.push(JSON.stringify({ message, signature }));
  }
  return bodies;
}

/**
 * Sign in once over HTTP: the bearer + fingerprint-cookie headers of authenticated calls.
 *
 * @example
 * ```ts
 * const headers = await signInHeaders(server.hono, address);
 * ```
 */
export async function signInHeaders(
  base: string,
  address: string,
): Promise<Record<string, string>> {
  const [body] = await presign(base, [address], 1);
  const res = await fetch(`${base}/auth/verify`, {
    method: 'POST',
    headers: POST_HEADERS,
    body: body!,
  });
  if (res.status !== 200) throw new Error(`verify: ${res.status} ${await res.text()}`);
  const tokens = (await res.json()) as TokenResponse;
  const fgp = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => c.includes('fgp='));
  if (!fgp) throw new Error('no fingerprint cookie');
  return { authorization: `Bearer ${tokens.accessToken}`, cookie: fgp };
}
