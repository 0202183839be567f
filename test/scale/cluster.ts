// Starts real server processes on loopback (test/scale/instance.mjs, which imports the BUILT
// packages) and a test-owned redis-server, and talks to them like a browser would.

import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const INSTANCE = fileURLToPath(new URL('./instance.mjs', import.meta.url));
const SERVER_DIST = fileURLToPath(new URL('../../packages/server/dist/index.js', import.meta.url));

/** Whether `pnpm --filter './packages/*' build` has produced the server package. */
export function serverBuilt(): boolean {
  return existsSync(SERVER_DIST);
}

/** The origin every instance is configured with (the app behind the load balancer). */
export const ORIGIN = 'https://app.example.test';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

/** One Ed25519 signing key shared by every instance (as a private JWK, passed via env). */
export function sharedJwk(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return JSON.stringify({ ...privateKey.export({ format: 'jwk' }), kid: 'scale-1', alg: 'EdDSA' });
}

/** One MFA encryption key (32 bytes, hex) shared by every instance. */
export function sharedMfaKey(): string {
  return randomBytes(32).toString('hex');
}

/** A running server instance. */
export interface Instance {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Environment an instance reads: which store and where. */
export interface InstanceEnv {
  STORE: 'redis' | 'postgres';
  REDIS_URL?: string;
  KEY_PREFIX?: string;
  DATABASE_URL?: string;
  PG_SCHEMA?: string;
  AUTH_JWK: string;
  /** Refresh grace window in seconds (the scale tests use a short one). */
  GRACE_SECONDS?: string;
  /** Enables MFA with this shared AES key (hex). */
  MFA_KEY?: string;
}

const READY_TIMEOUT_MS = 20_000;

/** Spawns one instance and resolves once it listens. */
export async function startInstance(env: InstanceEnv): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, [INSTANCE], {
    env: { ...process.env, ...env, PORT: String(port), ORIGIN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`instance did not start in time:\n${output}`)),
      READY_TIMEOUT_MS,
    );
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes(`READY ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    stop: () => stopChild(child),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts `n` instances with the same environment. */
export async function startInstances(n: number, env: InstanceEnv): Promise<Instance[]> {
  const out: Instance[] = [];
  for (let i = 0; i < n; i++) out.push(await startInstance(env));
  return out;
}

/** A redis-server owned by the test (its own port, no persistence), stoppable mid-run. */
export interface OwnedRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** Path of redis-server, or null when it is not installed. */
export function redisServerBinary(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = `${dir}/redis-server`;
    if (dir && existsSync(p)) return p;
  }
  return null;
}

/** Starts a private redis-server (`--save '' --appendonly no`) on a free port. */
export async function startOwnedRedis(): Promise<OwnedRedis> {
  const bin = redisServerBinary();
  if (!bin) throw new Error('redis-server not found on PATH');
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    const c = spawn(
      bin,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = c;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start:\n${out}`)),
        10_000,
      );
      c.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${out}`));
      });
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop: async () => {
      if (child) await stopChild(child);
      child = null;
    },
  };
}
