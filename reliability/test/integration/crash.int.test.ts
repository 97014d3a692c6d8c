/**
 * C. Crash consistency (exactly-once effects) on PostgreSQL: subscriber processes killed with
 * SIGKILL at random moments and at named crash points, two processors racing for one
 * subscription, SIGTERM during a batch. Database crashes (C4) run on a throwaway cluster.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CrashPoint } from '../../src/faults/crash-points.js';
import { SubscriberProcess } from '../../src/faults/subscriber-process.js';
import { ThrowawayCluster } from '../../src/faults/throwaway-cluster.js';
import { describeResult } from '../../src/history/checker.js';
import { History } from '../../src/history/history.js';
import { figuresOf, recordFigures } from '../../src/support/figures.js';
import {
  atomicState,
  checkpointOf,
  storedPositions,
  waitForAllFated,
  waitForBackendsGone,
} from '../../src/support/pg-checks.js';
import {
  appliedProjection,
  connect,
  freshSchema,
  loadFates,
  loadStored,
  pgStack,
} from '../../src/support/postgres.js';
import { seededRandom, seedFromEnv, sleep, Writer } from '../../src/support/workload.js';

const url = inject('relDatabaseUrl');
const bundle = inject('subscriberBundle');
let admin: ReturnType<typeof connect>;

beforeAll(() => {
  admin = connect(url, { max: 3, applicationName: 'rel-crash-admin' });
});
afterAll(async () => {
  await admin.end({ timeout: 5 });
});

/** Checks the whole run of subscriber `p` against the store and returns the result. */
async function checkRun(history: History, schema: string, subscriber = 'p') {
  history.fates(await loadFates(admin, schema, subscriber));
  return history.check({
    stored: await loadStored(admin, schema),
    subscribers: [{ name: subscriber, perStreamParking: true }],
  });
}

/** Runs a clean subscriber until every stored event has a fate, then stops it gracefully. */
async function drain(schema: string, subscriber = 'p'): Promise<void> {
  const child = SubscriberProcess.start(bundle, { url, schema, subscriber, batchSize: 50 });
  await child.waitFor('ready');
  await waitForAllFated(admin, schema, subscriber, 90_000);
  const exit = await child.stop();
  expect(exit, child.stderr).toEqual({ code: 0, signal: null });
}

describe('C1: SIGKILL the processor mid-batch at random moments', () => {
  it('projects every event exactly once and ends with checkpoint == last event', async () => {
    const seed = seedFromEnv();
    const random = seededRandom(seed);
    const kills = 12;
    const total = 1_200;
    const started = Date.now();
    const schema = await freshSchema(admin, 'c1');
    const stack = pgStack(url, schema, { applicationName: 'rel-c1-writer' });
    const history = new History();
    const writer = new Writer(stack.store, history);
    // ~1 % poison events: their streams get parked behind them, under crashes too.
    const writing = writer.run({
      events: total,
      streams: 25,
      concurrency: 3,
      behaviour: (n) => (n % 97 === 0 ? 'poison' : 'ok'),
      pauseMs: () => (random() < 0.2 ? 2 : 0),
    });
    let killed = 0;
    for (let k = 0; k < kills; k++) {
      const child = SubscriberProcess.start(bundle, {
        url,
        schema,
        subscriber: 'p',
        batchSize: 50,
      });
      await child.waitFor('ready');
      await sleep(Math.floor(random() * 200));
      child.kill('SIGKILL');
      const exit = await child.exited;
      if (exit.signal === 'SIGKILL') killed++;
      await waitForBackendsGone(admin, 'rel-child-p');
      // All-or-nothing holds at every crash.
      const state = await atomicState(admin, schema, 'p');
      expect(
        { missing: state.missing, ahead: state.ahead, doubled: state.doubled },
        `seed ${seed}, kill ${k}, checkpoint ${state.checkpoint}`,
      ).toEqual({ missing: [], ahead: [], doubled: [] });
    }
    await writing;
    await drain(schema);
    const result = await checkRun(history, schema);
    expect(result.anomalies, `seed ${seed}\n${describeResult(result)}`).toEqual([]);
    const stored = await storedPositions(admin, schema);
    expect(await checkpointOf(admin, schema, 'p')).toBe(stored.at(-1)?.position);
    expect(killed).toBe(kills);
    expect(result.counts.events).toBe(total);
    recordFigures(
      figuresOf('C1', 'postgres', result, {
        faults: killed,
        durationMs: Date.now() - started,
        notes: `${kills} SIGKILLs at 0–200 ms after start, batch 50, ${total} events over 25 streams written concurrently by 3 appenders, ~1 % poison; seed ${seed}`,
      }),
    );
    await stack.close();
  });
});

