// A test-owned three-master Redis Cluster on free loopback ports (no persistence, no replicas),
// so the Redis store's key layout is checked against a real cluster, not only a single node.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redisServerBinary } from '../scale/cluster.js';

/** A running cluster and how to stop it. */
export interface OwnedCluster {
  nodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

/** Whether redis-server and redis-cli are installed. */
export function clusterToolsAvailable(): boolean {
  return redisServerBinary() !== null && spawnSync('redis-cli', ['--version']).status === 0;
}

export async function startOwnedCluster(): Promise<OwnedCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'evrauth-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children = ports.map((port) =>
    spawn(
      redisServerBinary()!,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    ),
  );
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      let up = false;
      for (let i = 0; i < 50 && !up; i++) {
        up =
          spawnSync('redis-cli', ['-p', String(port), 'ping'])
            .stdout?.toString()
            .trim() === 'PONG';
        if (!up) await new Promise((r) => setTimeout(r, 100));
      }
      if (!up) throw new Error(`cluster node ${port} did not start`);
    }
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    if (create.status !== 0)
      throw new Error(`cluster create failed: ${create.stdout}${create.stderr}`);
    let ok = false;
    for (let i = 0; i < 100 && !ok; i++) {
      ok = ports.every((p) =>
        spawnSync('redis-cli', ['-p', String(p), 'cluster', 'info'])
          .stdout?.toString()
          .includes('cluster_state:ok'),
      );
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    if (!ok) throw new Error('cluster did not reach cluster_state:ok');
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
}
