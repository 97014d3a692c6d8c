#!/usr/bin/env node
// `pnpm bench`: @es side by side with its peers and the database's limit, as ratios.
//
//   pnpm bench [--quick] [--only <regex>] [--sections resilience,memory,postgres] [--out <dir>]
//
// The orchestrator: collects machine facts, creates a fresh database `es_bench_<random>` (dropped at
// the end, also on Ctrl-C or a crash), forks the workers (one process per resilience case and run,
// one per in-memory case and implementation, one for all PostgreSQL cases), shows a progress line
// on stderr, and writes bench/results/<date>[-quick].md, .json and .svg.
//
// Nothing fails on a number: the exit code is 0 unless a case crashed (then 1, after the report).
// Imports the BUILT packages by name (they resolve to dist/): the root script builds first.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { memoryPlan } from './cases/memory.mjs';
import { RESILIENCE_CASES } from './cases/resilience.mjs';
import { renderChart } from './lib/chart.mjs';
import { runWorker } from './lib/child.mjs';
import { modeConfig } from './lib/config.mjs';
import { machineFacts, postgresFacts, versions } from './lib/machine.mjs';
import {
  renderPerformanceSection,
  renderReport,
  replacePerformanceSection,
  SECTION_ORDER,
} from './lib/report.mjs';
import { Results } from './lib/results.mjs';
import { formatDuration, summarize } from './lib/stats.mjs';
import { rotate } from './lib/timed.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BENCH_DIR = path.resolve(HERE, '..');
const REPO_DIR = path.resolve(BENCH_DIR, '..');

// ---- arguments --------------------------------------------------------------------------------

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
};
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'Usage: pnpm bench [--quick] [--only <regex>] [--sections resilience,memory,postgres] [--out <dir>]\n' +
      '  --quick      every case with small sizes and short windows (< 2 minutes)\n' +
      '  --only       run only the groups whose id matches (for example "postgres/append")\n' +
      '  --sections   which workers to run (default: all)\n' +
      '  --out        where to write the report (default bench/results)\n' +
      'Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)\n',
  );
  process.exit(0);
}
const QUICK = args.includes('--quick');
const ONLY = option('--only');
const SECTIONS = (option('--sections') ?? 'resilience,memory,postgres').split(',');
const OUT_DIR = path.resolve(option('--out') ?? path.join(BENCH_DIR, 'results'));
const config = modeConfig(QUICK);
const onlyRe = ONLY === undefined ? null : new RegExp(ONLY);

// ---- progress line ----------------------------------------------------------------------------

const startedAt = performance.now();
const tty = process.stderr.isTTY === true;
let lastLine = '';
const loadSamples = [];
const loadTimer = setInterval(() => loadSamples.push(os.loadavg()[0]), 5_000);
loadTimer.unref();
function progress(text) {
  const s = Math.round((performance.now() - startedAt) / 1000);
  const line = `[${String(Math.floor(s / 60)).padStart(2, ' ')}:${String(s % 60).padStart(2, '0')}] ${text}`;
  if (line === lastLine) return;
  lastLine = line;
  if (tty) {
    const cols = process.stderr.columns ?? 120;
    process.stderr.write(
      `\r\x1b[2K${line.length > cols - 1 ? `${line.slice(0, cols - 2)}…` : line}`,
    );
  } else {
    process.stderr.write(`${line}\n`);
  }
}
function log(text) {
  if (tty) process.stderr.write('\r\x1b[2K');
  process.stderr.write(`${text}\n`);
}

// ---- database lifecycle -----------------------------------------------------------------------

