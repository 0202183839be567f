import { execSync, spawn } from 'node:child_process';
import { evrmore, privateKeyToAddress } from '@evrmore-auth/core';
import autocannon from 'autocannon';
import { signInHeaders, startServer, WALLET_KEYS } from './lib/server.js';
const server = await startServer({ backend: 'native' });
const address = privateKeyToAddress(WALLET_KEYS[0]!, { network: evrmore });
const auth = await signInHeaders(server.hono, address);
const pid = execSync(`pgrep -f "lib/serve.ts" | head -1`).toString().trim();
for (const path of process.argv.slice(2)) {
  await autocannon({ url: `${server.hono}${path}`, connections: 16, amount: 20000, headers: auth });
  const perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '4999', '-g', '-p', pid, '-o', `/tmp/perf${path.replace('/', '-')}.data`], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));
  const c0 = await server.cpu();
  const r = await autocannon({ url: `${server.hono}${path}`, connections: 16, amount: 60000, headers: auth });
  const c1 = await server.cpu();
  perf.kill('SIGINT');
  await new Promise((r) => perf.once('exit', r));
  console.log(path, 'cpu µs/req', ((c1 - c0) / r['2xx']).toFixed(1), 'req', r['2xx']);
}
await server.stop();
