#!/usr/bin/env node
// Benchmark of @es/store-postgres side by side with raw postgres.js running the same SQL.
// Not a test: it prints a Markdown table of events/s, their ratio and the target of issue #4.
//
//   node bench/pg-bench.mjs [--repeats 3] [--seconds 4] [--warmup-ms 1000] [--only <regex>]
//                           [--million-rows 1000000] [--keep] [--json <file>]
//
// DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) names the server; a fresh
// database es_bench_<random> is created on it and dropped at the end (unless --keep). The package
// and its @es dependencies are bundled from their TypeScript sources first (esbuild via tsup), so
// no prior build is needed. The harness mirrors ../../shared/research/peers-bench/db-bench.mjs:
// warm-up, then a timed run per implementation, repeats in rotated order, medians reported.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PACKAGE = path.resolve(HERE, '..');
const PACKAGES = path.resolve(PACKAGE, '..');

const { values: args } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '4' },
    'warmup-ms': { type: 'string', default: '1000' },
    only: { type: 'string' },
    'million-rows': { type: 'string', default: '1000000' },
    keep: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const REPEATS = Number(args.repeats);
const SECONDS = Number(args.seconds);
const WARMUP_MS = Number(args['warmup-ms']);
const MILLION = Number(args['million-rows']);
const ONLY = args.only === undefined ? null : new RegExp(args.only);
const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// ---------- build the package and its dependencies from source ----------
async function loadFromSource() {
  const { build } = await import('tsup');
  // A directory one level below the package, so that the bundle finds ../migrations/ as the
  // package does; removed when the run ends.
  const dir = mkdtempSync(path.join(PACKAGE, '.bench-build-'));
  const src = (pkg, file) => JSON.stringify(path.join(PACKAGES, pkg, 'src', file));
  const entry = path.join(dir, 'entry.ts');
  writeFileSync(
    entry,
    [
      `export { PostgresEventStore, PostgresCheckpointRepository, migrate } from ${src('store-postgres', 'index.ts')};`,
      `export { eventStoreStatements } from ${src('store-postgres', 'internal/event-store-statements.ts')};`,
      `export { defineEvent, EventRegistry, ExpectedVersion } from ${src('core', 'index.ts')};`,
      `export { SubscriptionManager } from ${src('subscriptions', 'index.ts')};`,
      `export { default as postgres } from 'postgres';`,
      '',
    ].join('\n'),
  );
  await build({
    entry: { bench: entry },
    outDir: dir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    bundle: true,
    splitting: false,
    dts: false,
    sourcemap: false,
    silent: true,
    config: false,
    noExternal: [/.*/],
    external: ['@electric-sql/pglite', 'drizzle-orm/pglite'],
    esbuildOptions(options) {
      options.conditions = ['@es/source'];
      options.nodePaths = [path.join(PACKAGE, 'node_modules')];
      options.banner = {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      };
    },
  });
  const module = await import(pathToFileURL(path.join(dir, 'bench.js')).href);
  return { module, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---------- harness ----------
const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
};
const median = (values) => pct(values, 0.5);

async function runTimed(durationMs, concurrency, op) {
  const latencies = [];
  let events = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      let iteration = 0;
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const n = await op(worker, iteration++);
        latencies.push(performance.now() - t0);
        events += n;
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  return {
    eventsPerSec: (events / elapsedMs) * 1000,
    p50ms: pct(latencies, 0.5),
    p99ms: pct(latencies, 0.99),
  };
}

/**
 * One client, the two implementations run alternately in short blocks (store for `blockMs`, raw
 * for `blockMs`, raw, store…) for `durationMs`: each gets its own events/s from the time spent in
 * its own calls, so both see the same machine load (the machine is shared; separate windows of
 * seconds differ by up to 2×), while a block is long enough for garbage collection caused by one
 * implementation to be paid inside its own block.
 */
async function runInterleaved(durationMs, opStore, opRaw, blockMs = 200) {
  const spent = { store: 0, raw: 0 };
  const events = { store: 0, raw: 0 };
  const latencies = { store: [], raw: [] };
  const deadline = performance.now() + durationMs;
  let iteration = 0;
  for (let block = 0; performance.now() < deadline; block++) {
    const pair = block % 4 === 0 || block % 4 === 3 ? ['store', 'raw'] : ['raw', 'store'];
    const which = pair[block % 2];
    const op = which === 'store' ? opStore : opRaw;
    const start = performance.now();
    const end = start + blockMs;
    while (performance.now() < end) {
      const t0 = performance.now();
      events[which] += await op(0, iteration++);
      latencies[which].push(performance.now() - t0);
    }
    spent[which] += performance.now() - start;
  }
  const result = (which) => ({
    eventsPerSec: (events[which] / spent[which]) * 1000,
    p50ms: pct(latencies[which], 0.5),
    p99ms: pct(latencies[which], 0.99),
  });
  return { store: result('store'), raw: result('raw') };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function main() {
  console.error('building @es/store-postgres from source…');
  const { module: es, cleanup } = await loadFromSource();
  const { postgres } = es;
  const dbName = `es_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(BASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${dbName}"`);
  const url = new URL(BASE_URL);
  url.pathname = `/${dbName}`;
  const results = [];
  const env = {
    startedAt: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    load1Start: os.loadavg()[0],
    postgres: (await admin`SELECT version() AS v`)[0].v.split(' on ')[0],
    repeats: REPEATS,
    seconds: SECONDS,
  };
  let storeSql;
  let rawSql;
  try {
    await es.migrate(url.toString());
    storeSql = postgres(url.toString(), { max: 8, onnotice: () => {} });
    rawSql = postgres(url.toString(), { max: 8, onnotice: () => {} });
    const statements = es.eventStoreStatements('es');
    const payload = JSON.parse(readFileSync(path.join(HERE, 'payload.json'), 'utf8'));
    const registry = new es.EventRegistry();
    const OrderPlaced = es.defineEvent('OrderPlaced', { aggregateType: 'Order', registry });
    const store = new es.PostgresEventStore({ connection: storeSql, registry });
    const quietStore = new es.PostgresEventStore({ connection: storeSql, registry, notify: false });
    const checkpoints = new es.PostgresCheckpointRepository({ connection: storeSql });

    /** n events of one stream, versions from+1…from+n, for the store. */
    const storeEvents = (aggregateId, from, n) =>
      Array.from({ length: n }, (_, i) =>
        OrderPlaced.create({
          aggregateId,
          aggregateVersion: from + 1 + i,
          ...payload.data,
          metadata: payload.metadata,
        }),
      );
    /** The same events as the raw client sends them: the batch JSON of the append statement. */
    const rawBatch = (aggregateId, from, n) => {
      const occurredAt = new Date().toISOString();
      const records = new Array(n);
      for (let i = 0; i < n; i++) {
        const eventId = randomUUID();
        const version = from + 1 + i;
        records[i] = {
          o: i,
          id: eventId,
          t: 'OrderPlaced',
          ev: 1,
          v: version,
          at: occurredAt,
          tn: null,
          d: {
            ...payload.data,
            eventId,
            eventType: 'OrderPlaced',
            eventVersion: 1,
            occurredAt,
            aggregateId,
            aggregateType: 'Order',
            aggregateVersion: version,
            correlationId: eventId,
            metadata: payload.metadata,
          },
        };
      }
      return JSON.stringify(records);
    };
    const rawAppend = async (sqlText, aggregateId, from, n) => {
      const rows = await rawSql
        .unsafe(sqlText, [rawBatch(aggregateId, from, n), aggregateId, 'Order', from], {
          prepare: true,
        })
        .values();
      if (rows[0][0] !== 'ok') throw new Error(`raw append: ${rows[0][0]}`);
      return rows[0][2];
    };

    const impls = {
      store: {
        name: '@es/store-postgres',
        append: async (id, from, n) =>
          (await store.appendEvents(id, 'Order', storeEvents(id, from, n), from)).newVersion - from,
        appendQuiet: async (id, from, n) =>
          (await quietStore.appendEvents(id, 'Order', storeEvents(id, from, n), from)).newVersion -
          from,
        read: async (id) => (await store.getEvents(id, 'Order')).events.length,
      },
      raw: {
        name: 'raw postgres.js (same SQL)',
        append: (id, from, n) => rawAppend(statements.appendNotify, id, from, n),
        appendQuiet: (id, from, n) => rawAppend(statements.append, id, from, n),
        read: async (id) =>
          (
            await rawSql
              .unsafe(statements.getEventsByType, [id, 'Order', 0, null, null], { prepare: true })
              .values()
          ).length,
      },
    };

    // 20 streams of 100 events for the read scenario.
    const readStreams = [];
    for (let s = 0; s < 20; s++) {
      const id = `read-${randomUUID()}`;
      for (let v = 0; v < 100; v += 10) await impls.store.append(id, v, 10);
      readStreams.push(id);
    }

    const scenarios = [
      {
        key: 'append1_newstream',
        label: 'append 1 event per call, new streams',
        conc: 1,
        target: 0.9,
        mk: (impl) => async () => impl.append(randomUUID(), 0, 1),
      },
      {
        key: 'append1_samestream',
        label: 'append 1 event per call, one stream, expected version',
        conc: 1,
        target: 0.9,
        mk: (impl) => {
          const stream = { id: randomUUID(), version: 0 };
          return async () => {
            stream.version += await impl.append(stream.id, stream.version, 1);
            return 1;
          };
        },
      },
      {
        key: 'append10_newstream',
        label: 'append 10 events per call, new streams',
        conc: 1,
        target: 0.9,
        mk: (impl) => async () => impl.append(randomUUID(), 0, 10),
      },
      {
        key: 'append1_c8',
        label: 'append 1 event per call, 8 concurrent writers',
        conc: 8,
        target: 0.9,
        mk: (impl) => async () => impl.append(randomUUID(), 0, 1),
      },
      {
        key: 'append1_c8_quiet',
        label: 'append 1 event per call, 8 concurrent writers, notify: false',
        conc: 8,
        target: 0.9,
        mk: (impl) => async () => impl.appendQuiet(randomUUID(), 0, 1),
      },
      {
        key: 'read100',
        label: 'read a 100-event stream',
        conc: 1,
        target: 0.8,
        reads: true,
        mk: (impl) => async (_w, i) => {
          const n = await impl.read(readStreams[i % readStreams.length]);
          if (n !== 100) throw new Error(`${impl.name}: read ${n} events`);
          return n;
        },
      },
    ];

    for (const scenario of scenarios) {
      if (ONLY !== null && !ONLY.test(scenario.key)) continue;
      const runs = { store: [], raw: [] };
      for (let run = 0; run < REPEATS; run++) {
        if (!scenario.reads) await admin.unsafe('CHECKPOINT');
        if (scenario.conc === 1) {
          const opStore = scenario.mk(impls.store);
          const opRaw = scenario.mk(impls.raw);
          await runInterleaved(WARMUP_MS, opStore, opRaw);
          const result = await runInterleaved(SECONDS * 1000, opStore, opRaw);
          runs.store.push(result.store);
          runs.raw.push(result.raw);
        } else {
          // Concurrent writers: alternate time windows (rotated order), adjacent pairs compared.
          const order = run % 2 === 0 ? ['store', 'raw'] : ['raw', 'store'];
          for (const which of order) {
            const op = scenario.mk(impls[which]);
            await runTimed(WARMUP_MS, scenario.conc, op);
            runs[which].push(await runTimed(SECONDS * 1000, scenario.conc, op));
          }
        }
        for (const which of ['store', 'raw']) {
          const result = runs[which][run];
          console.error(
            `${scenario.key.padEnd(20)} ${impls[which].name.padEnd(28)} run ${run + 1}: ${fmt(result.eventsPerSec)} ev/s, p50 ${result.p50ms.toFixed(2)} ms`,
          );
        }
      }
      results.push(summarize(scenario, runs));
    }

    // ---------- catch-up ----------
    const CATCHUP = 10_000;
    /** Appends 10,000 events (100 streams × 100, 10 per call); returns the cursor before them. */
    async function seedCatchUp() {
      const before = await lastPosition();
      for (let s = 0; s < 100; s++) {
        const id = `catchup-${randomUUID()}`;
        for (let v = 0; v < 100; v += 10) await impls.store.append(id, v, 10);
      }
      // The read horizon is cluster-wide: wait until no older transaction holds the events back.
      for (let waited = 0; ; waited += 50) {
        let n = 0;
        for await (const _ of store.readAll({ fromPosition: before, limit: CATCHUP })) n++;
        if (n === CATCHUP) return before;
        if (waited > 60_000) throw new Error(`only ${n} of the seeded events are readable`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    /** The cursor of the newest readable event (0 when none). */
    async function lastPosition() {
      const rows = await rawSql.unsafe(
        `SELECT transaction_id::text, global_position FROM es.events
         WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY transaction_id DESC, global_position DESC LIMIT 1`,
      );
      if (rows.length === 0) return 0;
      return `${rows[0].transaction_id.padStart(20, '0')}-${String(rows[0].global_position).padStart(20, '0')}`;
    }

    /** The store's readAll (pages of 1000) with a projection and a checkpoint per 1000 events. */
    async function storeCatchUp(from) {
      const id = `bench-${randomUUID()}`;
      let count = 0;
      let last;
      const t0 = performance.now();
      for await (const stored of store.readAll({ fromPosition: from, limit: CATCHUP })) {
        count++;
        last = stored;
        if (count % 1000 === 0) {
          await checkpoints.savePosition(id, {
            position: stored.position,
            eventId: stored.event.eventId,
          });
        }
      }
      if (count % 1000 !== 0) await checkpoints.savePosition(id, { position: last.position });
      const ms = performance.now() - t0;
      if (count !== CATCHUP) throw new Error(`store catch-up read ${count}`);
      return { eventsPerSec: (count / ms) * 1000 };
    }

    /** The real SubscriptionManager (batches of 1000, checkpoint per batch). */
    async function managerCatchUp(from) {
      let count = 0;
      const manager = new es.SubscriptionManager({
        eventStore: store,
        checkpointRepo: checkpoints,
        pollIntervalMs: 1000,
      });
      manager.subscribe(
        { name: `bench-manager-${randomUUID()}`, handle: () => void count++ },
        { startFrom: from, batchSize: 1000 },
      );
      const t0 = performance.now();
      await manager.start();
      while (count < CATCHUP) await new Promise((resolve) => setImmediate(resolve));
      const ms = performance.now() - t0;
      await manager.stop();
      return { eventsPerSec: (count / ms) * 1000 };
    }

    /** Raw postgres.js: the same gap-free query in pages of 1000, rows only. */
    async function rawCatchUp(from) {
      let tx = '0';
      let gp = 0;
      if (typeof from === 'string') {
        tx = from.slice(0, 20).replace(/^0+(?=\d)/, '');
        gp = Number(from.slice(21));
      }
      let count = 0;
      const t0 = performance.now();
      while (count < CATCHUP) {
        const rows = await rawSql
          .unsafe(statements.readAll, [tx, gp, Math.min(1000, CATCHUP - count)], { prepare: true })
          .values();
        if (rows.length === 0) break;
        count += rows.length;
        const lastRow = rows[rows.length - 1];
        tx = lastRow[1];
        gp = Number(lastRow[0]);
      }
      const ms = performance.now() - t0;
      if (count !== CATCHUP) throw new Error(`raw catch-up read ${count}`);
      return { eventsPerSec: (count / ms) * 1000 };
    }

    async function catchUpRound(label, key) {
      const from = await seedCatchUp();
      await rawSql.unsafe('VACUUM ANALYZE es.events');
      const runs = { store: [], raw: [], manager: [] };
      for (let run = 0; run < REPEATS; run++) {
        const order = run % 2 === 0 ? ['store', 'raw', 'manager'] : ['raw', 'manager', 'store'];
        for (const which of order) {
          const result =
            which === 'store'
              ? await storeCatchUp(from)
              : which === 'raw'
                ? await rawCatchUp(from)
                : await managerCatchUp(from);
          runs[which].push(result);
          console.error(
            `${key.padEnd(20)} ${which.padEnd(28)} run ${run + 1}: ${fmt(result.eventsPerSec)} ev/s`,
          );
        }
      }
      results.push(summarize({ key, label, target: 0.5 }, { store: runs.store, raw: runs.raw }));
      results.push(
        summarize(
          { key: `${key}_manager`, label: `${label}, through SubscriptionManager`, target: 0.5 },
          { store: runs.manager, raw: runs.raw },
        ),
      );
      return median(runs.store.map((r) => r.eventsPerSec));
    }

    let small;
    if (ONLY === null || ONLY.test('catchup10k')) {
      small = await catchUpRound(
        'checkpointed catch-up over 10,000 events (store holds ~10k)',
        'catchup10k',
      );
    }
    if (MILLION > 0 && (ONLY === null || ONLY.test('catchup_million'))) {
      console.error(`inserting ${fmt(MILLION)} filler events…`);
      const chunk = 100_000;
      for (let done = 0; done < MILLION; done += chunk) {
        const n = Math.min(chunk, MILLION - done);
        await rawSql.unsafe(
          `INSERT INTO es.events (event_id, aggregate_id, aggregate_type, version, event_type, occurred_at, data)
           SELECT 'filler-' || ($1::int8 + i), 'filler-' || (($1::int8 + i) / 10), 'Order', (($1::int8 + i) % 10) + 1,
                  'OrderPlaced', now(), $2::text::jsonb
           FROM generate_series(1, $3::int8) AS i`,
          [done, JSON.stringify(payload), n],
        );
      }
      await rawSql.unsafe('VACUUM ANALYZE es.events');
      const total = (await rawSql`SELECT count(*)::int8 AS n FROM es.events`)[0].n;
      console.error(`the store now holds ${fmt(Number(total))} events`);
      const big = await catchUpRound(
        `checkpointed catch-up over 10,000 events (store holds ${fmt(Number(total) + 10_000)})`,
        'catchup_million',
      );
      const plan = await rawSql.unsafe(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${statements.readAll}`,
        ['0', 0, 1000],
      );
      env.readPlanAtMillion = plan.map((r) => r['QUERY PLAN']).join('\n');
      if (small !== undefined) env.millionVsTenThousand = big / small;
    }
  } finally {
    await storeSql?.end({ timeout: 5 });
    await rawSql?.end({ timeout: 5 });
    if (args.keep) console.error(`kept database ${dbName}`);
    else await admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end({ timeout: 5 });
    cleanup();
  }
  env.load1End = os.loadavg()[0];
  printTable(results, env);
  if (args.json !== undefined) writeFileSync(args.json, JSON.stringify({ env, results }, null, 2));
}

function summarize(scenario, runs) {
  const store = runs.store.map((r) => r.eventsPerSec);
  const raw = runs.raw.map((r) => r.eventsPerSec);
  const ratios = runs.store.map(
    (r, i) => r.eventsPerSec / (runs.raw[i]?.eventsPerSec ?? Number.NaN),
  );
  return {
    key: scenario.key,
    label: scenario.label,
    target: scenario.target,
    store: { median: median(store), min: Math.min(...store), max: Math.max(...store) },
    raw: { median: median(raw), min: Math.min(...raw), max: Math.max(...raw) },
    // Each run of the store is paired with the raw run next to it in time (the same load).
    ratio: median(ratios),
    ratioPerRun: ratios,
    storeP50ms: runs.store[0]?.p50ms,
  };
}

function printTable(results, env) {
  const lines = [];
  lines.push(
    `PostgreSQL: ${env.postgres}; Node ${env.node}; ${env.cpus} CPUs; load ${env.load1Start.toFixed(1)} → ${env.load1End.toFixed(1)}; ${env.repeats} repeats × ${env.seconds} s (medians, min..max)`,
  );
  lines.push('');
  lines.push(
    '| scenario | @es/store-postgres ev/s | raw postgres.js, same SQL ev/s | ratio | target |',
  );
  lines.push('|---|---|---|---|---|');
  for (const r of results) {
    const ok = r.ratio >= r.target ? '✓' : '✗';
    lines.push(
      `| ${r.label} | ${fmt(r.store.median)} [${fmt(r.store.min)}..${fmt(r.store.max)}] | ${fmt(r.raw.median)} [${fmt(r.raw.min)}..${fmt(r.raw.max)}] | ${r.ratio.toFixed(2)}× | ≥ ${r.target}× ${ok} |`,
    );
  }
  if (env.millionVsTenThousand !== undefined) {
    lines.push('');
    lines.push(
      `Catch-up with the large store vs the small one: ${env.millionVsTenThousand.toFixed(2)}× (target: no slower, ≥ ~1×).`,
    );
  }
  if (env.readPlanAtMillion !== undefined) {
    lines.push('');
    lines.push('Plan of one gap-free page on the large store:');
    lines.push('```');
    lines.push(env.readPlanAtMillion);
    lines.push('```');
  }
  console.log(lines.join('\n'));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
