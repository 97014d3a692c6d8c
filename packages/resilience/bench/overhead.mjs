// Per-call overhead of @es/resilience wrappers around a no-op async function (success path).
//
//   node bench/overhead.mjs [--runs 7] [--batches 7] [--min-batch-ms 100]   (parent)
//   node bench/overhead.mjs --case <name> [...]                             (child, one case)
//
// Method (research/resilience.md §4.3): every case runs in its own fresh child process (no inline
// cache pollution between cases). The child calibrates a batch size so that one batch of
// sequential `await fn()` calls takes at least --min-batch-ms, warms up (calibration plus at
// least 3 batches and 50k calls), then times --batches batches (>= 7) and reports the median
// ns/call. The parent runs all cases --runs times in rotated order and reports, per case, the
// median of the per-process medians with the min..max spread, the overhead over a bare `await`
// and the ratio to it (the ratio is taken per run, against the bare case of the same run).
// Imports the built package (`../dist/index.js`): run `pnpm build` (tsup) first.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index >= 0 && index + 1 < args.length ? args[index + 1] : fallback;
};

const DIST = new URL('../dist/index.js', import.meta.url);
const RUNS = Math.max(1, Number(option('--runs', '7')));
const BATCHES = Math.max(7, Number(option('--batches', '7')));
const MIN_BATCH_MS = Number(option('--min-batch-ms', '100'));
const WARMUP_CALLS = 50_000;

/** The cases: name, budget (max ratio to bare), and a factory returning the call to time. */
const CASES = [
  { name: 'bare await', budget: 1, make: () => (noop) => noop() },
  {
    name: 'async try/catch wrapper (reference)',
    budget: undefined,
    make: () => {
      let failures = 0;
      const wrapper = async (fn) => {
        try {
          return await fn();
        } catch (error) {
          failures++;
          throw error;
        }
      };
      if (failures !== 0) throw new Error('unreachable');
      return (noop) => wrapper(noop);
    },
  },
  {
    name: 'retryAsync(fn)',
    budget: 3,
    make:
      ({ retryAsync }) =>
      (noop) =>
        retryAsync(noop),
  },
  {
    name: 'retryAsync(fn, { config, operationName })',
    budget: 3,
    make: ({ retryAsync, RetryConfig }) => {
      const options = { config: new RetryConfig({ maxRetries: 3 }), operationName: 'bench' };
      return (noop) => retryAsync(noop, options);
    },
  },
  {
    name: 'RetryableOperation.execute',
    budget: 3,
    make: ({ RetryableOperation }) => {
      const retry = new RetryableOperation({ config: { maxRetries: 3 } });
      return (noop) => retry.execute(noop);
    },
  },
  {
    name: 'CircuitBreaker.execute',
    budget: 3,
    make: ({ CircuitBreaker }) => {
      const breaker = new CircuitBreaker({ failureThreshold: 5 });
      return (noop) => breaker.execute(noop, 'bench');
    },
  },
  {
    name: 'RetryableOperation + CircuitBreaker',
    budget: 5,
    make: ({ RetryableOperation, CircuitBreaker }) => {
      const retry = new RetryableOperation({
        config: { maxRetries: 3 },
        circuitBreaker: new CircuitBreaker({ failureThreshold: 5 }),
      });
      const options = { name: 'bench' };
      return (noop) => retry.execute(noop, options);
    },
  },
];

let sink = 0;
const noop = async () => 1;

async function batch(call, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink += await call(noop);
  return Number(process.hrtime.bigint() - start) / n;
}

async function child(name) {
  const spec = CASES.find((c) => c.name === name);
  if (spec === undefined) throw new Error(`unknown case ${name}`);
  const api = await import(DIST.href);
  const call = spec.make(api);
  let n = 1_000;
  let warmed = 0;
  for (;;) {
    const nsPerCall = await batch(call, n);
    warmed += n;
    if (nsPerCall * n >= MIN_BATCH_MS * 1e6) break;
    n *= 2;
  }
  for (let i = 0; i < 3 || warmed < WARMUP_CALLS; i++) {
    await batch(call, n);
    warmed += n;
  }
  const samples = [];
  for (let i = 0; i < BATCHES; i++) samples.push(await batch(call, n));
  samples.sort((a, b) => a - b);
  if (sink === 0) throw new Error('sink never written');
  process.stdout.write(
    `${JSON.stringify({ name, n, median: median(samples), min: samples[0], max: samples.at(-1) })}\n`,
  );
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function parent() {
  if (!existsSync(DIST)) {
    console.error('dist/index.js is missing: build the package first (pnpm build / npx tsup).');
    process.exit(1);
  }
  const self = fileURLToPath(import.meta.url);
  const perRun = CASES.map(() => []);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `node ${process.version}, ${os.cpus().length}x ${cpu}, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, runs ${RUNS}, batches ${BATCHES}, min batch ${MIN_BATCH_MS} ms`,
  );
  for (let run = 0; run < RUNS; run++) {
    const order = CASES.map((_, i) => (i + run) % CASES.length);
    const results = new Map();
    for (const index of order) {
      const name = CASES[index].name;
      const out = spawnSync(
        process.execPath,
        [
          self,
          '--case',
          name,
          '--batches',
          String(BATCHES),
          '--min-batch-ms',
          String(MIN_BATCH_MS),
        ],
        { encoding: 'utf8' },
      );
      if (out.status !== 0) {
        console.error(out.stderr || out.stdout);
        process.exit(1);
      }
      const result = JSON.parse(out.stdout.trim().split('\n').at(-1));
      results.set(index, result.median);
      console.error(
        `run ${run + 1}/${RUNS} ${name.padEnd(44)} ${result.median.toFixed(1)} ns/call (n=${result.n})`,
      );
    }
    const bare = results.get(0);
    for (const [index, ns] of results) perRun[index].push({ ns, ratio: ns / bare });
  }
  const bareNs = median(perRun[0].map((r) => r.ns));
  console.log('');
  console.log('| case | ns/call (median) | min..max | overhead vs bare | × bare await | budget |');
  console.log('|---|---|---|---|---|---|');
  CASES.forEach((spec, index) => {
    const ns = perRun[index].map((r) => r.ns);
    const med = median(ns);
    const ratio = median(perRun[index].map((r) => r.ratio));
    const budget =
      spec.budget === undefined || index === 0
        ? '—'
        : `≤ ${spec.budget}× ${ratio <= spec.budget ? '✅' : '❌'}`;
    console.log(
      `| ${spec.name} | ${med.toFixed(0)} | ${Math.min(...ns).toFixed(0)}..${Math.max(...ns).toFixed(0)} | +${(med - bareNs).toFixed(0)} ns | ${ratio.toFixed(2)}× | ${budget} |`,
    );
  });
}

const caseName = option('--case', undefined);
if (caseName === undefined) parent();
else await child(caseName);
