/**
 * F. Redrive and replay, on the in-memory backends with the real SubscriptionManager and the
 * `@es/dlq` redrive engine.
 */
import {
  type DLQEntry,
  type DLQRepository,
  InMemoryDLQRepository,
  type ListDLQEntriesOptions,
  redrive,
} from '@es/dlq';
import { KeyError } from '@es/resilience';
import { describe, expect, it } from 'vitest';
import { describeResult } from '../../src/history/checker.js';
import { History } from '../../src/history/history.js';
import { figuresOf, recordFigures } from '../../src/support/figures.js';
import {
  dlqFates,
  type FailurePolicy,
  memoryStack,
  memoryStored,
  recordingProjection,
} from '../../src/support/memory.js';
import { Writer } from '../../src/support/workload.js';

const noDelay = { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 };

/** A policy that fails the events in `broken` (by stream:version) while `fixed` is false. */
function switchable(broken: Set<string>) {
  const state = { fixed: false };
  const policy: FailurePolicy = (event) =>
    !state.fixed && broken.has(`${event.aggregateId}:${event.aggregateVersion}`)
      ? new KeyError(`cannot apply ${event.aggregateId}:${event.aggregateVersion}`)
      : undefined;
  return { state, policy };
}

/** The versions of `stream` in the order they were applied (main flow and redrive together). */
function appliedOrder(history: History, stream: string): number[] {
  return history
    .fatesOf('p')
    .filter((f) => f.fate === 'applied' && f.streamId === stream)
    .sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0))
    .map((f) => f.version as number);
}

