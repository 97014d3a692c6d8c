// PostgreSQL cases: @es beside raw postgres.js (the reference) and Emmett, on the server of the
// machine, in the fresh database the orchestrator created (BENCH_DB_URL). Also the PostgreSQL half
// of the DLQ cases.
//
//   node cases/postgres.mjs            (config in BENCH_CONFIG, database in BENCH_DB_URL)
//
// Every implementation runs in this one process, on its own connection pool. Implementations are
// interleaved run by run: repeat r of a case runs them in an order rotated by r, so a noisy
// neighbour or a checkpoint hits each of them alike and the ratios stay robust. Write cases start
// with a CHECKPOINT (full mode) so dirty pages from the previous run do not bill the next one.

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import postgres from 'postgres';
import { emitFailure, emitInfo, emitProgress, emitSample, finish } from '../lib/child.mjs';
import { rawEventDocument } from '../lib/events.mjs';
import {
  client,
  clientOptions,
  createRawSchema,
  emmettImpl,
  esImpl,
  rawImpl,
  syncOffUrl,
} from '../lib/pg-impls.mjs';
import { rotate, runTimed } from '../lib/timed.mjs';

const config = JSON.parse(process.env.BENCH_CONFIG ?? '{}');
const url = process.env.BENCH_DB_URL;
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const admin = postgres(url, { max: 1, onnotice: () => {} });

const SYNC_ON = 'synchronous_commit=on';
const SYNC_OFF = 'synchronous_commit=off (per session)';
const failed = new Set(); // `${group}|${impl}` that crashed: not run again

const wanted = (group) => only === null || only.test(group);

async function checkpoint() {
  if (config.checkpointBeforeWrites) await admin.unsafe('CHECKPOINT');
}

