import { KeyError } from '@es/resilience';
import { afterEach, describe, expect, it } from 'vitest';
import { SubscriptionStateError } from '../../src/errors.js';
import type { SubscriptionManager } from '../../src/manager/subscription-manager.js';
import { SubscriptionState } from '../../src/subscription-state.js';
import { createHarness, deferred, eventually, recordingProjection } from '../support/harness.js';

let running: SubscriptionManager[] = [];
afterEach(async () => {
  await Promise.all(running.map((manager) => manager.stop()));
  running = [];
});

function harness(options: Parameters<typeof createHarness>[0] = {}) {
  const h = createHarness(options);
  running.push(h.manager);
  return h;
}

/** A projection that fails for the events whose tag is in `poisoned` (mutable: "deploy a fix"). */
function poisonable(name: string, poisoned: Set<string>) {
  return recordingProjection(name, (event) => {
    const tag = (event as unknown as { tag?: string }).tag;
    if (tag !== undefined && poisoned.has(tag)) throw new KeyError(`poison ${tag}`);
  });
}

/** Streams a and b interleaved: a1(poison) b1 a2 b2 a3. */
async function interleaved(append: ReturnType<typeof createHarness>['append']) {
  await append.ticks('a', 1, 'a1');
  await append.ticks('b', 1, 'b1');
  await append.ticks('a', 1, 'a2');
  await append.ticks('b', 1, 'b2');
  await append.ticks('a', 1, 'a3');
}

describe('per-stream DLQ ordering', () => {
  it('parks the later events of a dead-lettered stream while other streams flow', async () => {
    const { append, manager, dlq, checkpoints } = harness();
    await interleaved(append);
    const projection = poisonable('p', new Set(['a1']));
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();

    expect(projection.applied.map((call) => call.stream)).toEqual(['b', 'b']);
    // a2 and a3 were never handed to the handler.
    expect(
      projection.calls.filter((call) => call.stream === 'a').map((call) => call.version),
    ).toEqual([1]);
    const [head] = await dlq.getFailedEvents({ projectionName: 'p' });
    expect(head).toMatchObject({ streamId: 'a', streamPosition: 1, status: 'failed' });
    const parked = await dlq.getFailedEvents({ projectionName: 'p', status: 'parked' });
    expect(parked.map((entry) => entry.streamPosition).sort()).toEqual([2, 3]);
    expect(parked[0]?.errorMessage).toContain(`unresolved DLQ entry ${head?.id}`);
    expect(subscription.counts).toMatchObject({ processed: 2, deadLettered: 1, parked: 2 });
    // Every event has its fate: the checkpoint is at the head.
    expect(await checkpoints.getPosition('p')).toBe(5);
    const health = await subscription.health();
    expect(health.dlq).toMatchObject({ depth: 3, blockedStreams: 1 });
  });

  it("with dlqOrdering 'none' the later events of the stream are handled", async () => {
    const { append, manager, dlq } = harness();
    await interleaved(append);
    const projection = poisonable('p', new Set(['a1']));
    const subscription = manager.subscribe(projection, { dlqOrdering: 'none' });
    await manager.start();
    await subscription.whenIdle();
    expect(projection.applied.map((call) => `${call.stream}${call.version}`)).toEqual([
      'b1',
      'a2',
      'b2',
      'a3',
    ]);
    expect(await dlq.getFailedEvents({ status: 'parked' })).toEqual([]);
  });

  it('loads the blocked streams from the DLQ at start (a restart keeps parking)', async () => {
    const first = harness();
    await interleaved(first.append);
    const poisoned = new Set(['a1']);
    const sub = first.manager.subscribe(poisonable('p', poisoned));
    await first.manager.start();
    await sub.whenIdle();
    await first.manager.stop();

    await first.append.ticks('a', 1, 'a4');
    const second = harness({
      store: first.store,
      checkpointRepo: first.checkpoints,
      dlqRepo: first.dlq,
    });
    const projection = poisonable('p', poisoned);
    const resumed = second.manager.subscribe(projection);
    await second.manager.start();
    await resumed.whenIdle();
    expect(projection.calls).toEqual([]);
    const parked = await first.dlq.getFailedEvents({ status: 'parked' });
    expect(parked.map((entry) => entry.streamPosition).sort()).toEqual([2, 3, 4]);
  });
});

