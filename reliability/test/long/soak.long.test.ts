/**
 * H. Load and soak (ES_RELIABILITY=long), shortened to fit a session (the durations are in the
 * figures): H1 a soak with writers, 4 forked subscribers, 1 % poison, D4-style network faults and
 * a SIGKILL every minute; H2 a large catch-up while live writes continue; H3 a DLQ of many
 * resolved rows under the retention job, with index use checked by EXPLAIN.
 */
import { createManualClock } from '@es/dlq/testing';
import { PostgresDLQRepository } from '@es/store-postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultProxy } from '../../src/faults/fault-proxy.js';
import { type ChildMessage, SubscriberProcess } from '../../src/faults/subscriber-process.js';
import { describeResult } from '../../src/history/checker.js';
import { History } from '../../src/history/history.js';
import { figuresOf, recordFigures } from '../../src/support/figures.js';
import { fatedCount, waitForAllFated } from '../../src/support/pg-checks.js';
import {
  appliedProjection,
  connect,
  freshSchema,
  loadFates,
  loadStored,
  pgStack,
} from '../../src/support/postgres.js';
import { recording } from '../../src/support/recording-sql.js';
import { seededRandom, seedFromEnv, sleep, Writer, waitUntil } from '../../src/support/workload.js';

const url = inject('relDatabaseUrl');
const bundle = inject('subscriberBundle');
const target = new URL(url);
let admin: ReturnType<typeof connect>;
const SOAK_MS = Number(process.env.REL_SOAK_MINUTES ?? 10) * 60_000;

beforeAll(() => {
  admin = connect(url, { max: 4, applicationName: 'rel-soak-admin' });
});
afterAll(async () => {
  await admin.end({ timeout: 5 });
});

