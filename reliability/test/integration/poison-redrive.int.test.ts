/**
 * E1 and F on PostgreSQL, with the unit of work: a poison event among 1 000 streams, redrive
 * after a fix (in order, never moving the checkpoint, two at once), and kill -9 during a redrive.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CrashPoint } from '../../src/faults/crash-points.js';
import { SubscriberProcess } from '../../src/faults/subscriber-process.js';
import { describeResult } from '../../src/history/checker.js';
import { History } from '../../src/history/history.js';
import { figuresOf, recordFigures } from '../../src/support/figures.js';
import { checkpointOf, waitForAllFated, waitForBackendsGone } from '../../src/support/pg-checks.js';
import {
  appliedProjection,
  connect,
  freshSchema,
  loadFates,
  loadStored,
  pgStack,
} from '../../src/support/postgres.js';
import { Writer } from '../../src/support/workload.js';

const url = inject('relDatabaseUrl');
const bundle = inject('subscriberBundle');
let admin: ReturnType<typeof connect>;

beforeAll(() => {
  admin = connect(url, { max: 3, applicationName: 'rel-pr-admin' });
});
afterAll(async () => {
  await admin.end({ timeout: 5 });
});

async function check(history: History, schema: string) {
  history.fates(await loadFates(admin, schema, 'p'));
  return history.check({
    stored: await loadStored(admin, schema),
    subscribers: [{ name: 'p', perStreamParking: true }],
  });
}

describe('E1 (PostgreSQL): one poison event among 1 000 streams', () => {
  it('parks its stream behind it, processes the 999 others, lag returns to 0', async () => {
    const schema = await freshSchema(admin, 'e1');
    const stack = pgStack(url, schema, { applicationName: 'rel-e1' });
    const history = new History();
    await new Writer(stack.store, history).run({
      events: 3_000,
      streams: 1_000,
      concurrency: 4,
      batch: 1,
      behaviour: (_n, stream, version) => (stream === 's500' && version === 2 ? 'poison' : 'ok'),
    });
    const manager = stack.manager();
    const subscription = manager.subscribe(appliedProjection({ name: 'p', schema }), {
      batchSize: 250,
      errorHandling: { retry: { maxRetries: 1, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 } },
    });
    await manager.start();
    await waitForAllFated(admin, schema, 'p', 60_000);
    await subscription.whenIdle();
    const health = await subscription.health();
    await manager.stop();
    const result = await check(history, schema);
    recordFigures(figuresOf('E1', 'postgres', result, { faults: 1 }));
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.counts).toMatchObject({ applied: 2_998, deadLettered: 1, parked: 1 });
    expect(health.lag).toMatchObject({ events: 0 });
    expect(await stack.dlq.getBlockedStreams('p')).toEqual(['s500']);
    await stack.close();
  });
});

describe('F (PostgreSQL): redrive after a fix', () => {
  it('F1/F3/F5: in order, failing again halfway holds the rest, never moves the checkpoint, two redrives at once apply each letter once', async () => {
    const schema = await freshSchema(admin, 'f');
    const stack = pgStack(url, schema, { applicationName: 'rel-f', txMax: 4 });
    const history = new History();
    const writer = new Writer(stack.store, history);
    // 20 streams × 6; version 2 of every even stream is poison (10 dead letters, 40 parked).
    await writer.run({
      events: 120,
      streams: 20,
      behaviour: (_n, stream, version) =>
        Number(stream.slice(1)) % 2 === 0 && version === 2 ? 'poison' : 'ok',
    });
    const state = { fixed: false, stillBroken: new Set<string>(['s4']) };
    const manager = stack.manager();
    const subscription = manager.subscribe(
      {
        ...appliedProjection({ name: 'p', schema, fixed: true }),
        // Poison until fixed; after the fix, stream s4 still fails at version 4 (F3).
        async handle(event, context) {
          const poison = (event as { behaviour?: string }).behaviour === 'poison';
          if (poison && !state.fixed) throw new Error(`poison ${event.aggregateId}`);
          if (
            state.fixed &&
            state.stillBroken.has(event.aggregateId) &&
            event.aggregateVersion === 4
          ) {
            throw new Error('still broken');
          }
          await appliedProjection({ name: 'p', schema, fixed: true }).handle(event, context);
        },
      },
      { errorHandling: { retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 } } },
    );
    await manager.start();
    await waitForAllFated(admin, schema, 'p', 30_000);
    await subscription.whenIdle();
    const checkpoint = await checkpointOf(admin, schema, 'p');
    state.fixed = true;
    const [a, b] = await Promise.all([subscription.redrive(), subscription.redrive()]);
    expect(await checkpointOf(admin, schema, 'p')).toBe(checkpoint);
    // s4: v2, v3 redriven, v4 failed again (retryCount 1), v5–v6 still parked.
    const s4 = await stack.dlq.listEntries({
      projectionName: 'p',
      streamId: 's4',
      statuses: ['failed', 'parked', 'resolved', 'retrying'],
    });
    expect(s4.map((e) => `${e.streamPosition}:${e.status}:${e.retryCount}`)).toEqual([
      '2:resolved:0',
      '3:resolved:0',
      '4:failed:1',
      '5:parked:0',
      '6:parked:0',
    ]);
    expect((a?.succeeded ?? 0) + (b?.succeeded ?? 0)).toBe(50 - 3);
    state.stillBroken.clear();
    const last = await subscription.redrive();
    expect(last.succeeded).toBe(3);
    await manager.stop();
    const result = await check(history, schema);
    recordFigures(
      figuresOf('F1', 'postgres', result, {
        faults: 10,
        notes: `10 dead letters + 40 parked; two concurrent redrives (${a?.succeeded}/${b?.succeeded} succeeded, ${(a?.skippedUnavailable ?? 0) + (b?.skippedUnavailable ?? 0)} skipped as claimed), s4 fails again at v4 (F3), a third redrive finishes; checkpoint unchanged (F5)`,
      }),
    );
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.counts.redriven).toBe(50);
    await stack.close();
  });
});

describe('F6: kill -9 during a redrive', () => {
  const cases: [CrashPoint, string][] = [
    ['after-redrive-handler', 'inside the handler’s transaction (before COMMIT)'],
    [
      'after-commit',
      'after the handler’s transaction committed, before the entry is marked resolved',
    ],
  ];
  for (const [point, where] of cases) {
    it(`crash ${where}: the letter is taken over after the crash and its effect happens exactly once`, async () => {
      const schema = await freshSchema(admin, 'f6');
      const stack = pgStack(url, schema, { applicationName: 'rel-f6-writer' });
      const history = new History();
      const writer = new Writer(stack.store, history);
      await writer.run({
        events: 12,
        streams: 3,
        behaviour: (_n, stream, version) => (stream === 's1' && version === 2 ? 'poison' : 'ok'),
      });
      const first = SubscriberProcess.start(bundle, {
        url,
        schema,
        subscriber: 'p',
        maxRetries: 0,
      });
      await waitForAllFated(admin, schema, 'p', 30_000);
      await first.stop();
      // The fix is deployed; the redrive is killed in the middle of its first letter…
      const crashing = SubscriberProcess.start(bundle, {
        url,
        schema,
        subscriber: 'p',
        mode: 'redrive',
        fixed: true,
        crashAt: point,
        crashOn: 1,
      });
      expect(await crashing.exited, crashing.stderr).toEqual({ code: null, signal: 'SIGKILL' });
      await waitForBackendsGone(admin, 'rel-child-p');
      // …and run again (taking over the letter left in `retrying`).
      const again = SubscriberProcess.start(bundle, {
        url,
        schema,
        subscriber: 'p',
        mode: 'redrive',
        fixed: true,
      });
      const redriven = await again.waitFor('redriven', { timeoutMs: 30_000 });
      await again.exited;
      expect(redriven.report).toMatchObject({ failed: 0 });
      expect(await stack.dlq.getBlockedStreams('p')).toEqual([]);
      const result = await check(history, schema);
      recordFigures(figuresOf('F6', 'postgres', result, { faults: 1, notes: `SIGKILL ${where}` }));
      expect(result.anomalies, describeResult(result)).toEqual([]);
      expect(result.counts.redriven).toBe(3);
      await stack.close();
    });
  }
});