describe('C2: crash at each named point', () => {
  const points: CrashPoint[] = [
    'after-handler',
    'after-dlq-insert',
    'after-park',
    'before-commit',
    'after-commit',
  ];
  const repeats = 3;
  let faults = 0;
  const results: ReturnType<History['check']>[] = [];

  afterAll(() => {
    const total = results.reduce(
      (acc, r) => ({
        events: acc.events + r.counts.events,
        lost: acc.lost + r.counts.lost,
        duplicated: acc.duplicated + r.counts.duplicated,
        skipped: acc.skipped + r.counts.silentlySkipped,
        dead: acc.dead + r.counts.deadLettered + r.counts.parked,
      }),
      { events: 0, lost: 0, duplicated: 0, skipped: 0, dead: 0 },
    );
    if (results.length > 0) {
      recordFigures({
        id: 'C2',
        backend: 'postgres',
        events: total.events,
        faults,
        lost: total.lost,
        duplicated: total.duplicated,
        skipped: total.skipped,
        deadLettered: total.dead,
        notes: `${points.length} crash points × ${repeats} (crash on the 1st…${repeats}th pass)`,
      });
    }
  });

  for (const point of points) {
    it(`${point}: effects, DLQ entries and checkpoint are all-or-nothing, ×${repeats}`, async () => {
      for (let r = 1; r <= repeats; r++) {
        const schema = await freshSchema(admin, 'c2');
        const stack = pgStack(url, schema, { applicationName: 'rel-c2-writer' });
        const history = new History();
        const writer = new Writer(stack.store, history);
        // 8 streams × 6 events; events 2 and 5 of s1, 3 of s4 and 5 of s6 are poison, so every
        // point is reached at least 3 times: 3 dead letters (s1 v2, s4 v3, s6 v5) and 8 events
        // parked behind them (s1 v3–v6, s4 v4–v6, s6 v6).
        await writer.run({
          events: 48,
          streams: 8,
          behaviour: (_n, stream, version) =>
            (stream === 's1' && (version === 2 || version === 5)) ||
            (stream === 's4' && version === 3) ||
            (stream === 's6' && version === 5)
              ? 'poison'
              : 'ok',
        });
        const child = SubscriberProcess.start(bundle, {
          url,
          schema,
          subscriber: 'p',
          batchSize: 5,
          crashAt: point,
          crashOn: r,
        });
        const exit = await Promise.race([
          child.exited,
          child.waitFor('idle', { timeoutMs: 30_000 }).then(() => 'idle' as const),
        ]);
        if (exit === 'idle') await child.stop();
        expect(exit, `${point} #${r}: the crash point must be reached\n${child.stderr}`).toEqual({
          code: null,
          signal: 'SIGKILL',
        });
        faults++;
        await waitForBackendsGone(admin, 'rel-child-p');
        const state = await atomicState(admin, schema, 'p');
        expect(state, `${point} #${r}`).toMatchObject({ missing: [], ahead: [], doubled: [] });
        await drain(schema);
        const result = await checkRun(history, schema);
        expect(result.anomalies, `${point} #${r}\n${describeResult(result)}`).toEqual([]);
        expect(result.counts).toMatchObject({ deadLettered: 3, parked: 8 });
        results.push(result);
        await stack.close();
      }
    });
  }
});

