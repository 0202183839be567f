// Runs Worker modules under workerd (Cloudflare's runtime, from the `workerd` package), locally and
// offline: a module is bundled with esbuild the way wrangler bundles it (ESM, the `workerd` and
// `worker` export conditions), a capnp config is written next to it, and `workerd serve` listens
// on one loopback port per service. Several services in one config are separate isolates; they can
// share one Durable Object namespace, as the isolates of a deployed Worker do.

import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BINARIES, freePort, startServer, type ServerProcess } from './processes.js';

/** The compatibility date every test Worker uses (≤ the installed workerd's own date). */
export const COMPATIBILITY_DATE = '2026-11-01';

/** Bundles `entry` (TypeScript or JavaScript) into one ES module, as wrangler would. */
export async function bundleWorker(
  entry: string,
  outfile: string,
  options: { minify?: boolean; nodejsCompat?: boolean } = {},
): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    minify: options.minify ?? false,
    external: ['cloudflare:*', ...(options.nodejsCompat ? ['node:*'] : [])],
    logLevel: 'silent',
  });
}

/** One Worker (one isolate) of a workerd process. */
export interface WorkerService {
  /** The service's name (also the folder of its module in the config). */
  name: string;
  /** An ES module bundle to run (see {@link bundleWorker}). */
  module: string;
  /** @default [] (e.g. `['nodejs_compat']`) */
  compatibilityFlags?: string[];
  /** Text bindings (`env.NAME`, a string). */
  vars?: Record<string, string>;
  /**
   * Durable Object classes this service exports and hosts: `binding` → class name. Their storage
   * is in memory, for the life of the workerd process.
   */
  durableObjects?: Record<string, string>;
  /** Bindings to another service's Durable Object class: `binding` → `{ service, className }`. */
  durableObjectBindings?: Record<string, { service: string; className: string }>;
  /** Whether the service gets a port of its own. @default true */
  listen?: boolean;
}

/** A running workerd process and each listening service's URL. */
export interface WorkerdProcess {
  urls: Record<string, string>;
  process: ServerProcess;
  stop(): Promise<void>;
}

const capnpString = (value: string): string => JSON.stringify(value);

/** Starts workerd with `services` and resolves once every listening service accepts connections. */
export async function startWorkerd(services: WorkerService[]): Promise<WorkerdProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'evrmore-auth-workerd-'));
  const ports: Record<string, number> = {};
  for (const s of services) if (s.listen !== false) ports[s.name] = await freePort();

  // capnp's `embed` reads paths relative to the config file: each module is copied next to it.
  await Promise.all(services.map((s, i) => copyFile(s.module, join(dir, `service-${i}.js`))));
  const workers = services.map((s, i) => {
    const bindings = [
      ...Object.entries(s.vars ?? {}).map(
        ([name, text]) => `(name = ${capnpString(name)}, text = ${capnpString(text)})`,
      ),
      ...Object.entries(s.durableObjects ?? {}).map(
        ([name, className]) =>
          `(name = ${capnpString(name)}, durableObjectNamespace = ${capnpString(className)})`,
      ),
      ...Object.entries(s.durableObjectBindings ?? {}).map(
        ([name, ref]) =>
          `(name = ${capnpString(name)}, durableObjectNamespace = (className = ${capnpString(ref.className)}, serviceName = ${capnpString(ref.service)}))`,
      ),
    ];
    const namespaces = Object.values(s.durableObjects ?? {}).map(
      (className) =>
        `(className = ${capnpString(className)}, uniqueKey = ${capnpString(`${s.name}-${className}`)})`,
    );
    return `const worker${i} :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed ${capnpString(`service-${i}.js`)}) ],
  compatibilityDate = ${capnpString(COMPATIBILITY_DATE)},
  compatibilityFlags = [${(s.compatibilityFlags ?? []).map(capnpString).join(', ')}],
  bindings = [${bindings.join(',\n    ')}],
  durableObjectNamespaces = [${namespaces.join(', ')}],
  ${namespaces.length > 0 ? 'durableObjectStorage = (inMemory = void),' : ''}
);`;
  });
  const config = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [${services.map((s, i) => `(name = ${capnpString(s.name)}, worker = .worker${i})`).join(', ')}],
  sockets = [${Object.entries(ports)
    .map(
      ([name, port]) =>
        `(name = ${capnpString(name)}, address = "127.0.0.1:${port}", http = (), service = ${capnpString(name)})`,
    )
    .join(', ')}],
);

${workers.join('\n\n')}
`;
  const configPath = join(dir, 'config.capnp');
  await writeFile(configPath, config);
  const first = Object.values(ports)[0];
  const proc = await startServer({
    command: BINARIES.workerd,
    args: ['serve', configPath, '--verbose'],
    ...(first === undefined ? {} : { port: first }),
    ready: 'port',
  });
  return {
    urls: Object.fromEntries(
      Object.entries(ports).map(([name, port]) => [name, `http://127.0.0.1:${port}`]),
    ),
    process: proc,
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
