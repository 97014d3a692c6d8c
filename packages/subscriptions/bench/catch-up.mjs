#!/usr/bin/env node
// Catch-up throughput of the SubscriptionManager on the in-memory backends (a benchmark, not a
// test). Imports the built packages (`dist`): build @es/core, @es/resilience, @es/dlq and
// @es/subscriptions first.
//
//   node bench/catch-up.mjs [--events 100000] [--repeats 5]
//
// Every case runs in its own child process (a fresh heap and JIT), stores `--events` events
// round-robin over 1,000 streams, then times `start()` → `whenIdle()` of one subscription with a
// trivial async handler, `repeats` times after a warm-up run, and reports the median events/s.
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const CASES = [
  { name: 'batch 100', batchSize: 100 },
  { name: 'batch 1000', batchSize: 1000 },
  { name: 'batch 1000, no processing timeout', batchSize: 1000, processingTimeoutMs: 0 },
  {
    name: 'batch 1000, EVERY_EVENT checkpoints',
    batchSize: 1000,
    checkpointStrategy: 'every_event',
  },
  {
    name: 'batch 1000, 1 % failing, RETRY_THEN_DLQ (3 zero-delay retries), dlqOrdering none',
    batchSize: 1000,
    failEvery: 100,
    dlqOrdering: 'none',
  },
  {
    name: 'batch 1000, 1 % failing, RETRY_THEN_DLQ (3 zero-delay retries), per-stream parking',
    batchSize: 1000,
    failEvery: 100,
    dlqOrdering: 'per-stream',
  },
];

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const EVENTS = option('events', 100_000);
const REPEATS = option('repeats', 5);
const STREAMS = 1_000;

if (process.env.ES_BENCH_CASE !== undefined) {
  await runCase(JSON.parse(process.env.ES_BENCH_CASE));
} else {
  await main();
}

async function main() {
  console.log(
    `SubscriptionManager catch-up, in memory: ${EVENTS.toLocaleString('en')} events over ${STREAMS} streams, ` +
      `median of ${REPEATS} runs after a warm-up (Node ${process.version})\n`,
  );
  const rows = [];
  for (const benchCase of CASES) {
    const result = await inChild(benchCase);
    rows.push({ ...benchCase, ...result });
    console.error(`  done: ${benchCase.name}`);
  }
  console.log('| case | events/s (median) | min | max | ms per run | outcome |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${fmt(row.median)} | ${fmt(row.min)} | ${fmt(row.max)} | ${row.msPerRun.toFixed(1)} | ${row.outcome} |`,
    );
  }
  console.log(
    '\nReference: eventsource-py 0.4 catch-up, same machine kind: 6.7k events/s (batch 100), 16.0k (batch 1000).',
  );
}

function inChild(benchCase) {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), args, {
      env: { ...process.env, ES_BENCH_CASE: JSON.stringify(benchCase) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--expose-gc'],
    });
    child.on('message', resolve);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`case "${benchCase.name}" exited with ${code}`));
    });
  });
}

async function runCase(benchCase) {
  const core = await import('@es/core');
  const dlqPackage = await import('@es/dlq');
  const resilience = await import('@es/resilience');
  const subscriptions = await import('../dist/index.js');
  const { SubscriptionManager } =
    'SubscriptionManager' in subscriptions
      ? subscriptions
      : await import('../dist/manager/index.js');
  const { InMemoryCheckpointRepository } = subscriptions;

  const Tick = core.defineEvent('BenchTick', {
    aggregateType: 'Bench',
    payload: core.payload(),
  });
  const store = new core.InMemoryEventStore();
  const versions = new Array(STREAMS).fill(0);
  for (let i = 0; i < EVENTS; i++) {
    const stream = i % STREAMS;
    const version = ++versions[stream];
    await store.appendEvents(
      `stream-${stream}`,
      'Bench',
      [Tick.create({ aggregateId: `stream-${stream}`, aggregateVersion: version, n: i + 1 })],
      version - 1,
    );
  }

  const failEvery = benchCase.failEvery ?? 0;
  let handled = 0;
  const projection = {
    name: 'bench',
    async handle(event) {
      // About 1 in `failEvery` events fail, spread over the streams by a multiplicative hash.
      if (failEvery > 0 && Math.imul(event.n, 2654435761) >>> 0 < 4294967296 / failEvery) {
        throw new resilience.ConnectionError('simulated failure');
      }
      handled++;
    },
  };

  const runOnce = async () => {
    const dlqRepo = new dlqPackage.InMemoryDLQRepository();
    const manager = new SubscriptionManager({
      eventStore: store,
      checkpointRepo: new InMemoryCheckpointRepository(),
      dlqRepo,
      pollIntervalMs: 100,
    });
    const subscription = manager.subscribe(projection, {
      startFrom: 'beginning',
      batchSize: benchCase.batchSize,
      ...(benchCase.processingTimeoutMs === undefined
        ? {}
        : { processingTimeoutMs: benchCase.processingTimeoutMs }),
      ...(benchCase.checkpointStrategy === undefined
        ? {}
        : { checkpointStrategy: benchCase.checkpointStrategy }),
      ...(benchCase.dlqOrdering === undefined ? {} : { dlqOrdering: benchCase.dlqOrdering }),
      errorHandling: {
        strategy: 'retry_then_dlq',
        retry: { maxRetries: 3, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 },
      },
      handlerBreaker: false,
    });
    handled = 0;
    globalThis.gc?.();
    const started = performance.now();
    await manager.start();
    await subscription.whenIdle();
    const ms = performance.now() - started;
    const counts = subscription.counts;
    const depth = (await dlqRepo.getProjectionDepth('bench')).depth;
    await manager.stop();
    if (counts.processed + counts.deadLettered + counts.parked !== EVENTS) {
      throw new Error(`not every event got a fate: ${JSON.stringify(counts)}`);
    }
    if (handled !== counts.processed) throw new Error('handler/processed mismatch');
    return { ms, counts, depth };
  };

  await runOnce(); // warm-up
  const runs = [];
  for (let i = 0; i < REPEATS; i++) runs.push(await runOnce());
  const rates = runs.map((run) => EVENTS / (run.ms / 1000)).sort((a, b) => a - b);
  const last = runs.at(-1);
  process.send({
    median: rates[Math.floor(rates.length / 2)],
    min: rates[0],
    max: rates.at(-1),
    msPerRun: runs.map((run) => run.ms).sort((a, b) => a - b)[Math.floor(runs.length / 2)],
    outcome: `${last.counts.processed} processed, ${last.counts.deadLettered} dead-lettered, ${last.counts.parked} parked, ${last.counts.retries} retries`,
  });
  process.exit(0);
}

function fmt(value) {
  return Math.round(value).toLocaleString('en');
}
