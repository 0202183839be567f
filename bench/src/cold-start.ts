// Cold start: a fresh Node process imports @evrmore-auth/server (built dist), creates the
// service and answers its first request (POST /auth/challenge through the fetch handler).
// Baseline: a fresh Node process running an empty module. Several runs, medians.
import { runSnippet } from './lib/child.js';
import { median, ratio } from './lib/stats.js';
import type { BenchSection } from './section.js';

const RUNS = 7;

const EMPTY = `console.log(JSON.stringify({ ready: performance.now() }));`;

const CODE = `
const t0 = performance.now();
const { createEvrmoreAuth } = await import('@evrmore-auth/server');
const t1 = performance.now();
const auth = createEvrmoreAuth({ domain: 'app.example.com', production: false, logger: { info() {}, warn() {}, error() {} },
  keys: [{ kid: 'k', alg: 'EdDSA', privateKey: { kty: 'OKP', crv: 'Ed25519',
    d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' } }] });
const res = await auth.handler(new Request('https://app.example.com/auth/challenge', { method: 'POST',
  headers: { 'content-type': 'application/json', 'x-requested-with': 'evrmore-auth' },
  body: JSON.stringify({ address: 'EK4BfWWMPTW82ig57MyGk6JCJgT8D9JTr5' }) }), { ip: '127.0.0.1' });
if (res.status !== 201) throw new Error('first request: ' + res.status + ' ' + (await res.text()));
const t2 = performance.now();
console.log(JSON.stringify({ start: t0, import: t1 - t0, first: t2 - t1, ready: t2 }));
process.exit(0);
`;

interface Run {
  start: number;
  import: number;
  first: number;
  ready: number;
}

export const coldStartSection: BenchSection = {
  id: 'cold-start',
  title: 'Cold start: import the server package and answer the first request',
  async run() {
    const empty: number[] = [];
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      empty.push((await runSnippet<{ ready: number }>(EMPTY)).ready);
      runs.push(await runSnippet<Run>(CODE));
    }
    const nodeOnly = median(empty);
    const imp = median(runs.map((r) => r.import));
    const first = median(runs.map((r) => r.first));
    const total = median(runs.map((r) => r.ready));
    return {
      rows: [
        {
          step: 'node start → empty module runs (baseline)',
          'ms (median)': Number(nodeOnly.toFixed(1)),
          'vs baseline': '1.00×',
        },
        {
          step: 'import @evrmore-auth/server',
          'ms (median)': Number(imp.toFixed(1)),
          'vs baseline': null,
        },
        {
          step: 'createEvrmoreAuth + first response (key import, challenge)',
          'ms (median)': Number(first.toFixed(1)),
          'vs baseline': null,
        },
        {
          step: 'node start → first response',
          'ms (median)': Number(total.toFixed(1)),
          'vs baseline': ratio(total, nodeOnly),
        },
      ],
      notes: [
        `${RUNS} fresh processes each (interleaved with the baseline); times from performance.now() ` +
          '(process start = 0). Imports the built dist (`pnpm build`).',
      ],
    };
  },
};