async function backends(prefix: string): Promise<number> {
  const rows = await admin.unsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE $1 || '%'`,
    [prefix],
  );
  return Number(rows[0]?.n ?? 0);
}

describe('H1: soak — writers, 4 subscribers, 1 % poison, network faults, a SIGKILL every minute', () => {
  it(
    'checker clean; memory and connections flat; DLQ size == poison count',
    async () => {
      const seed = seedFromEnv();
      const random = seededRandom(seed);
      const started = Date.now();
      const schema = await freshSchema(admin, 'h1');
      const proxy = await FaultProxy.start({
        targetHost: target.hostname,
        targetPort: Number(target.port || 5432),
        random: seededRandom(seed + 1),
      });
      const writerStack = pgStack(url, schema, { applicationName: 'rel-h1-writer', max: 4 });
      const history = new History();
      const writer = new Writer(writerStack.store, history);
      const names = ['h1a', 'h1b', 'h1c', 'h1d'];
      const children = new Map<string, SubscriberProcess>();
      const samples: { at: number; rss: number[]; connections: number }[] = [];
      let crashes = 0;
      let kills = 0;
      let faultWindows = 0;
      const stalls: string[] = [];
      const start = (name: string) => {
        const child = SubscriberProcess.start(bundle, {
          url: proxy.rewrite(url),
          schema,
          subscriber: name,
          batchSize: 100,
          maxRetries: 1,
          // Two subscribers park streams behind dead letters, two dead-letter independently.
          dlqOrdering: name === 'h1a' || name === 'h1b' ? 'per-stream' : 'none',
          applicationName: `rel-child-${name}`,
        });
        children.set(name, child);
        void child.exited.then((exit) => {
          if (children.get(name) === child && exit.signal !== 'SIGKILL' && exit.code !== 0)
            crashes++;
        });
        return child;
      };
      for (const name of names) start(name);
      let stop = false;
      // 8 writers, ~1 % poison events, paced to a steady load.
      const writing = writer
        .run({
          events: 10_000_000,
          streams: 400,
          concurrency: 8,
          batch: 2,
          behaviour: (n) => (n % 100 === 0 ? 'poison' : 'ok'),
          pauseMs: () => 5 + Math.floor(random() * 10),
          stop: () => stop,
        })
        .catch(() => {});
      const end = started + SOAK_MS;
      let nextKill = started + 60_000;
      let nextFault = started + 30_000;
      while (Date.now() < end) {
        await sleep(1_000);
        // Replace crashed subscribers (a supervisor would).
        for (const name of names) {
          const child = children.get(name);
          if (child?.exit !== undefined) start(name);
        }
        if (Date.now() >= nextKill) {
          const victim = names[Math.floor(random() * names.length)] as string;
          children.get(victim)?.kill('SIGKILL');
          kills++;
          nextKill += 60_000;
        }
        if (Date.now() >= nextFault) {
          // 15 s of D4 faults on the subscribers' connections, every 2 minutes.
          faultWindows++;
          proxy.setMode({ kind: 'latency', ms: 100, jitterMs: 50, resetProbability: 0.01 });
          await sleep(15_000);
          proxy.setMode({ kind: 'pass' });
          nextFault += 120_000;
        }
        if (samples.length === 0 || Date.now() - (samples.at(-1)?.at ?? 0) > 30_000) {
          const rss = names.map((name) => {
            const last = [...(children.get(name)?.messages ?? [])]
              .reverse()
              .find((m: ChildMessage) => m.type === 'stats' || m.type === 'idle');
            return Number(last?.rss ?? 0);
          });
          samples.push({ at: Date.now(), rss, connections: await backends('rel-child-h1') });
        }
      }
      stop = true;
      await Promise.race([writing, sleep(30_000)]);
      await writerStack.close(0);
      // Drain: a supervisor restarts dead subscribers; a live one that makes no progress for
      // 2 minutes is a stall, reported with its last self-reported state.
      const total = (await loadStored(admin, schema)).length;
      const lastProgress = new Map(names.map((name) => [name, { fated: -1, at: Date.now() }]));
      for (;;) {
        for (const name of names) if (children.get(name)?.exit !== undefined) start(name);
        let done = true;
        for (const name of names) {
          const fated = await fatedCount(admin, schema, name);
          if (fated < total) done = false;
          const last = lastProgress.get(name) as { fated: number; at: number };
          if (fated !== last.fated) lastProgress.set(name, { fated, at: Date.now() });
          else if (Date.now() - last.at > 120_000) {
            const stats = [...(children.get(name)?.messages ?? [])]
              .reverse()
              .find((m) => m.type === 'stats');
            const sessions = await admin.unsafe(
              `SELECT application_name, state, wait_event_type, wait_event, left(query, 80) AS query,
                      round(extract(epoch FROM now() - state_change))::int AS seconds_in_state
               FROM pg_stat_activity WHERE application_name LIKE $1 || '%'`,
              [`rel-child-${name}`],
            );
            stalls.push(`${name} at ${fated}/${total}`);
            throw new Error(
              `subscriber ${name} stalled at ${fated} of ${total} for 2 minutes; its last report: ${JSON.stringify(stats)}; its sessions: ${JSON.stringify(sessions)}\n${children.get(name)?.stderr.slice(-2_000) ?? ''}`,
            );
          }
        }
        if (done) break;
        await sleep(2_000);
      }
      for (const name of names) await children.get(name)?.stop(30_000);
      for (const name of names) history.fates(await loadFates(admin, schema, name));
      const stored = await loadStored(admin, schema);
      const result = history.check({
        stored,
        subscribers: names.map((name) => ({
          name,
          perStreamParking: name === 'h1a' || name === 'h1b',
        })),
      });
      const poison = (
        await admin.unsafe<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM "${schema}".events WHERE data->>'behaviour' = 'poison'`,
        )
      )[0]?.n;
      const dlqNone = (
        await admin.unsafe<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM "${schema}".dead_letter_queue WHERE projection_name = 'h1c'`,
        )
      )[0]?.n;
      const rssFirst = samples[1]?.rss ?? samples[0]?.rss ?? [];
      const rssLast = samples.at(-1)?.rss ?? [];
      recordFigures(
        figuresOf('H1', 'postgres', result, {
          faults: kills + faultWindows + crashes,
          durationMs: Date.now() - started,
          notes: `${Math.round(SOAK_MS / 60_000)}-minute soak (shortened from 1 h): ${stored.length} events, 8 writers, 4 forked subscribers (figures summed over the 4), ${poison} poison events, ${kills} SIGKILLs, ${faultWindows} windows of 15 s latency + 1 % resets, ${crashes} unexpected subscriber deaths (restarted); DLQ of an unordered subscriber = ${dlqNone}; child RSS MB first→last ${rssFirst.map((r) => Math.round(r / 1e6)).join('/')} → ${rssLast.map((r) => Math.round(r / 1e6)).join('/')}; subscriber connections ${samples.map((s) => s.connections).join(',')}; seed ${seed}`,
        }),
      );
      expect(result.anomalies, `seed ${seed}\n${describeResult(result)}`).toEqual([]);
      expect(dlqNone).toBe(poison);
      expect(Math.max(...samples.map((s) => s.connections))).toBeLessThanOrEqual(4 * 5);
      // Memory is compared between the first sample after warm-up and the last one, for each
      // subscriber process (a process restarted by a kill starts over, so the bound is loose).
      expect(rssLast.every((r) => r > 0)).toBe(true);
      for (let i = 0; i < rssLast.length; i++) {
        if ((rssFirst[i] ?? 0) > 0)
          expect(rssLast[i] as number).toBeLessThan((rssFirst[i] as number) * 2);
      }
      await proxy.close();
    },
    SOAK_MS + 1_200_000,
  );
});

describe('H2: a large catch-up from zero while live writes continue', () => {
  it('bounded memory, batch latency p99 bounded, no gap at the handover', async () => {
    const started = Date.now();
    const schema = await freshSchema(admin, 'h2');
    const stack = pgStack(url, schema, { applicationName: 'rel-h2', max: 6 });
    const history = new History();
    const writer = new Writer(stack.store, history);
    const total = Number(process.env.REL_H2_EVENTS ?? 200_000);
    await writer.run({ events: total, streams: 2_000, concurrency: 6, batch: 50 });
    const loaded = Date.now();
    const heap: number[] = [];
    const batchGaps: number[] = [];
    let lastCall = 0;
    const manager = stack.manager();
    const subscription = manager.subscribe(
      appliedProjection({
        name: 'p',
        schema,
        beforeApply: () => {
          const now = performance.now();
          if (lastCall > 0) batchGaps.push(now - lastCall);
          lastCall = now;
        },
      }),
      { batchSize: 500, startFrom: 'beginning' },
    );
    const sampler = setInterval(() => heap.push(process.memoryUsage().heapUsed), 500);
    await manager.start();
    let stop = false;
    const live = writer.run({
      events: 10_000_000,
      streams: 50,
      concurrency: 2,
      pauseMs: 5,
      stop: () => stop,
    });
    await waitUntil(() => subscription.state === 'live', 1_800_000, 'the switch to live', 500);
    const caughtUpMs = Date.now() - loaded;
    await sleep(2_000);
    stop = true;
    await live;
    await waitForAllFated(admin, schema, 'p', 600_000);
    clearInterval(sampler);
    await manager.stop();
    history.fates(await loadFates(admin, schema, 'p'));
    const result = history.check({ stored: await loadStored(admin, schema), subscribers: ['p'] });
    const sorted = [...batchGaps].sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 0;
    const heapMax = Math.max(...heap);
    const heapStart = heap[1] ?? heap[0] ?? 0;
    recordFigures(
      figuresOf('H2', 'postgres', result, {
        faults: 0,
        durationMs: Date.now() - started,
        notes: `catch-up of ${total} events (shortened from 5 M) in ${caughtUpMs} ms (${Math.round(total / (caughtUpMs / 1000))} events/s) while 2 writers kept appending; p99 gap between handler calls ${p99.toFixed(1)} ms; test-process heap ${Math.round(heapStart / 1e6)} → max ${Math.round(heapMax / 1e6)} MB`,
      }),
    );
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(p99).toBeLessThan(1_000);
    await stack.close();
  });
});

describe('H3: a DLQ with many resolved rows and the retention job', () => {
  it('queries stay fast, the purge deletes only old resolved rows, and every DLQ query uses an index', async () => {
    const started = Date.now();
    const rows = Number(process.env.REL_H3_ROWS ?? 1_000_000);
    const schema = await freshSchema(admin, 'h3');
    const clock = createManualClock(Date.now());
    await admin.unsafe(
      `INSERT INTO "${schema}".dead_letter_queue (event_id, projection_name, event_type, event_data, error_message, first_failed_at, last_failed_at, status, resolved_at, resolved_by, stream_id, stream_position)
       SELECT 'r' || g, 'proj' || (g % 20), 'RelEvent', '{}'::jsonb, 'boom', now() - interval '60 days', now() - interval '60 days',
              'resolved', now() - interval '40 days', 'ops', 's' || (g % 5000), g / 5000 + 1
       FROM generate_series(1, $1::int) g`,
      [rows],
    );
    await admin.unsafe(
      `INSERT INTO "${schema}".dead_letter_queue (event_id, projection_name, event_type, event_data, error_message, first_failed_at, last_failed_at, status, stream_id, stream_position)
       SELECT 'u' || g, 'proj' || (g % 20), 'RelEvent', '{}'::jsonb, 'boom', now(), now(),
              CASE WHEN g % 3 = 0 THEN 'parked' ELSE 'failed' END, 'u' || (g % 300), g / 300 + 1
       FROM generate_series(1, 2000) g`,
    );
    await admin.unsafe(`ANALYZE "${schema}".dead_letter_queue`);
    const recorder = recording(connect(url, { max: 2, applicationName: 'rel-h3' }));
    const repo = new PostgresDLQRepository({ connection: recorder.sql, schema, clock: clock.now });
    const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
      const t = performance.now();
      const value = await fn();
      return [value, performance.now() - t];
    };
    const queries = async () => {
      const timings: Record<string, number> = {};
      timings.getFailedEvents = (
        await time(() => repo.getFailedEvents({ projectionName: 'proj3', limit: 100 }))
      )[1];
      timings.listEntries = (
        await time(() => repo.listEntries({ projectionName: 'proj3', limit: 100 }))
      )[1];
      timings.getBlockedStreams = (await time(() => repo.getBlockedStreams('proj3')))[1];
      timings.getProjectionDepth = (await time(() => repo.getProjectionDepth('proj3')))[1];
      timings.getFailureStats = (await time(() => repo.getFailureStats()))[1];
      return timings;
    };
    await queries(); // prepare
    const before = await queries();
    const [purged, purgeMs] = await time(() => repo.deleteResolvedEvents(30));
    await admin.unsafe(`ANALYZE "${schema}".dead_letter_queue`);
    const after = await queries();
    const left = (
      await admin.unsafe<{ status: string; n: number }[]>(
        `SELECT status, count(*)::int AS n FROM "${schema}".dead_letter_queue GROUP BY status ORDER BY status`,
      )
    ).map((r) => `${r.status}:${r.n}`);
    // EXPLAIN every statement the repository ran (parameters as they were).
    const plans: Record<string, string> = {};
    for (const [text, params] of recorder.statements) {
      if (
        !/^\s*(WITH|SELECT|UPDATE|DELETE)/i.test(text) ||
        /pg_advisory|information_schema/i.test(text)
      )
        continue;
      const plan = await admin.unsafe<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN ${text}`,
        params as never[],
      );
      plans[text.replace(/\s+/g, ' ').slice(0, 80)] = plan.map((r) => r['QUERY PLAN']).join('\n');
    }
    const seqScans = Object.entries(plans).filter(([, plan]) =>
      /Seq Scan on dead_letter_queue/.test(plan),
    );
    recordFigures({
      id: 'H3',
      backend: 'postgres',
      events: rows + 2000,
      faults: 0,
      lost: 0,
      duplicated: 0,
      skipped: 0,
      durationMs: Date.now() - started,
      notes: `${rows} resolved rows (shortened from 1 M when REL_H3_ROWS is set) + 2 000 unresolved; purge deleted ${purged} in ${Math.round(purgeMs)} ms (one statement, not paged); query ms before ${JSON.stringify(roundAll(before))}, after ${JSON.stringify(roundAll(after))}; statements with a sequential scan of the DLQ: ${seqScans.length ? seqScans.map(([q]) => q).join(' | ') : 'none'}`,
    });
    expect(purged).toBe(rows);
    expect(left).toEqual(['failed:1334', 'parked:666']);
    for (const [name, ms] of Object.entries(after)) expect(ms, name).toBeLessThan(200);
    expect(seqScans.map(([q, plan]) => `${q}\n${plan}`)).toEqual([]);
    await recorder.sql.end({ timeout: 5 });
  });
});

function roundAll(timings: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}