/** Runs `fn`, reporting a crash of (group, impl) once and skipping it afterwards. */
async function guarded(group, impl, fn) {
  const key = `${group}|${impl}`;
  if (failed.has(key)) return undefined;
  try {
    return await fn();
  } catch (error) {
    failed.add(key);
    emitFailure(group, impl, error);
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// implementations
// ---------------------------------------------------------------------------------------------

async function openImplementations() {
  const sets = { on: [], off: [], esNoNotify: null };
  const tryOpen = async (label, open) => {
    try {
      return await open();
    } catch (error) {
      emitFailure('postgres/setup', label, error);
      return null;
    }
  };
  const add = (list, impl) => impl !== null && list.push(impl);
  add(sets.on, rawImpl(client(url, false)));
  add(sets.on, await tryOpen('@es', () => esImpl(client(url, false))));
  sets.esNoNotify = await tryOpen('@es', () =>
    esImpl(client(url, false), { notify: false, name: '@es PostgresEventStore (notify: false)' }),
  );
  add(sets.on, await tryOpen('Emmett', () => emmettImpl(url)));
  add(sets.off, rawImpl(client(url, true)));
  add(sets.off, await tryOpen('@es', () => esImpl(client(url, true))));
  add(sets.off, await tryOpen('Emmett', () => emmettImpl(syncOffUrl(url))));
  // a second pair of schemas kept at SMALL_STORE events (see the 'append-1-small' case)
  sets.small = [rawImpl(client(url, false), { schema: 'raw_small' })];
  add(sets.small, await tryOpen('@es', () => esImpl(client(url, false), { schema: 'es_small' })));
  return sets;
}

/** Checks that the per-session setting really is what each variant claims. */
async function verifySessions(sets) {
  for (const [variant, list] of [
    ['on', sets.on],
    ['off', sets.off],
  ]) {
    for (const impl of list) {
      let value;
      if (impl.sql !== undefined) {
        value = (await impl.sql`SHOW synchronous_commit`)[0].synchronous_commit;
      } else {
        // Emmett's pool is node-postgres built from the connection string: check the same string.
        const u = variant === 'off' ? syncOffUrl(url) : url;
        const c = new pg.Client({ connectionString: u });
        await c.connect();
        value = (await c.query('SHOW synchronous_commit')).rows[0].synchronous_commit;
        await c.end();
      }
      if (value !== variant) {
        throw new Error(`${impl.name}: synchronous_commit is ${value}, expected ${variant}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// catch-up
// ---------------------------------------------------------------------------------------------

async function catchUpPhase(sets) {
  const impls = sets.on;
  const seeded = new Map(impls.map((impl) => [impl.name, 0]));
  for (const size of config.catchupSizes) {
    const groups = [
      {
        id: `postgres/catchup-${size}/batch-100`,
        batch: 100,
        title: `checkpointed catch-up over ${size.toLocaleString('en-US')} events, batches of 100 (defaults)`,
      },
      {
        id: `postgres/catchup-${size}/batch-1000`,
        batch: 1000,
        pulling: { batchSize: 1000, pullingFrequencyInMs: 0 },
        title: `checkpointed catch-up over ${size.toLocaleString('en-US')} events, batches of 1,000`,
      },
    ].filter((g) => wanted(g.id));
    if (groups.length === 0) continue;
    for (const impl of impls) {
      await guarded(`postgres/catchup-${size}/seed`, impl.name, async () => {
        const missing = size - seeded.get(impl.name);
        emitProgress(`catch-up: seeding ${missing.toLocaleString('en-US')} events › ${impl.name}`);
        for (let i = 0; i < missing / 100; i++) await impl.append(randomUUID(), 0, 100);
        seeded.set(impl.name, size);
      });
    }
    await admin.unsafe('ANALYZE');
    await checkpoint();
    for (const group of groups) {
      for (let repeat = 1; repeat <= config.repeats; repeat++) {
        for (const impl of rotate(impls, repeat - 1)) {
          if (seeded.get(impl.name) !== size) continue;
          emitProgress(`${group.title} › ${impl.name} (run ${repeat}/${config.repeats})`);
          await guarded(group.id, impl.name, async () => {
            const cap = impl.role === 'peer' ? config.emmettCatchupCapMs : 300_000;
            const r = await impl.catchUp(size, group.batch, cap, group.pulling);
            const details = { ms: r.ms };
            if (r.capped) details.capped = `${r.events} of ${size} in ${Math.round(r.ms)} ms`;
            emitSample({
              section: 'postgres',
              group: group.id,
              title: group.title,
              variant: SYNC_ON,
              impl:
                impl.role === 'peer'
                  ? `${impl.name}, consumer + reactor${group.pulling ? ' (batch 1000, no sleep)' : ' (defaults: batch 100, 50 ms)'}`
                  : impl.role === 'es'
                    ? `@es SubscriptionManager + PostgresCheckpointRepository${group.batch === 100 ? ' (defaults)' : ' (batchSize 1000)'}`
                    : `raw postgres.js gap-free paging + checkpoint upsert per page (${group.batch})`,
              role: impl.role,
              unit: 'events/s',
              repeat,
              value: (r.events / r.ms) * 1000,
              details,
            });
          });
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// time-boxed cases
// ---------------------------------------------------------------------------------------------

const SMALL_STORE = 5_000;

/** Empties a small-store schema and refills it with SMALL_STORE events, then ANALYZE (as autovacuum would). */
async function resetSmallStore(schema) {
  await admin.unsafe(`TRUNCATE ${schema}.events`);
  await admin.unsafe(
    `INSERT INTO ${schema}.events (event_id, aggregate_id, aggregate_type, version, event_type, event_version, occurred_at, data)
     SELECT 'seed-' || g, 'seed-' || (g / 10), 'Order', (g % 10) + 1, 'OrderPlaced', 1, now(),
       $1::text::jsonb || jsonb_build_object('eventId', 'seed-' || g)
     FROM generate_series(0, $2::int - 1) AS g`,
    [JSON.stringify(rawEventDocument('seed', 1)), SMALL_STORE],
  );
  await admin.unsafe(`ANALYZE ${schema}.events`);
}

const newStream = (n) => (impl) => async () => {
  await impl.append(randomUUID(), 0, n);
  return n;
};

function scenarios() {
  return [
    {
      id: 'append-1-new',
      title: 'append 1 event per call, a new stream each call',
      conc: 1,
      write: true,
      syncOff: true,
      notifyOff: true,
      op: newStream(1),
    },
    {
      id: 'append-1-small',
      title: `append 1 event per call, a new stream each call, into a store holding ${SMALL_STORE.toLocaleString('en-US')} events (analyzed)`,
      conc: 1,
      write: true,
      impls: 'small',
      setupEachRun: true,
      setup: async (impl) => resetSmallStore(impl.role === 'es' ? 'es_small' : 'raw_small'),
      op: newStream(1),
    },
    {
      id: 'append-1-same',
      title: 'append 1 event per call to one stream, with expected version',
      conc: 1,
      write: true,
      notifyOff: true,
      op: (impl) => {
        const id = randomUUID();
        let version = 0;
        return async () => {
          version = await impl.append(id, version, 1);
          return 1;
        };
      },
    },
    {
      id: 'append-10',
      title: 'append 10 events per call, new stream',
      conc: 1,
      write: true,
      syncOff: true,
      notifyOff: true,
      op: newStream(10),
    },
    {
      id: 'append-100',
      title: 'append 100 events per call, new stream',
      conc: 1,
      write: true,
      notifyOff: true,
      op: newStream(100),
    },
    {
      id: 'append-1-c8',
      title: 'append 1 event per call, new streams, 8 concurrent writers',
      conc: 8,
      write: true,
      syncOff: true,
      notifyOff: true,
      op: newStream(1),
    },
    {
      id: 'contended-c8',
      title: '8 writers append 1 event to the same stream (expected version; re-read on conflict)',
      conc: 8,
      write: true,
      notifyOff: true,
      op: (impl, stats) => {
        const id = randomUUID();
        const known = new Array(8).fill(0);
        return async (worker) => {
          const result = await impl.tryAppend(id, known[worker]);
          known[worker] = result.version;
          if (result.ok) return 1;
          stats.conflicts++;
          return 0;
        };
      },
    },
    {
      id: 'read-100',
      title: 'read a 100-event stream (20 streams, round robin)',
      conc: 1,
      setup: async (impl) => {
        const streams = [];
        for (let s = 0; s < 20; s++) {
          const id = randomUUID();
          for (let v = 0; v < 100; v += 10) await impl.append(id, v, 10);
          streams.push(id);
        }
        return streams;
      },
      op: (impl, _stats, streams) => async (_worker, i) => {
        const n = await impl.read(streams[i % streams.length]);
        if (n !== 100) throw new Error(`read ${n} events, expected 100`);
        return n;
      },
    },
    {
      id: 'read-10k',
      title: `read a ${config.longStreamEvents.toLocaleString('en-US')}-event stream`,
      conc: 1,
      setup: async (impl) => {
        const id = randomUUID();
        for (let v = 0; v < config.longStreamEvents; v += 100) await impl.append(id, v, 100);
        return [id];
      },
      op: (impl, _stats, streams) => async () => {
        const n = await impl.read(streams[0]);
        if (n !== config.longStreamEvents) throw new Error(`read ${n} events`);
        return n;
      },
    },
    {
      id: 'aggregate',
      title: `aggregate load (20-event stream) + 1 command + save, ${config.aggregateStreams} streams round robin`,
      conc: 1,
      write: true,
      notifyOff: true,
      unit: 'commands/s',
      setupEachRun: true,
      setup: async (impl) => {
        const streams = [];
        for (let s = 0; s < config.aggregateStreams; s++) {
          const id = randomUUID();
          await impl.append(id, 0, 20);
          streams.push(id);
        }
        return streams;
      },
      op: (impl, _stats, streams) => async (_worker, i) => {
        await impl.loadAndSave(streams[i % streams.length]);
        return 1;
      },
    },
  ];
}

async function timedPhase(sets) {
  for (const scenario of scenarios()) {
    const variants = [[SYNC_ON, 'on', scenario.impls === 'small' ? sets.small : sets.on]];
    if (scenario.syncOff) variants.push([SYNC_OFF, 'off', sets.off]);
    for (const [variant, key, base] of variants) {
      const group = `postgres/${scenario.id}/${key}`;
      if (!wanted(group)) continue;
      const impls = [...base];
      if (key === 'on' && scenario.notifyOff && sets.esNoNotify !== null && !scenario.impls) {
        impls.splice(impls.findIndex((i) => i.role === 'es') + 1, 0, sets.esNoNotify);
      }
      const state = new Map();
      for (let repeat = 1; repeat <= config.repeats; repeat++) {
        for (const impl of rotate(impls, repeat - 1)) {
          await guarded(group, impl.name, async () => {
            const label = `${scenario.title}${key === 'off' ? ' [sync off]' : ''} › ${impl.name}`;
            if (scenario.setup && (scenario.setupEachRun || !state.has(impl.name))) {
              emitProgress(`${label} (setup)`);
              state.set(impl.name, await scenario.setup(impl));
            }
            if (scenario.write) await checkpoint();
            emitProgress(`${label} (run ${repeat}/${config.repeats})`);
            const stats = { conflicts: 0 };
            const op = scenario.op(impl, stats, state.get(impl.name));
            await runTimed(config.warmupMs, scenario.conc, op);
            stats.conflicts = 0;
            const r = await runTimed(config.measureMs, scenario.conc, op);
            const details = { p50ms: r.p50ms, p99ms: r.p99ms, callsPerSec: r.callsPerSec };
            if (scenario.id === 'contended-c8') {
              details.conflicts = stats.conflicts;
              details.conflictRate = stats.conflicts / Math.max(1, r.calls);
            }
            emitSample({
              section: 'postgres',
              group,
              title: scenario.title,
              variant,
              impl: impl.name,
              role: impl.role,
              unit: scenario.unit ?? 'events/s',
              repeat,
              value: r.unitsPerSec,
              details,
            });
          });
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// DLQ on PostgreSQL
// ---------------------------------------------------------------------------------------------

const EVENT_DOC = JSON.stringify(rawEventDocument('order-dlq', 1));
const FAILURE = new Error('ConnectionError: simulated handler failure');

/** Inserts entries `from..to` into `<table>` with plain SQL (seeding is not measured). */
async function seedDlq(table, from, to, { projection = null, resolvedEvery = 10 } = {}) {
  await admin.unsafe(
    `INSERT INTO ${table} (event_id, projection_name, event_type, event_data, error_message,
       error_stacktrace, retry_count, first_failed_at, last_failed_at, status, resolved_at, resolved_by,
       stream_id, stream_position)
     SELECT 'ev-' || $4::text || '-' || g, coalesce($3::text, 'projection-' || (g % 10)), 'OrderPlaced',
       $5::text::jsonb, 'ConnectionError: simulated handler failure', $6::text, 3,
       now() - g * interval '1 second', now() - g * interval '1 second',
       CASE WHEN $7::int > 0 AND (g / 10) % $7::int = 0 THEN 'resolved' ELSE 'failed' END,
       CASE WHEN $7::int > 0 AND (g / 10) % $7::int = 0 THEN now() END,
       CASE WHEN $7::int > 0 AND (g / 10) % $7::int = 0 THEN 'seed' END,
       'order-' || $4::text || '-' || (g / 10), (g % 10) + 1
     FROM generate_series($1::int8, $2::int8) AS g`,
    [from, to, projection, projection ?? 'all', EVENT_DOC, FAILURE.stack, resolvedEvery],
  );
}

const ENTRY_COLUMNS = `id, event_id, projection_name, event_type, event_data, error_message, error_stacktrace,
  retry_count, first_failed_at, last_failed_at, status, resolved_at, resolved_by, stream_id, stream_position`;

function rawDlq(sql) {
  return {
    name: 'raw postgres.js',
    role: 'reference',
    add: (input) =>
      sql`INSERT INTO raw.dead_letter_queue AS d (event_id, projection_name, event_type, event_data, error_message,
          error_stacktrace, retry_count, first_failed_at, last_failed_at, status, stream_id, stream_position)
        VALUES (${input.eventId}, ${input.projectionName}, ${input.eventType}, ${input.eventData},
          ${input.error.message}, ${input.error.stack}, ${input.retryCount}, now(), now(), 'failed',
          ${input.streamId}, ${input.streamPosition})
        ON CONFLICT (event_id, projection_name) DO UPDATE SET retry_count = EXCLUDED.retry_count,
          last_failed_at = EXCLUDED.last_failed_at, error_message = EXCLUDED.error_message,
          error_stacktrace = EXCLUDED.error_stacktrace, status = 'failed', resolved_at = NULL, resolved_by = NULL
        RETURNING id`,
    getFailed: (projection) =>
      projection === undefined
        ? sql`SELECT ${sql.unsafe(ENTRY_COLUMNS)} FROM raw.dead_letter_queue WHERE status = 'failed'
            ORDER BY first_failed_at DESC, id DESC LIMIT 100`
        : sql`SELECT ${sql.unsafe(ENTRY_COLUMNS)} FROM raw.dead_letter_queue
            WHERE status = 'failed' AND projection_name = ${projection}
            ORDER BY first_failed_at DESC, id DESC LIMIT 100`,
    async redrive(projection, process) {
      let after = null;
      let succeeded = 0;
      for (;;) {
        const page =
          after === null
            ? await sql`SELECT ${sql.unsafe(ENTRY_COLUMNS)} FROM raw.dead_letter_queue
                WHERE projection_name = ${projection} AND status IN ('failed', 'retrying', 'parked')
                ORDER BY stream_id COLLATE "C", stream_position, first_failed_at, id LIMIT 100`
            : await sql`SELECT ${sql.unsafe(ENTRY_COLUMNS)} FROM raw.dead_letter_queue
                WHERE projection_name = ${projection} AND status IN ('failed', 'retrying', 'parked')
                  AND (stream_id COLLATE "C", stream_position, first_failed_at, id)
                    > (${after.stream_id}::text COLLATE "C", ${after.stream_position}::int4, ${after.first_failed_at}::timestamptz, ${after.id}::int8)
                ORDER BY stream_id COLLATE "C", stream_position, first_failed_at, id LIMIT 100`;
        for (const entry of page) {
          const claimed = await sql`UPDATE raw.dead_letter_queue SET status = 'retrying'
            WHERE id = ${entry.id} AND status IN ('failed', 'parked') RETURNING 1`;
          if (claimed.length === 0) continue;
          await process(entry);
          await sql`UPDATE raw.dead_letter_queue SET status = 'resolved', resolved_at = now(), resolved_by = 'redrive'
            WHERE id = ${entry.id} AND status IN ('failed', 'retrying', 'parked') RETURNING 1`;
          succeeded++;
        }
        if (page.length < 100) return succeeded;
        after = page[page.length - 1];
      }
    },
  };
}

async function esDlq(sql) {
  const { PostgresDLQRepository } = await import('@es/store-postgres');
  const { redrive } = await import('@es/dlq');
  const repo = new PostgresDLQRepository({ connection: sql });
  return {
    name: '@es PostgresDLQRepository',
    role: 'es',
    add: (input) => repo.addFailedEvent(input),
    getFailed: (projection) =>
      repo.getFailedEvents(projection === undefined ? {} : { projectionName: projection }),
    async redrive(projection, process) {
      const report = await redrive({ dlqRepo: repo, projectionName: projection, process });
      return report.succeeded;
    },
  };
}

async function dlqPhase(sets) {
  const sql = postgres(url, clientOptions(false));
  const impls = [rawDlq(sql)];
  const es = await guarded('dlq/postgres/setup', '@es', () => esDlq(sql));
  if (es !== undefined) impls.push(es);
  const tables = {
    'raw postgres.js': 'raw.dead_letter_queue',
    '@es PostgresDLQRepository': 'es.dead_letter_queue',
  };
  const sample = (group, title, impl, repeat, value, unit, details) =>
    emitSample({
      section: 'dlq',
      group,
      title,
      impl: impl.name,
      role: impl.role,
      unit,
      repeat,
      value,
      ...(details ? { details } : {}),
    });
  const timed = async (group, title, unit, op) => {
    if (!wanted(group)) return;
    for (let repeat = 1; repeat <= config.repeats; repeat++) {
      for (const impl of rotate(impls, repeat - 1)) {
        emitProgress(`DLQ › ${title} › ${impl.name} (run ${repeat}/${config.repeats})`);
        await guarded(group, impl.name, async () => {
          const call = op(impl);
          await runTimed(config.warmupMs, 1, call);
          const r = await runTimed(config.measureMs, 1, call);
          sample(group, title, impl, repeat, r.unitsPerSec, unit, {
            p50ms: r.p50ms,
            p99ms: r.p99ms,
          });
        });
      }
    }
  };

  // getFailedEvents on a table of 10k, then 100k entries (90 % failed over 10 projections).
  let seeded = 0;
  for (const size of config.dlqSizes) {
    emitProgress(`DLQ on PostgreSQL: seeding ${size.toLocaleString('en-US')} entries`);
    for (const table of Object.values(tables)) await seedDlq(table, seeded + 1, size);
    seeded = size;
    await admin.unsafe('ANALYZE raw.dead_letter_queue; ANALYZE es.dead_letter_queue');
    const n = size.toLocaleString('en-US');
    await timed(
      `dlq/postgres/get-${size}`,
      `PostgreSQL: getFailedEvents() (status failed, newest 100) with ${n} entries`,
      'queries/s',
      (impl) => async () => {
        const rows = await impl.getFailed(undefined);
        if (rows.length === 0) throw new Error('no entries returned');
        return 1;
      },
    );
    await timed(
      `dlq/postgres/get-${size}-projection`,
      `PostgreSQL: getFailedEvents({ projectionName }) with ${n} entries`,
      'queries/s',
      (impl) => async () => {
        const rows = await impl.getFailed('projection-3');
        if (rows.length === 0) throw new Error('no entries returned');
        return 1;
      },
    );
  }

  // addFailedEvent: sequential upserts of new keys.
  const eventData = JSON.parse(EVENT_DOC);
  await timed(
    'dlq/postgres/add',
    'PostgreSQL: addFailedEvent (new entry per call)',
    'entries/s',
    (impl) => {
      let i = 0;
      return async () => {
        await impl.add({
          eventId: `add-${randomUUID()}`,
          projectionName: 'dlq-add',
          eventType: 'OrderPlaced',
          eventData,
          error: FAILURE,
          retryCount: 3,
          streamId: `order-add-${i >> 3}`,
          streamPosition: (i++ & 7) + 1,
        });
        return 1;
      };
    },
  );

  // redrive: a fresh projection of N failed entries (N/10 streams of 10) per implementation and run.
  const group = 'dlq/postgres/redrive';
  const entries = config.redriveEntries.postgres;
  const title = `PostgreSQL: redrive ${entries.toLocaleString('en-US')} entries (no-op handler)`;
  if (wanted(group)) {
    for (let repeat = 1; repeat <= config.repeats; repeat++) {
      for (const impl of rotate(impls, repeat - 1)) {
        await guarded(group, impl.name, async () => {
          const projection = `redrive-${repeat}-${impl.role}`;
          await seedDlq(tables[impl.name], 1, entries, { projection, resolvedEvery: 0 });
          emitProgress(`DLQ › ${title} › ${impl.name} (run ${repeat}/${config.repeats})`);
          let processed = 0;
          const started = performance.now();
          const succeeded = await impl.redrive(projection, async () => {
            processed++;
          });
          const ms = performance.now() - started;
          if (succeeded !== entries || processed !== entries) {
            throw new Error(`redrove ${succeeded}/${processed} of ${entries}`);
          }
          sample(group, title, impl, repeat, (entries / ms) * 1000, 'entries/s');
        });
      }
    }
  }
  await sql.end({ timeout: 5 });
  void sets;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  let exitCode = 0;
  let sets = null;
  try {
    emitProgress('migrating the @es schema, creating the raw tables');
    const { migrate } = await import('@es/store-postgres');
    await migrate(admin);
    await createRawSchema(admin);
    await migrate(admin, { schema: 'es_small' });
    await createRawSchema(admin, 'raw_small', 'es_small');
    sets = await openImplementations();
    await verifySessions(sets);
    emitProgress('first call of every implementation (Emmett creates its schema here)');
    for (const impl of [...sets.on, ...sets.off, ...(sets.esNoNotify ? [sets.esNoNotify] : [])]) {
      await guarded('postgres/setup', impl.name, () => impl.append(randomUUID(), 0, 1));
    }
    emitInfo('postgresImplementations', {
      on: sets.on.map((i) => i.name),
      off: sets.off.map((i) => i.name),
    });
    await catchUpPhase(sets);
    await timedPhase(sets);
    await dlqPhase(sets);
  } catch (error) {
    emitFailure('postgres', 'worker', error);
    exitCode = 1;
  } finally {
    const all = sets
      ? [...sets.on, ...sets.off, ...sets.small, ...(sets.esNoNotify ? [sets.esNoNotify] : [])]
      : [];
    await Promise.allSettled(all.map((impl) => impl.close()));
    await admin.end({ timeout: 5 });
  }
  finish(exitCode);
}

await main();