describe('redrive', () => {
  it('dryRun reports the order and changes nothing', async () => {
    const { append, manager, dlq } = harness();
    await interleaved(append);
    const projection = poisonable('p', new Set(['a1']));
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();
    const before = await dlq.listEntries({ projectionName: 'p' });
    const callsBefore = projection.calls.length;

    const report = await subscription.redrive({ dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.wouldProcess).toBe(3);
    expect(report.entries.map((entry) => entry.streamPosition)).toEqual([1, 2, 3]);
    expect(await dlq.listEntries({ projectionName: 'p' })).toEqual(before);
    expect(projection.calls).toHaveLength(callsBefore);
    expect((await subscription.health()).dlq.blockedStreams).toBe(1);
  });

  it('after a fix, replays the stream in order, resolves it, releases it, and never touches the checkpoint', async () => {
    const { append, manager, dlq, checkpoints } = harness();
    await interleaved(append);
    const poisoned = new Set(['a1']);
    const projection = poisonable('p', poisoned);
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();
    const checkpoint = await checkpoints.getCheckpoint('p');

    poisoned.clear(); // the fix is deployed
    const report = await subscription.redrive({ resolvedBy: 'ops' });
    expect(report).toMatchObject({ succeeded: 3, failed: 0 });
    const redriven = projection.applied.filter((call) => call.redrive);
    expect(redriven.map((call) => call.version)).toEqual([1, 2, 3]);
    expect(redriven.every((call) => call.stream === 'a' && call.globalPosition === null)).toBe(
      true,
    );
    expect(await dlq.getFailedEvents({ projectionName: 'p' })).toEqual([]);
    const resolved = await dlq.getFailedEvents({ projectionName: 'p', status: 'resolved' });
    expect(resolved.map((entry) => entry.resolvedBy)).toEqual(['ops', 'ops', 'ops']);
    expect(await checkpoints.getCheckpoint('p')).toEqual(checkpoint);

    // The stream is released: its next event goes straight to the handler.
    expect((await subscription.health()).dlq.blockedStreams).toBe(0);
    await append.ticks('a', 1, 'a4');
    await subscription.whenIdle();
    expect(projection.applied.at(-1)).toMatchObject({ stream: 'a', version: 4, redrive: false });
  });

  it('by ids redrives only the selected streams', async () => {
    const { append, manager, dlq } = harness();
    await append.ticks('a', 2, 'bad-a');
    await append.ticks('c', 2, 'bad-c');
    const poisoned = new Set(['bad-a', 'bad-c']);
    const projection = poisonable('p', poisoned);
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();
    const failed = await dlq.getFailedEvents({ projectionName: 'p' });
    const headOfA = failed.find((entry) => entry.streamId === 'a');
    poisoned.clear();

    const report = await subscription.redrive({ ids: [headOfA?.id as string] });
    expect(report.succeeded).toBe(2);
    const rest = await dlq.listEntries({ projectionName: 'p' });
    expect(rest.map((entry) => `${entry.streamId}${entry.streamPosition}:${entry.status}`)).toEqual(
      ['c1:failed', 'c2:parked'],
    );
    const health = await subscription.health();
    expect(health.dlq.blockedStreams).toBe(1);
  });

  it('by filter redrives only the accepted entries', async () => {
    const { append, manager, dlq } = harness();
    await append.ticks('a', 1, 'bad-a');
    await append.ticks('c', 1, 'bad-c');
    const poisoned = new Set(['bad-a', 'bad-c']);
    const subscription = manager.subscribe(poisonable('p', poisoned));
    await manager.start();
    await subscription.whenIdle();
    poisoned.clear();
    const report = await subscription.redrive({ filter: (entry) => entry.streamId === 'c' });
    expect(report.succeeded).toBe(1);
    expect((await dlq.listEntries({ projectionName: 'p' })).map((entry) => entry.streamId)).toEqual(
      ['a'],
    );
  });

  it('a failure during redrive keeps the order: the failed entry goes back to failed, the rest stays parked', async () => {
    const { append, manager, dlq } = harness();
    await interleaved(append);
    const poisoned = new Set(['a1', 'a2']);
    const projection = poisonable('p', poisoned);
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();

    poisoned.delete('a1'); // a partial fix: a2 still fails
    const report = await subscription.redrive();
    expect(report).toMatchObject({ succeeded: 1, failed: 1, skippedBehindFailure: 1 });
    const entries = await dlq.listEntries({ projectionName: 'p' });
    expect(entries.map((entry) => [entry.streamPosition, entry.status, entry.retryCount])).toEqual([
      [2, 'failed', 1],
      [3, 'parked', 0],
    ]);
    // Still blocked: a new event of the stream is parked, not handled.
    await append.ticks('a', 1, 'a4');
    await subscription.whenIdle();
    expect(projection.applied.filter((call) => call.stream === 'a' && !call.redrive)).toEqual([]);
    expect(
      (await dlq.listEntries({ projectionName: 'p' })).map((entry) => entry.streamPosition),
    ).toEqual([2, 3, 4]);
  });

  it('an event of the stream that arrives during the redrive still queues behind it', async () => {
    const { append, manager, dlq } = harness();
    await interleaved(append);
    const poisoned = new Set(['a1']);
    const gate = deferred();
    const entered = deferred();
    const projection = recordingProjection('p', async (event, context) => {
      const tag = (event as unknown as { tag?: string }).tag;
      if (tag !== undefined && poisoned.has(tag)) throw new KeyError('poison');
      if (context.redrive && tag === 'a1') {
        entered.resolve();
        await gate.promise;
      }
    });
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();
    poisoned.clear();

    const redriving = subscription.redrive();
    await entered.promise;
    await append.ticks('a', 1, 'a4'); // arrives while a1 is being redriven
    await subscription.whenIdle();
    expect(projection.calls.filter((call) => call.version === 4 && !call.redrive)).toEqual([]);
    gate.resolve();
    const report = await redriving;
    expect(report.succeeded).toBe(4);
    const aCalls = projection.applied.filter((call) => call.stream === 'a');
    expect(aCalls.map((call) => call.version)).toEqual([1, 2, 3, 4]);
    expect(await dlq.listEntries({ projectionName: 'p' })).toEqual([]);
    expect((await subscription.health()).dlq.blockedStreams).toBe(0);
    await append.ticks('a', 1, 'a5');
    await eventually(() => projection.applied.at(-1)?.version === 5, 1_000, 'a5 handled live');
  });

  it('works while the subscription is paused, and before start', async () => {
    const { append, manager } = harness();
    await interleaved(append);
    const poisoned = new Set(['a1']);
    const subscription = manager.subscribe(poisonable('p', poisoned));
    await manager.start();
    await subscription.whenIdle();
    await subscription.pause();
    poisoned.clear();
    expect((await subscription.redrive()).succeeded).toBe(3);
    expect(subscription.state).toBe(SubscriptionState.PAUSED);
    expect((await subscription.health()).dlq.blockedStreams).toBe(0);
  });

  it('works on a subscription that failed (its loop has ended)', async () => {
    const { append, manager } = harness();
    await append.ticks('a', 2, 'bad-a');
    await append.ticks('c', 1, 'bad-c');
    const poisoned = new Set(['bad-a', 'bad-c']);
    const subscription = manager.subscribe(poisonable('p', poisoned), {
      errorHandling: { maxErrorsBeforeStop: 2 },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.state).toBe(SubscriptionState.ERROR);
    poisoned.clear();
    const report = await subscription.redrive();
    expect(report.succeeded).toBe(2);
    expect((await subscription.health()).dlq.blockedStreams).toBe(0);
  });

  it('needs a DLQ repository', async () => {
    const { manager } = harness({ dlqRepo: undefined });
    const subscription = manager.subscribe(recordingProjection('p'));
    await expect(subscription.redrive()).rejects.toBeInstanceOf(SubscriptionStateError);
  });
});

describe('rebuilding a subscription whose stream is blocked', () => {
  it('handles the events before the dead letter and parks only from it on', async () => {
    const { append, manager, dlq, store, checkpoints } = harness();
    for (let i = 1; i <= 4; i++) await append.ticks('p', 1, `p${i}`);
    // First run: the third event of stream p is poison; the fourth is parked behind it.
    const first = poisonable('rebuild', new Set(['p3']));
    manager.subscribe(first);
    await manager.start();
    await manager.whenIdle();
    await manager.stop();
    expect(first.applied.map((call) => call.version)).toEqual([1, 2]);

    // Rebuild from the beginning (same subscription id, the DLQ still holds p3 and p4).
    const rebuilt = createHarness({ store, dlqRepo: dlq, checkpointRepo: checkpoints });
    running.push(rebuilt.manager);
    const again = poisonable('rebuild', new Set(['p3']));
    rebuilt.manager.subscribe(again, { startFrom: 'beginning' });
    await rebuilt.manager.start();
    await rebuilt.manager.whenIdle();

    expect(again.applied.map((call) => call.version)).toEqual([1, 2]);
    expect(again.calls.map((call) => call.version)).toEqual([1, 2]);
    const entries = await dlq.listEntries({ projectionName: 'rebuild' });
    expect(entries.map((entry) => `${entry.streamPosition}:${entry.status}`)).toEqual([
      '3:failed',
      '4:parked',
    ]);
  });
});