const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `es_bench_${randomBytes(5).toString('hex')}`;
const benchUrl = (() => {
  const u = new URL(baseUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
let dbCreated = false;
let activeChild = null;

async function withAdmin(fn) {
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    return await fn(admin);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

async function dropDatabase() {
  if (!dbCreated) return;
  dbCreated = false;
  try {
    await withAdmin((admin) => admin.unsafe(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    log(`dropped database ${dbName}`);
  } catch (error) {
    log(`could not drop database ${dbName}: ${error.message} — drop it by hand`);
  }
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, async () => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${signal}: stopping, dropping ${dbName}…`);
    activeChild?.kill('SIGKILL');
    await dropDatabase();
    process.exit(130);
  });
}

// ---- workers ----------------------------------------------------------------------------------

const results = new Results();
const notes = [];
let crashed = false;

function onMessage(section) {
  return (message) => {
    if (message.kind === 'sample') results.add(message);
    else if (message.kind === 'progress') progress(`${section} › ${message.text}`);
    else if (message.kind === 'failure') {
      results.fail(message);
      crashed = true;
      log(`FAILED ${message.group} › ${message.impl}: ${message.message}`);
      if (process.env.BENCH_DEBUG) log(message.stack);
    } else if (message.kind === 'info') results.info[message.key] = message.value;
  };
}

async function worker(section, script, argv, env = {}) {
  const { code, stderr } = await runWorker(path.join(HERE, 'cases', script), argv, {
    env: { BENCH_CONFIG: JSON.stringify(config), ...env },
    execArgv: ['--expose-gc'],
    onMessage: onMessage(section),
    track: (child) => {
      activeChild = child;
    },
  });
  if (code !== 0 && !interrupted) {
    crashed = true;
    const message = `worker ${script} ${argv.join(' ')} exited with code ${code}`;
    results.fail({ group: section, impl: argv.join(' ') || script, message, stack: stderr });
    log(`FAILED ${message}\n${stderr.trim().split('\n').slice(-15).join('\n')}`);
  }
}

async function resiliencePhase() {
  const r = config.resilience;
  const cases = onlyRe === null || onlyRe.test('resilience/noop') ? RESILIENCE_CASES : [];
  for (let run = 1; run <= r.runs; run++) {
    for (const spec of rotate(cases, run - 1)) {
      progress(`resilience › ${spec.name} (run ${run}/${r.runs})`);
      await worker('resilience', 'resilience.mjs', [
        spec.name,
        String(r.minBatchMs),
        String(r.warmupBatches),
        String(r.batches),
        String(r.warmupCalls),
        String(run),
      ]);
    }
  }
}

async function memoryPhase() {
  for (const { id, impls } of memoryPlan(config)) {
    if (onlyRe !== null && !onlyRe.test(id)) continue;
    // rotate which implementation goes first from case to case
    for (const impl of rotate(impls, id.length)) {
      progress(`memory › ${id} › ${impl}`);
      await worker(id.startsWith('dlq/') ? 'dlq' : 'memory', 'memory.mjs', [id, impl]);
    }
  }
}

async function postgresPhase() {
  await worker('postgres', 'postgres.mjs', [], {
    BENCH_DB_URL: benchUrl,
    ...(ONLY === undefined ? {} : { BENCH_ONLY: ONLY }),
  });
}

// ---- main -------------------------------------------------------------------------------------

async function main() {
  const started = new Date();
  log(`@es bench, ${config.mode} mode → ${OUT_DIR}`);
  const machine = machineFacts();
  const vers = versions(BENCH_DIR, REPO_DIR);
  let pg = null;
  try {
    if (SECTIONS.includes('postgres')) {
      progress(`creating database ${dbName}`);
      pg = await withAdmin(async (admin) => {
        await admin.unsafe(`CREATE DATABASE "${dbName}"`);
        dbCreated = true;
        return postgresFacts(admin);
      });
    }
    if (SECTIONS.includes('resilience')) await resiliencePhase();
    if (SECTIONS.includes('memory')) await memoryPhase();
    if (SECTIONS.includes('postgres')) await postgresPhase();
  } catch (error) {
    crashed = true;
    results.fail({
      group: 'bench',
      impl: 'orchestrator',
      message: String(error?.message ?? error),
    });
    log(`FAILED: ${error?.stack ?? error}`);
  } finally {
    await dropDatabase();
  }
  if (interrupted) return;

  const durationMs = performance.now() - startedAt;
  const date = started.toISOString().slice(0, 10);
  const base = `${date}${QUICK ? '-quick' : ''}`;
  const groups = results.summarize(SECTION_ORDER);
  notes.push(
    "In the in-memory catch-up with failures, the SubscriptionManager's default `dlqOrdering: 'per-stream'` parks every later event of a stream behind its dead-lettered event (written to the DLQ as `parked`, not handled): a different outcome, shown in the notes column. The `dlqOrdering: 'none'` row does the same work as the reference.",
    'Resilience ratios compare a wrapper with a bare `await` of a no-op: any wrapper adds an async frame (~40 ns here), so no wrapper can come near 0.9×; read the ns/call overhead and compare with the peers.',
  );
  if (config.mode === 'full') {
    notes.push(
      `Emmett's catch-up is time-capped at ${config.emmettCatchupCapMs / 1000} s per run (its 100k-event default run would take minutes); a capped row reports the rate over the events it processed in that time.`,
    );
  } else {
    notes.push(
      `Quick mode: catch-up over ${config.catchupSizes.join(' and ')} events, DLQ with ${config.dlqSizes.join(' and ')} entries, ${config.warmupMs} ms warm-up + ${config.measureMs} ms windows; Emmett's catch-up capped at ${config.emmettCatchupCapMs / 1000} s.`,
    );
  }
  const meta = {
    date,
    mode: config.mode,
    command: `pnpm bench${QUICK ? ' --quick' : ''}${ONLY ? ` --only '${ONLY}'` : ''}`,
    started: started.toISOString(),
    durationMs,
    database: dbName,
    loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
    loadDuringRun: loadSamples.length === 0 ? null : summarize(loadSamples),
    config,
    notes,
  };
  mkdirSync(OUT_DIR, { recursive: true });
  const chartFile = `${base}.svg`;
  writeFileSync(
    path.join(OUT_DIR, chartFile),
    renderChart(groups, {
      title: `@es vs peers and references — ${date} (${config.mode} mode)`,
      subtitle: `${machine.cores}× ${machine.cpu}, Node ${machine.node}${pg ? `, PostgreSQL ${pg.settings.server_version}` : ''}; median of ${config.repeats}+ runs`,
    }),
  );
  writeFileSync(
    path.join(OUT_DIR, `${base}.md`),
    renderReport({
      meta,
      machine,
      pg,
      versions: vers,
      groups,
      failures: results.failures,
      chartFile,
    }),
  );
  writeFileSync(
    path.join(OUT_DIR, `${base}.json`),
    `${JSON.stringify(
      {
        meta,
        machine,
        postgres: pg,
        versions: vers,
        groups,
        failures: results.failures,
        info: results.info,
      },
      null,
      2,
    )}\n`,
  );
  // A complete full-mode run into bench/results refreshes the root README's Performance section.
  const complete =
    config.mode === 'full' &&
    ONLY === undefined &&
    SECTIONS.length === 3 &&
    OUT_DIR === path.join(BENCH_DIR, 'results');
  if (complete) writePerformanceSection({ meta, machine, pg, groups, base, chartFile });
  log(
    `done in ${formatDuration(durationMs)}: ${path.relative(process.cwd(), path.join(OUT_DIR, `${base}.md`))} (+ .json, .svg)${crashed ? ' — some cases FAILED' : ''}`,
  );
  process.exitCode = crashed ? 1 : 0;
}

/** Rewrites the root README's "Performance" section from this run (see `replacePerformanceSection`). */
function writePerformanceSection({ meta, machine, pg, groups, base, chartFile }) {
  const file = path.join(REPO_DIR, 'README.md');
  const updated = replacePerformanceSection(readFileSync(file, 'utf8'), (previous) =>
    renderPerformanceSection({
      meta,
      machine,
      pg,
      groups,
      reportFile: `bench/results/${base}.md`,
      chartFile: `bench/results/${chartFile}`,
      previous,
    }),
  );
  if (updated === undefined) {
    log('README.md has no bench:performance markers; its Performance section was not updated');
    return;
  }
  writeFileSync(file, updated);
  log('updated the Performance section of README.md');
}

await main();