describe('C3: two processors for the same subscription (a zombie)', () => {
  it('the compare-and-set checkpoint fences the stale one: no double effects', async () => {
    const schema = await freshSchema(admin, 'c3');
    const a = pgStack(url, schema, { applicationName: 'rel-c3-a' });
    const b = pgStack(url, schema, { applicationName: 'rel-c3-b' });
    const history = new History();
    const writer = new Writer(a.store, history);
    await writer.run({ events: 20, streams: 4 });
    // A takes the first batch, then stalls inside its first handler call (a GC pause, a lost
    // lock); B, a second instance, processes everything; then A wakes up and finishes its batch.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let stalled!: () => void;
    const aStalled = new Promise<void>((resolve) => {
      stalled = resolve;
    });
    let first = true;
    const managerA = a.manager();
    const subA = managerA.subscribe(
      appliedProjection({
        name: 'p',
        schema,
        beforeApply: async () => {
          if (!first) return;
          first = false;
          stalled();
          await gate;
        },
      }),
      { batchSize: 20 },
    );
    await managerA.start();
    await aStalled;
    const managerB = b.manager();
    const subB = managerB.subscribe(appliedProjection({ name: 'p', schema }), { batchSize: 20 });
    await managerB.start();
    await subB.whenIdle();
    await managerB.stop();
    release();
    await subA.whenIdle();
    const stateA = subA.state;
    await managerA.stop();
    const result = await checkRun(history, schema);
    recordFigures(
      figuresOf('C3', 'postgres', result, {
        faults: 1,
        notes: 'instance A stalls inside its first batch while instance B processes all 20 events',
      }),
    );
    expect(result.anomalies, describeResult(result)).toEqual([]);
    // A's save is refused (its transaction rolled back); A reloads B's checkpoint and goes on.
    expect(stateA).toBe('live');
    expect(subA.lastError?.code).toBe('ES_CHECKPOINT_CONFLICT');
    await Promise.all([a.close(), b.close()]);
  });

  it('two forked processors racing over 300 events never double an effect', async () => {
    const schema = await freshSchema(admin, 'c3f');
    const stack = pgStack(url, schema, { applicationName: 'rel-c3f-writer' });
    const history = new History();
    await new Writer(stack.store, history).run({ events: 300, streams: 12 });
    // Slow handlers (2 ms) so that both processes work on the same batches at the same time.
    const children = [1, 2].map(() =>
      SubscriberProcess.start(bundle, {
        url,
        schema,
        subscriber: 'p',
        batchSize: 25,
        handlerDelayMs: 2,
      }),
    );
    await waitForAllFated(admin, schema, 'p', 60_000);
    await Promise.all(children.map((c) => c.stop()));
    const result = await checkRun(history, schema);
    recordFigures(
      figuresOf('C3', 'postgres', result, {
        faults: 1,
        notes: 'two forked processors of one subscription over 300 events (race)',
      }),
    );
    expect(result.anomalies, describeResult(result)).toEqual([]);
    await stack.close();
  });
});

