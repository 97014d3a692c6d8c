// The time-boxed load loop of the database cases: `concurrency` async workers call `op` until the
// deadline; each call returns how many events (or entries, queries…) it did.

import { performance } from 'node:perf_hooks';
import { quantile } from './stats.mjs';

/**
 * Runs `op(worker, iteration)` from `concurrency` workers for `durationMs` (a call in flight at the
 * deadline finishes and counts). Returns units/s, calls/s and per-call latency percentiles.
 */
export async function runTimed(durationMs, concurrency, op) {
  const latencies = [];
  let calls = 0;
  let units = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      let iteration = 0;
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const n = await op(worker, iteration++);
        latencies.push(performance.now() - t0);
        calls++;
        units += n; // after the await: no lost updates between workers
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  return {
    calls,
    units,
    elapsedMs,
    unitsPerSec: (units / elapsedMs) * 1000,
    callsPerSec: (calls / elapsedMs) * 1000,
    p50ms: quantile(latencies, 0.5),
    p99ms: quantile(latencies, 0.99),
  };
}

/** `order` rotated left by `by` places: run r of a case starts with a different implementation. */
export function rotate(list, by) {
  if (list.length === 0) return list;
  const k = ((by % list.length) + list.length) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}