describe('F1: fix the handler, redrive the stream', () => {
  it('applies the head then the parked letters in order, unblocks S; an event arriving during the redrive waits behind it', async () => {
    const stack = memoryStack();
    const history = new History();
    const writer = new Writer(stack.store, history);
    for (let v = 1; v <= 5; v++) {
      await writer.appendTo('S', 1);
      await writer.appendTo('T', 1);
    }
    const { state, policy } = switchable(new Set(['S:2']));
    const manager = stack.manager();
    const subscription = manager.subscribe(recordingProjection('p', history, { policy }), {
      errorHandling: { retry: noDelay },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(await stack.dlq.getBlockedStreams('p')).toEqual(['S']);
    expect(appliedOrder(history, 'S')).toEqual([1]);

    state.fixed = true;
    let appendedDuringRedrive = false;
    const report = await subscription.redrive({
      streamId: 'S',
      onProgress: () => {
        if (appendedDuringRedrive) return;
        appendedDuringRedrive = true;
        void writer.appendTo('S', 1); // S v6 arrives while the redrive runs
      },
    });
    // v2–v5, and v6 too when the run picked it up behind them.
    expect(report.selected).toBeGreaterThanOrEqual(4);
    expect(report).toMatchObject({ succeeded: report.selected, failed: 0 });
    await subscription.whenIdle();
    // S v6 was parked behind the redrive (or handled after it), never before v2–v5.
    if ((await stack.dlq.getBlockedStreams('p')).includes('S')) {
      await subscription.redrive({ streamId: 'S' });
    }
    await writer.appendTo('S', 1); // S v7: the stream flows normally again
    await subscription.whenIdle();
    await manager.stop();
    expect(appliedOrder(history, 'S')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await stack.dlq.getBlockedStreams('p')).toEqual([]);
    const redriven = history
      .fatesOf('p')
      .filter((f) => f.redrive)
      .map((f) => f.version);
    expect(redriven.slice(0, 4)).toEqual([2, 3, 4, 5]);
    history.fates(await dlqFates(stack.dlq, 'p'));
    const result = history.check({
      stored: await memoryStored(stack.store),
      subscribers: [{ name: 'p', perStreamParking: true }],
    });
    expect(result.anomalies, describeResult(result)).toEqual([]);
    recordFigures(figuresOf('F1', 'memory', result, { faults: 1 }));
  });
});

describe('F2: redrive while the live subscription keeps appending to S', () => {
  it('no event of S is handled out of order or twice', async () => {
    const stack = memoryStack();
    const history = new History();
    const writer = new Writer(stack.store, history);
    for (let v = 1; v <= 10; v++) await writer.appendTo('S', 1);
    const { state, policy } = switchable(new Set(['S:3']));
    const manager = stack.manager({ pollIntervalMs: 1 });
    const subscription = manager.subscribe(
      recordingProjection('p', history, {
        policy,
        // A slow handler so that appends and the redrive interleave.
        before: () => new Promise((resolve) => setImmediate(resolve)),
      }),
      { errorHandling: { retry: noDelay } },
    );
    await manager.start();
    await subscription.whenIdle();
    state.fixed = true;
    let appending = true;
    const appender = (async () => {
      while (appending) {
        await writer.appendTo('S', 1);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    const reports = [];
    for (let round = 0; round < 5; round++)
      reports.push(await subscription.redrive({ streamId: 'S' }));
    appending = false;
    await appender;
    for (
      let round = 0;
      round < 20 && (await stack.dlq.getBlockedStreams('p')).length > 0;
      round++
    ) {
      await subscription.whenIdle();
      await subscription.redrive({ streamId: 'S' });
    }
    await subscription.whenIdle();
    await manager.stop();
    const stored = await memoryStored(stack.store);
    const order = appliedOrder(history, 'S');
    expect(order).toEqual(stored.map((s) => s.version));
    history.fates(await dlqFates(stack.dlq, 'p'));
    const result = history.check({ stored, subscribers: [{ name: 'p', perStreamParking: true }] });
    expect(result.anomalies, describeResult(result)).toEqual([]);
    recordFigures(
      figuresOf('F2', 'memory', result, {
        faults: 1,
        notes: `${reports.length} redrives of S while ${stored.length - 10} more events of S were appended`,
      }),
    );
  });
});

describe('F3: the redrive fails again halfway', () => {
  it('stops at the failing letter; earlier ones resolved; its attempts incremented; later ones stay parked', async () => {
    const stack = memoryStack();
    const history = new History();
    const writer = new Writer(stack.store, history);
    for (let v = 1; v <= 5; v++) await writer.appendTo('S', 1);
    const broken = new Set(['S:2', 'S:4']);
    const policy: FailurePolicy = (event) =>
      broken.has(`${event.aggregateId}:${event.aggregateVersion}`)
        ? new KeyError('still broken')
        : undefined;
    const manager = stack.manager();
    const subscription = manager.subscribe(recordingProjection('p', history, { policy }), {
      errorHandling: { retry: noDelay },
    });
    await manager.start();
    await subscription.whenIdle();
    broken.delete('S:2'); // half fixed: v4 still fails
    const report = await subscription.redrive();
    await manager.stop();
    expect(report).toMatchObject({ selected: 4, succeeded: 2, failed: 1, skippedBehindFailure: 1 });
    const entries = await stack.dlq.listEntries({
      projectionName: 'p',
      statuses: ['failed', 'parked', 'resolved'],
    });
    const byVersion = new Map(entries.map((e) => [e.streamPosition, e]));
    expect(byVersion.get(2)?.status).toBe('resolved');
    expect(byVersion.get(3)?.status).toBe('resolved');
    expect(byVersion.get(4)).toMatchObject({ status: 'failed', retryCount: 1 });
    expect(byVersion.get(5)?.status).toBe('parked');
    expect(appliedOrder(history, 'S')).toEqual([1, 2, 3]);
  });
});

/** A DLQ repository wrapper that records the `limit` of every `listEntries` call. */
function observed(inner: DLQRepository): DLQRepository & { limits: number[] } {
  const limits: number[] = [];
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'limits') return limits;
      const value = Reflect.get(target, property, receiver);
      if (property === 'listEntries') {
        return (options?: ListDLQEntriesOptions) => {
          limits.push(options?.limit ?? 100);
          return target.listEntries(options);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as DLQRepository & { limits: number[] };
}

describe('F4: bulk redrive of 100 000 letters, page 1 000', () => {
  it('reads page by page (bounded memory), is resumable after an abort, applies each letter once', async () => {
    const dlq = new InMemoryDLQRepository();
    const total = 100_000;
    for (let i = 0; i < total; i++) {
      await dlq.addFailedEvent({
        eventId: `e${i}`,
        projectionName: 'bulk',
        eventType: 'RelEvent',
        eventData: { n: i },
        error: 'down',
        streamId: `s${i % 10_000}`,
        streamPosition: Math.floor(i / 10_000) + 1,
      });
    }
    const repo = observed(dlq);
    const applied = new Map<string, number>();
    const controller = new AbortController();
    const process = (entry: DLQEntry) => {
      applied.set(entry.eventId, (applied.get(entry.eventId) ?? 0) + 1);
      if (applied.size === 30_000) controller.abort(new Error('operator stopped the redrive'));
    };
    await expect(
      redrive({
        dlqRepo: repo,
        projectionName: 'bulk',
        process,
        pageSize: 1_000,
        signal: controller.signal,
      }),
    ).rejects.toThrow('operator stopped the redrive');
    const first = applied.size;
    const resumed = await redrive({
      dlqRepo: repo,
      projectionName: 'bulk',
      process,
      pageSize: 1_000,
    });
    expect(first).toBe(30_000);
    expect(resumed.succeeded).toBe(total - first);
    expect(applied.size).toBe(total);
    const doubled = [...applied.values()].filter((n) => n > 1).length;
    expect(doubled).toBe(0);
    expect(Math.max(...repo.limits)).toBeLessThanOrEqual(1_000);
    expect((await dlq.getFailureStats()).totalFailed).toBe(0);
    recordFigures({
      id: 'F4',
      backend: 'memory',
      events: total,
      faults: 1,
      lost: 0,
      duplicated: doubled,
      skipped: 0,
      notes: `aborted after 30 000 letters, resumed; ${repo.limits.length} listEntries calls, largest page ${Math.max(...repo.limits)}; no rate limit option exists (not applicable)`,
    });
  });
});

describe('F5: redrive never moves the main checkpoint; two concurrent redrives', () => {
  it('the checkpoint is unchanged and each letter is applied once', async () => {
    const stack = memoryStack();
    const history = new History();
    const writer = new Writer(stack.store, history);
    await writer.run({ events: 400, streams: 40 });
    const broken = new Set<string>();
    for (let s = 0; s < 40; s += 2) broken.add(`s${s}:3`);
    const { state, policy } = switchable(broken);
    const manager = stack.manager();
    const subscription = manager.subscribe(
      recordingProjection('p', history, {
        policy,
        before: (_e, context) =>
          context.redrive ? new Promise((resolve) => setImmediate(resolve)) : undefined,
      }),
      { errorHandling: { retry: noDelay } },
    );
    await manager.start();
    await subscription.whenIdle();
    const checkpoint = await stack.checkpoints.getPosition('p');
    state.fixed = true;
    const [a, b] = await Promise.all([subscription.redrive(), subscription.redrive()]);
    await subscription.whenIdle();
    expect(await stack.checkpoints.getPosition('p')).toBe(checkpoint);
    await manager.stop();
    expect((a?.succeeded ?? 0) + (b?.succeeded ?? 0)).toBe(20 * 8);
    history.fates(await dlqFates(stack.dlq, 'p'));
    const result = history.check({
      stored: await memoryStored(stack.store),
      subscribers: [{ name: 'p', perStreamParking: true }],
    });
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(result.counts.redriven).toBe(160);
    recordFigures(
      figuresOf('F5', 'memory', result, {
        faults: 20,
        notes: `two concurrent redrives: ${a?.succeeded}/${b?.succeeded} succeeded, ${(a?.skippedUnavailable ?? 0) + (b?.skippedUnavailable ?? 0)} skipped as claimed by the other`,
      }),
    );
  });
});

describe('F7: rebuild a subscription from the beginning after dead letters', () => {
  it('re-applies the events that came before the dead letter in its stream (they must not be parked)', async () => {
    const stack = memoryStack();
    const history = new History();
    const writer = new Writer(stack.store, history);
    for (let v = 1; v <= 4; v++) await writer.appendTo('S', 1);
    const broken = new Set(['S:3']);
    const policy: FailurePolicy = (event) =>
      broken.has(`${event.aggregateId}:${event.aggregateVersion}`)
        ? new KeyError('broken')
        : undefined;
    const first = stack.manager();
    const sub1 = first.subscribe(recordingProjection('p', history, { policy }), {
      errorHandling: { retry: noDelay },
    });
    await first.start();
    await sub1.whenIdle();
    await first.stop();
    // A rebuild: a fresh read model, the same subscription, from the beginning.
    const rebuilt = new History();
    const second = stack.manager();
    const sub2 = second.subscribe(recordingProjection('p', rebuilt, { policy }), {
      startFrom: 'beginning',
      errorHandling: { retry: noDelay },
    });
    await second.start();
    await sub2.whenIdle();
    await second.stop();
    const entries = await stack.dlq.listEntries({ projectionName: 'p' });
    recordFigures({
      id: 'F7',
      backend: 'memory',
      events: 4,
      faults: 1,
      lost: 0,
      duplicated: 0,
      skipped: 2 - rebuilt.fatesOf('p').length,
      notes: `rebuild (startFrom 'beginning') with unresolved DLQ entries: applied ${JSON.stringify(rebuilt.fatesOf('p').map((f) => f.version))}, DLQ ${JSON.stringify(entries.map((e) => `${e.streamPosition}:${e.status}`))}`,
    });
    // S v1 and v2 precede the dead letter: a rebuilt read model must have them.
    expect(
      rebuilt.fatesOf('p').map((f) => f.version),
      `events before the dead letter were parked during the rebuild instead of applied; DLQ: ${JSON.stringify(entries.map((e) => `${e.streamPosition}:${e.status}`))}`,
    ).toEqual([1, 2]);
    expect(entries.map((e) => `${e.streamPosition}:${e.status}`)).toEqual(['3:failed', '4:parked']);
  });
});