describe('C4: the database crashes (pg_ctl stop -m immediate) during appends', () => {
  let cluster: ThrowawayCluster;
  beforeAll(async () => {
    cluster = await ThrowawayCluster.create();
    await cluster.start();
  });
  afterAll(async () => {
    await cluster?.destroy();
  });

  it('keeps every acknowledged append, none half-written, stream version == event count', async () => {
    const sql = connect(cluster.url(), { max: 2, applicationName: 'rel-c4-setup' });
    const schema = await freshSchema(sql, 'c4');
    await sql.end({ timeout: 5 });
    const history = new History();
    const crashes = 2;
    for (let crash = 0; crash < crashes; crash++) {
      const stack = pgStack(cluster.url(), schema, { applicationName: 'rel-c4-writer', max: 6 });
      const writer = new Writer(stack.store, history, `c${crash}-s`);
      let stop = false;
      // 6 appenders, 3 events per append: a torn batch would show as a version gap.
      const writing = writer
        .run({ events: 100_000, streams: 12, concurrency: 6, batch: 3, stop: () => stop })
        .catch(() => {});
      await sleep(400 + crash * 200);
      await cluster.crash();
      stop = true;
      // Appends caught by the crash end with an error (unknown outcome); ending the clients
      // rejects whatever is still queued, so nothing can commit after the restart.
      await Promise.race([writing, sleep(2_000)]);
      await stack.close(0).catch(() => {});
      await writing;
      await cluster.start();
    }
    const check = connect(cluster.url(), { max: 2, applicationName: 'rel-c4-check' });
    const stored = await loadStored(check, schema);
    const result = history.check({ stored, subscribers: [] });
    const versions = await check.unsafe<{ aggregate_id: string; max: number; n: number }[]>(
      `SELECT aggregate_id, max(version)::int AS max, count(*)::int AS n FROM "${schema}".events GROUP BY aggregate_id`,
    );
    await check.end({ timeout: 5 });
    recordFigures(
      figuresOf('C4', 'postgres', result, {
        faults: crashes,
        notes: `${result.counts.appendsOk} acknowledged appends of 3 events, ${result.counts.appendsUnknown} in flight at ${crashes} immediate stops (${result.counts.unknownCommitted} of their events committed)`,
      }),
    );
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.counts.appendsOk).toBeGreaterThan(20);
    for (const v of versions) expect(v.max, v.aggregate_id).toBe(v.n);
    // Batches are atomic: each stream holds a multiple of 3 events.
    for (const v of versions) expect(v.n % 3, v.aggregate_id).toBe(0);
  });
});

describe('C5: SIGTERM during a batch', () => {
  it('drains within the timeout, flushes the checkpoint, and a restart resumes exactly', async () => {
    const schema = await freshSchema(admin, 'c5');
    const stack = pgStack(url, schema, { applicationName: 'rel-c5-writer' });
    const history = new History();
    await new Writer(stack.store, history).run({ events: 300, streams: 6 });
    const child = SubscriberProcess.start(bundle, {
      url,
      schema,
      subscriber: 'p',
      batchSize: 50,
      handlerDelayMs: 3,
    });
    await child.waitFor('ready');
    await sleep(250);
    const signalled = Date.now();
    child.kill('SIGTERM');
    const stopped = await child.waitFor('stopped', { timeoutMs: 15_000 });
    const exit = await child.exited;
    const drainMs = Date.now() - signalled;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stopped.state).toBe('stopped');
    const state = await atomicState(admin, schema, 'p');
    expect(state).toMatchObject({ missing: [], ahead: [], doubled: [] });
    // The flushed checkpoint is the child's own, mid-way: it stopped before the end.
    expect(state.checkpoint).toBe(stopped.checkpoint);
    const stored = await storedPositions(admin, schema);
    expect(state.checkpoint).not.toBe(stored.at(-1)?.position);
    await drain(schema);
    const result = await checkRun(history, schema);
    recordFigures(
      figuresOf('C5', 'postgres', result, {
        faults: 1,
        notes: `SIGTERM 250 ms into a 300-event catch-up; drained and exited in ${drainMs} ms`,
      }),
    );
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(drainMs).toBeLessThan(10_000);
    await stack.close();
  });

  it('also on an empty (live) subscription', async () => {
    const schema = await freshSchema(admin, 'c5b');
    const child = SubscriberProcess.start(bundle, { url, schema, subscriber: 'p' });
    await child.waitFor('ready');
    child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(await checkpointOf(admin, schema, 'p')).toBeNull();
    // Nothing stored, nothing written.
    await expect(
      admin.unsafe(`SELECT count(*)::int AS n FROM "${schema}".rel_applied`),
    ).resolves.toEqual([{ n: 0 }]);
  });
});
