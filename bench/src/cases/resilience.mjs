// Resilience overhead per call around a no-op async function (success path), one case per process.
//
//   node cases/resilience.mjs <case> <minBatchMs> <warmupBatches> <batches> <warmupCalls>
//
// Method (research/resilience.md §4.3): a fresh process per case (no inline-cache pollution between
// libraries), the same pre-resolved `async () => 1` for everyone, a sink so V8 cannot drop the work.
// The worker calibrates a batch size n so that one batch of n sequential `await call()` takes at
// least minBatchMs (calibration doubles as warm-up), runs warm-up batches until at least warmupCalls
// calls were made, then times `batches` batches and reports the median batch rate (calls/s). The
// orchestrator runs every case `runs` times in rotated order and reports the median and min–max of
// the per-process medians; the ratio to the bare `await` is taken per run.

import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { emitSample, finish } from '../lib/child.mjs';
import { median } from '../lib/stats.mjs';

/** The cases, in report order. `make` returns the call to time; it imports only what it needs. */
export const RESILIENCE_CASES = [
  {
    name: 'bare `await fn()`',
    role: 'reference',
    make: async () => (fn) => fn(),
  },
  {
    name: '@es retryAsync(fn)',
    role: 'es',
    make: async () => {
      const { retryAsync } = await import('@es/resilience');
      return (fn) => retryAsync(fn);
    },
  },
  {
    name: '@es RetryableOperation.execute(fn)',
    role: 'es',
    make: async () => {
      const { RetryableOperation } = await import('@es/resilience');
      const retry = new RetryableOperation({ config: { maxRetries: 3 } });
      return (fn) => retry.execute(fn);
    },
  },
  {
    name: '@es CircuitBreaker.execute(fn)',
    role: 'es',
    make: async () => {
      const { CircuitBreaker } = await import('@es/resilience');
      const breaker = new CircuitBreaker({ failureThreshold: 5 });
      return (fn) => breaker.execute(fn, 'bench');
    },
  },
  {
    name: '@es RetryableOperation + CircuitBreaker (both)',
    role: 'es',
    make: async () => {
      const { CircuitBreaker, RetryableOperation } = await import('@es/resilience');
      const retry = new RetryableOperation({
        config: { maxRetries: 3 },
        circuitBreaker: new CircuitBreaker({ failureThreshold: 5 }),
      });
      const options = { name: 'bench' };
      return (fn) => retry.execute(fn, options);
    },
  },
  {
    name: 'cockatiel retry (3 attempts, exponential)',
    role: 'peer',
    make: async () => {
      const { retry, handleAll, ExponentialBackoff } = await import('cockatiel');
      const policy = retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() });
      return (fn) => policy.execute(fn);
    },
  },
  {
    name: 'cockatiel circuitBreaker (consecutive 5)',
    role: 'peer',
    make: async () => {
      const { circuitBreaker, handleAll, ConsecutiveBreaker } = await import('cockatiel');
      const policy = circuitBreaker(handleAll, {
        halfOpenAfter: 10_000,
        breaker: new ConsecutiveBreaker(5),
      });
      return (fn) => policy.execute(fn);
    },
  },
  {
    name: 'cockatiel wrap(retry, circuitBreaker)',
    role: 'peer',
    make: async () => {
      const { retry, circuitBreaker, handleAll, ExponentialBackoff, ConsecutiveBreaker, wrap } =
        await import('cockatiel');
      const policy = wrap(
        retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
        circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
      );
      return (fn) => policy.execute(fn);
    },
  },
  {
    name: 'opossum fire() (defaults: 10 s timeout)',
    role: 'peer',
    make: async () => {
      const { default: CircuitBreaker } = await import('opossum');
      const breaker = new CircuitBreaker((fn) => fn());
      return (fn) => breaker.fire(fn);
    },
  },
  {
    name: 'opossum fire() (timeout: false)',
    role: 'peer',
    make: async () => {
      const { default: CircuitBreaker } = await import('opossum');
      const breaker = new CircuitBreaker((fn) => fn(), { timeout: false });
      return (fn) => breaker.fire(fn);
    },
  },
  {
    name: 'p-retry pRetry(fn, { retries: 3 })',
    role: 'peer',
    make: async () => {
      const { default: pRetry } = await import('p-retry');
      const options = { retries: 3 };
      return (fn) => pRetry(fn, options);
    },
  },
];

let sink = 0;
const noop = async () => 1;

async function batch(call, n) {
  const start = performance.now();
  for (let i = 0; i < n; i++) sink += await call(noop);
  return performance.now() - start;
}

async function runCase(name, minBatchMs, warmupBatches, batches, warmupCalls) {
  const spec = RESILIENCE_CASES.find((c) => c.name === name);
  if (spec === undefined) throw new Error(`unknown resilience case ${name}`);
  const call = await spec.make();
  let n = 500;
  let calls = 0;
  for (;;) {
    const ms = await batch(call, n);
    calls += n;
    if (ms >= minBatchMs) break;
    n *= ms < minBatchMs / 8 ? 4 : 2;
  }
  for (let i = 0; i < warmupBatches || calls < warmupCalls; i++) {
    await batch(call, n);
    calls += n;
  }
  const rates = [];
  for (let i = 0; i < batches; i++) {
    globalThis.gc?.();
    rates.push((n / (await batch(call, n))) * 1000);
  }
  if (sink === 0) throw new Error('sink never written');
  return { rate: median(rates), n };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [name, minBatchMs, warmupBatches, batches, warmupCalls, repeat] = process.argv.slice(2);
  const spec = RESILIENCE_CASES.find((c) => c.name === name);
  const { rate, n } = await runCase(
    name,
    Number(minBatchMs),
    Number(warmupBatches),
    Number(batches),
    Number(warmupCalls),
  );
  emitSample({
    section: 'resilience',
    group: 'resilience/noop',
    title: 'overhead per call around `async () => 1` (success path)',
    impl: name,
    role: spec.role,
    unit: 'calls/s',
    repeat: Number(repeat),
    value: rate,
    details: { nsPerCall: 1e9 / rate, batch: n },
  });
  // opossum keeps interval timers alive: exit explicitly once the sample is sent.
  finish(0);
}
