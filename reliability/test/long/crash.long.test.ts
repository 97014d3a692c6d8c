/**
 * The long tier of C (ES_RELIABILITY=long): 100 SIGKILLs over 50 000 events written
 * concurrently, each named crash point × 20, and B4 at full size (16 writers × 1 000 appends,
 * 0–50 ms inside the transaction, 10 % rollbacks, 3 live + 1 catch-up subscriber).
 */
import { PostgresEventStore } from '@es/store-postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CrashPoint } from '../../src/faults/crash-points.js';
import { SubscriberProcess } from '../../src/faults/subscriber-process.js';
import { describeResult } from '../../src/history/checker.js';
import { History } from '../../src/history/history.js';
import { REL_AGGREGATE_TYPE, relEvent } from '../../src/support/events.js';
import { figuresOf, recordFigures } from '../../src/support/figures.js';
import {
  atomicState,
  checkpointOf,
  fatedCount,
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
import { seededRandom, seedFromEnv, sleep, Writer, waitUntil } from '../../src/support/workload.js';

const url = inject('relDatabaseUrl');
const bundle = inject('subscriberBundle');
let admin: ReturnType<typeof connect>;

beforeAll(() => {
  admin = connect(url, { max: 4, applicationName: 'rel-long-admin' });
});
afterAll(async () => {
  await admin.end({ timeout: 5 });
});

async function drain(schema: string): Promise<void> {
  const child = SubscriberProcess.start(bundle, { url, schema, subscriber: 'p', batchSize: 100 });
  await child.waitFor('ready');
  await waitForAllFated(admin, schema, 'p', 600_000);
  expect(await child.stop(), child.stderr).toEqual({ code: 0, signal: null });
}

describe('C1 (long): 100 SIGKILLs over 50 000 events', () => {
  it('every event projected exactly once; checkpoint == last event', async () => {
    const seed = seedFromEnv();
    const random = seededRandom(seed);
    const started = Date.now();
    const schema = await freshSchema(admin, 'c1l');
    const stack = pgStack(url, schema, { applicationName: 'rel-c1l-writer', max: 6 });
    const history = new History();
    const total = 50_000;
    const writing = new Writer(stack.store, history).run({
      events: total,
      streams: 500,
      concurrency: 5,
      batch: 5,
      behaviour: (n) => (n % 997 === 0 ? 'poison' : 'ok'),
      pauseMs: 2,
    });
    let killed = 0;
    let tornStates = 0;
    for (let k = 0; k < 100; k++) {
      const child = SubscriberProcess.start(bundle, {
        url,
        schema,
        subscriber: 'p',
        batchSize: 50,
      });
      await child.waitFor('ready');
      await sleep(Math.floor(random() * 200));
      child.kill('SIGKILL');
      if ((await child.exited).signal === 'SIGKILL') killed++;
      await waitForBackendsGone(admin, 'rel-child-p');
      const state = await atomicState(admin, schema, 'p');
      if (state.missing.length + state.ahead.length + state.doubled.length > 0) tornStates++;
    }
    await writing;
    await drain(schema);
    history.fates(await loadFates(admin, schema, 'p'));
    const checked = history.check({
      stored: await loadStored(admin, schema),
      subscribers: [{ name: 'p', perStreamParking: true }],
    });
    const positions = await storedPositions(admin, schema);
    recordFigures(
      figuresOf('C1', 'postgres', checked, {
        faults: killed,
        durationMs: Date.now() - started,
        notes: `${killed} SIGKILLs at 0–200 ms after start while 5 appenders wrote ${total} events (batches of 5, 500 streams, ~0.1 % poison); torn states seen after a kill: ${tornStates}; seed ${seed}`,
      }),
    );
    expect(checked.anomalies, `seed ${seed}\n${describeResult(checked)}`).toEqual([]);
    expect(tornStates).toBe(0);
    expect(killed).toBe(100);
    expect(await checkpointOf(admin, schema, 'p')).toBe(positions.at(-1)?.position);
    await stack.close();
  });
});

describe('C2 (long): each named crash point × 20', () => {
  const points: CrashPoint[] = [
    'after-handler',
    'after-dlq-insert',
    'after-park',
    'before-commit',
    'after-commit',
  ];
  it('all-or-nothing at every crash, exactly once after the restart', async () => {
    const started = Date.now();
    let crashes = 0;
    let events = 0;
    let anomalies = 0;
    for (const point of points) {
      for (let r = 1; r <= 20; r++) {
        const schema = await freshSchema(admin, 'c2l');
        const stack = pgStack(url, schema, { applicationName: 'rel-c2l-writer' });
        const history = new History();
        await new Writer(stack.store, history).run({
          events: 120,
          streams: 10,
          behaviour: (_n, stream, version) =>
            version === 3 && Number(stream.slice(1)) % 3 === 0 ? 'poison' : 'ok',
        });
        // Crash on the r-th pass (1…20), so that every window is hit at a different place.
        const child = SubscriberProcess.start(bundle, {
          url,
          schema,
          subscriber: 'p',
          batchSize: 4,
          crashAt: point,
          crashOn:
            1 + ((r - 1) % (point === 'after-dlq-insert' ? 4 : point === 'after-park' ? 12 : 20)),
        });
        const exit = await Promise.race([
          child.exited,
          child.waitFor('idle', { timeoutMs: 60_000 }).then(() => 'idle' as const),
        ]);
        if (exit === 'idle') await child.stop();
        expect(exit, `${point} #${r}`).toEqual({ code: null, signal: 'SIGKILL' });
        crashes++;
        await waitForBackendsGone(admin, 'rel-child-p');
        expect(await atomicState(admin, schema, 'p'), `${point} #${r}`).toMatchObject({
          missing: [],
          ahead: [],
          doubled: [],
        });
        await drain(schema);
        history.fates(await loadFates(admin, schema, 'p'));
        const result = history.check({
          stored: await loadStored(admin, schema),
          subscribers: [{ name: 'p', perStreamParking: true }],
        });
        events += result.counts.events;
        anomalies += result.counts.anomalies;
        expect(result.anomalies, `${point} #${r}\n${describeResult(result)}`).toEqual([]);
        await stack.close();
      }
    }
    recordFigures({
      id: 'C2',
      backend: 'postgres',
      events,
      faults: crashes,
      lost: 0,
      duplicated: 0,
      skipped: 0,
      durationMs: Date.now() - started,
      notes: `${points.length} crash points × 20 crashes (${anomalies} anomalies)`,
    });
  });
});

class RollbackRequested extends Error {}

describe('B4 (long): 16 writers × 1 000 appends', () => {
  it('random sizes, 0–50 ms inside the transaction, 10 % rollbacks; 3 live + 1 catch-up subscriber agree', async () => {
    const seed = seedFromEnv();
    const random = seededRandom(seed);
    const started = Date.now();
    const schema = await freshSchema(admin, 'b4l');
    const stack = pgStack(url, schema, { applicationName: 'rel-b4l', max: 4, txMax: 4 });
    const writers = connect(url, { max: 16, applicationName: 'rel-b4l-writers' });
    const manager = stack.manager({ pollIntervalMs: 10 });
    const names = ['live1', 'live2', 'live3'];
    for (const name of names)
      manager.subscribe(appliedProjection({ name, schema }), { batchSize: 200 });
    await manager.start();
    const history = new History();
    let rollbacks = 0;
    const writing = Array.from({ length: 16 }, (_, w) =>
      (async () => {
        for (let i = 0; i < 1_000; i++) {
          const stream = `w${w}-s${i % 8}`;
          const size = 1 + Math.floor(random() * 3);
          const rollback = random() < 0.1;
          const delay = Math.floor(random() * 50);
          const existing = await stack.store.getEvents(stream, REL_AGGREGATE_TYPE);
          const events = Array.from({ length: size }, (_, k) =>
            relEvent(stream, existing.version + k + 1, w * 10_000 + i, {
              pad: 'x'.repeat(Math.floor(random() * 4_000)),
            }),
          );
          const handle = history.invoke(
            stream,
            events.map((e) => e.eventId),
          );
          try {
            await writers.begin(async (tx) => {
              await new PostgresEventStore({ connection: tx, schema }).appendEvents(
                stream,
                REL_AGGREGATE_TYPE,
                events,
                existing.version,
              );
              await sleep(delay);
              if (rollback) throw new RollbackRequested();
            });
            handle.ok();
          } catch (error) {
            if (error instanceof RollbackRequested) {
              rollbacks++;
              handle.fail(error);
            } else handle.unknown(error);
          }
          if (w === 0 && i === 500) {
            manager.subscribe(appliedProjection({ name: 'catchup', schema }), {
              batchSize: 200,
              startFrom: 'beginning',
            });
          }
        }
      })(),
    );
    await Promise.all(writing);
    const stored = await loadStored(admin, schema);
    for (const name of [...names, 'catchup']) {
      await waitUntil(
        async () => (await fatedCount(admin, schema, name)) >= stored.length,
        600_000,
        `${name} to catch up`,
        200,
      );
    }
    await manager.stop();
    for (const name of [...names, 'catchup']) history.fates(await loadFates(admin, schema, name));
    const result = history.check({ stored, subscribers: [...names, 'catchup'] });
    recordFigures(
      figuresOf('B4', 'postgres', result, {
        faults: rollbacks,
        durationMs: Date.now() - started,
        notes: `16 writers × 1 000 appends of 1–3 events (0–4 kB), 0–50 ms sleeps in the transaction, ${rollbacks} rollbacks; 3 live + 1 catch-up subscriber (figures summed over the 4); seed ${seed}`,
      }),
    );
    expect(result.anomalies, `seed ${seed}\n${describeResult(result)}`).toEqual([]);
    await writers.end({ timeout: 5 });
    await stack.close();
  });
});
