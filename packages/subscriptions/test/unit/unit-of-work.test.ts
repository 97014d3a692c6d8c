import { InMemoryEventStore, type StoredEvent } from '@es/core';
import type { DLQRepository } from '@es/dlq';
import { ConnectionError, KeyError } from '@es/resilience';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorHandlingStrategy } from '../../src/error-handling-strategy.js';
import type { SubscriptionConfig } from '../../src/manager/subscription-config.js';
import { SubscriptionManager } from '../../src/manager/subscription-manager.js';
import { SubscriptionState } from '../../src/subscription-state.js';
import type { UnitOfWorkProvider } from '../../src/unit-of-work.js';
import {
  type FailurePoint,
  type FakeTransaction,
  FakeUnitOfWorkProvider,
} from '../support/fake-unit-of-work.js';
import { Appender, recordingProjection } from '../support/harness.js';

let running: SubscriptionManager<FakeTransaction>[] = [];
afterEach(async () => {
  await Promise.all(running.map((manager) => manager.stop()));
  running = [];
});

async function setup(events: number, streams: number) {
  const store = new InMemoryEventStore();
  await new Appender(store).spread(events, streams);
  const uow = new FakeUnitOfWorkProvider();
  const manager = new SubscriptionManager<FakeTransaction>({
    eventStore: store,
    checkpointRepo: uow.checkpoints,
    dlqRepo: uow.dlq,
    unitOfWork: uow,
    pollIntervalMs: 5,
    handlerBreaker: false,
    infrastructureRetry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 2, jitter: 0 },
  });
  running.push(manager);
  const stored: StoredEvent[] = [];
  for await (const event of store.readAll()) stored.push(event);
  return { store, uow, manager, stored };
}

/** After every commit: the events up to the checkpoint have exactly one effect, the others none. */
function checkAllOrNothing(
  uow: FakeUnitOfWorkProvider,
  stored: readonly StoredEvent[],
  subscriptionId: string,
  violations: string[],
) {
  uow.onCommit = async () => {
    const checkpoint = (await uow.checkpoints.getPosition(subscriptionId)) ?? 0;
    const inDlq = new Set(
      (await uow.dlq.listEntries({ projectionName: subscriptionId, limit: 1_000 })).map(
        (e) => e.eventId,
      ),
    );
    for (const event of stored) {
      const effects =
        (uow.writeCounts.get(event.event.eventId) ?? 0) + (inDlq.has(event.event.eventId) ? 1 : 0);
      const expected = event.globalPosition <= (checkpoint as number) ? 1 : 0;
      if (effects !== expected) {
        violations.push(
          `event ${event.globalPosition}: ${effects} effect(s) with checkpoint ${checkpoint}`,
        );
      }
    }
  };
}

describe('unit of work (exactly-once effects)', () => {
  const cases: [string, Partial<Record<FailurePoint, number>>, boolean][] = [
    ['no failure', {}, false],
    ['a failing commit', { commit: 2 }, false],
    ['failing checkpoint writes', { checkpoint: 2 }, false],
    ['a failing DLQ write', { dlq: 1 }, false],
    ['a failing savepoint', { savepoint: 1 }, false],
    ['a failing commit of the transaction holding the DLQ write', {}, true],
  ];

  it.each(cases)(
    'commits handler writes, DLQ entries and the checkpoint together (%s)',
    async (_, failures, failDlqCommit) => {
      const { uow, manager, stored } = await setup(14, 3);
      const violations: string[] = [];
      checkAllOrNothing(uow, stored, 'p', violations);
      Object.assign(uow.failures, failures);
      if (failDlqCommit) {
        let once = true;
        uow.failCommitWhen = (ops) => {
          if (once && ops.some((op) => op.kind === 'dlq')) {
            once = false;
            return true;
          }
          return false;
        };
      }
      const transientOnce = new Set([stored[6]?.event.eventId]);
      const poison = stored[4]?.event.eventId; // stream s1, version 2
      const projection = recordingProjection('p', (event, context) => {
        const tx = context.transaction as FakeTransaction;
        // The write happens before the failure: the savepoint must roll it back.
        tx.write(event.eventId, event.aggregateVersion);
        if (event.eventId === poison) throw new KeyError('poison');
        if (transientOnce.delete(event.eventId)) throw new ConnectionError('blip');
      });
      const subscription = manager.subscribe(projection, {
        batchSize: 4,
        errorHandling: { retry: { maxRetries: 3, initialDelayMs: 2, maxDelayMs: 2, jitter: 0 } },
      } satisfies SubscriptionConfig);
      await manager.start();
      await subscription.whenIdle();

      expect(violations).toEqual([]);
      expect(subscription.state).toBe(SubscriptionState.LIVE);
      expect(await uow.checkpoints.getPosition('p')).toBe(14);
      // Every event that was processed was written exactly once; the poison and the events of its
      // stream behind it are in the DLQ instead.
      const dlqEntries = await uow.dlq.listEntries({ projectionName: 'p' });
      expect(
        dlqEntries.map((entry) => [entry.streamId, entry.streamPosition, entry.status]),
      ).toEqual([
        ['s1', 2, 'failed'],
        ['s1', 3, 'parked'],
        ['s1', 4, 'parked'],
        ['s1', 5, 'parked'],
      ]);
      for (const event of stored) {
        const parkedOrFailed = dlqEntries.some((entry) => entry.eventId === event.event.eventId);
        expect(uow.writeCounts.get(event.event.eventId) ?? 0).toBe(parkedOrFailed ? 0 : 1);
      }
      expect(subscription.counts).toMatchObject({ processed: 10, deadLettered: 1, parked: 3 });
      // The injected failure really happened (and was recovered from):
      if (failures.commit || failures.checkpoint || failDlqCommit)
        expect(uow.rollbacks).toBeGreaterThan(0);
      if (failures.dlq) expect(subscription.errorHandler.stats.dlqFailures).toBe(1);
      // A failing savepoint fails that handler call (a transient error): one more retry.
      expect(subscription.counts.retries).toBe(failures.savepoint ? 2 : 1);
    },
  );

  it('hands the transaction to the handler and runs each handler call in a savepoint', async () => {
    const { uow, manager } = await setup(2, 1);
    let attempts = 0;
    const projection = recordingProjection('p', (event, context) => {
      (context.transaction as FakeTransaction).write(`${event.eventId}:${++attempts}`, 1);
      if (attempts === 1) throw new ConnectionError('first attempt fails');
    });
    const subscription = manager.subscribe(projection, {
      errorHandling: { retry: { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0 } },
    });
    await manager.start();
    await subscription.whenIdle();
    expect([...uow.rows.keys()].map((key) => key.split(':')[1])).toEqual(['2', '3']);
  });

  it('STOP commits the work before the failing event and nothing of it', async () => {
    const { uow, manager, stored } = await setup(6, 2);
    const poison = stored[3]?.event.eventId;
    const projection = recordingProjection('p', (event, context) => {
      if (event.eventId === poison) throw new KeyError('stop here');
      (context.transaction as FakeTransaction).write(event.eventId, 1);
    });
    const subscription = manager.subscribe(projection, {
      errorHandling: { strategy: ErrorHandlingStrategy.STOP },
    });
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.state).toBe(SubscriptionState.ERROR);
    expect(await uow.checkpoints.getPosition('p')).toBe(3);
    expect(uow.rows.size).toBe(3);
  });

  it('a refused compare-and-set rolls the transaction back; the subscription continues from the stored checkpoint', async () => {
    const { uow, manager, stored } = await setup(6, 1);
    await uow.checkpoints.savePosition('p', { position: 1 });
    const projection = recordingProjection('p', async (event, context) => {
      (context.transaction as FakeTransaction).write(event.eventId, 1);
      // Another instance commits 2..4 while this one works on the same batch.
      if (event.aggregateVersion === 3) await uow.checkpoints.savePosition('p', { position: 4 });
    });
    const subscription = manager.subscribe(projection, { batchSize: 3 });
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.state).toBe(SubscriptionState.LIVE);
    expect(subscription.lastError).toMatchObject({
      source: 'checkpoint',
      code: 'ES_CHECKPOINT_CONFLICT',
    });
    expect(subscription.lastError?.error).toMatchObject({ expected: 1, position: 4 });
    // Nothing of the refused transaction (2..4) committed; 5 and 6 did, once each.
    expect([...uow.rows.keys()]).toEqual(stored.slice(4).map((s) => s.event.eventId));
    expect([...uow.writeCounts.values()]).toEqual([1, 1]);
    expect(subscription.counts.processed).toBe(2);
    expect(await uow.checkpoints.getCheckpoint('p')).toMatchObject({
      position: 6,
      eventsProcessed: 3,
    });
  });

  it('a zombie that finishes a batch the owner already committed commits nothing (equal position)', async () => {
    const { uow, manager } = await setup(4, 2);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let first = true;
    const projection = recordingProjection('p', async (event, context) => {
      if (first) {
        first = false;
        await gate;
      }
      (context.transaction as FakeTransaction).write(event.eventId, 1);
    });
    const subscription = manager.subscribe(projection, { batchSize: 10 });
    await manager.start();
    // The owner processes all four events and saves 4 while this instance stalls in its first call.
    await uow.runInTransaction(async (unit) => {
      for (let i = 1; i <= 4; i++) unit.transaction.write(`owner-${i}`, 1);
      expect(await unit.checkpointRepo.savePosition('p', { position: 4, expected: null })).toBe(
        true,
      );
    });
    release();
    await subscription.whenIdle();
    expect(subscription.state).toBe(SubscriptionState.LIVE);
    expect(subscription.lastError?.code).toBe('ES_CHECKPOINT_CONFLICT');
    expect([...uow.rows.keys()]).toEqual(['owner-1', 'owner-2', 'owner-3', 'owner-4']);
    expect(await uow.checkpoints.getCheckpoint('p')).toMatchObject({
      position: 4,
      eventsProcessed: 1,
    });
  });

  it('after a refused save, parks behind what the other instance dead-lettered meanwhile', async () => {
    const { uow, manager, stored } = await setup(6, 2);
    const [first, , third, , fifth, sixth] = stored as StoredEvent[];
    const projection = recordingProjection('p', async (event, context) => {
      (context.transaction as FakeTransaction).write(event.eventId, 1);
      if (event.eventId !== first?.event.eventId) return;
      // Meanwhile the other instance dead-lettered s0 v2 (global 3) and committed up to 4.
      await uow.dlq.addFailedEvent({
        eventId: third?.event.eventId as string,
        projectionName: 'p',
        eventType: 'Tick',
        eventData: {},
        error: new Error('poison'),
        streamId: 's0',
        streamPosition: 2,
        position: 3,
      });
      await uow.checkpoints.savePosition('p', { position: 4 });
    });
    const subscription = manager.subscribe(projection, { batchSize: 3 });
    await manager.start();
    await subscription.whenIdle();
    expect(subscription.lastError?.code).toBe('ES_CHECKPOINT_CONFLICT');
    // s0 v3 (global 5) waits behind the other instance's dead letter; s1 v3 (global 6) is applied.
    expect([...uow.rows.keys()]).toEqual([sixth?.event.eventId]);
    const parked = await uow.dlq.listEntries({ projectionName: 'p', statuses: ['parked'] });
    expect(parked.map((entry) => entry.eventId)).toEqual([fifth?.event.eventId]);
    expect(await uow.checkpoints.getPosition('p')).toBe(6);
  });

  it('two instances of one subscription racing over the same events apply each exactly once', async () => {
    const { uow, stored, store } = await setup(60, 6);
    const managers = [0, 1].map(() => {
      const manager = new SubscriptionManager<FakeTransaction>({
        eventStore: store,
        checkpointRepo: uow.checkpoints,
        dlqRepo: uow.dlq,
        unitOfWork: uow,
        pollIntervalMs: 5,
        handlerBreaker: false,
        infrastructureRetry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 2, jitter: 0 },
      });
      running.push(manager);
      return manager;
    });
    const subscriptions = managers.map((manager) =>
      manager.subscribe(
        recordingProjection('p', async (event, context) => {
          (context.transaction as FakeTransaction).write(event.eventId, 1);
          await new Promise((resolve) => setTimeout(resolve, 0));
        }),
        { batchSize: 7 },
      ),
    );
    await Promise.all(managers.map((manager) => manager.start()));
    await Promise.all(subscriptions.map((subscription) => subscription.whenIdle()));
    expect(await uow.checkpoints.getPosition('p')).toBe(60);
    expect(uow.rows.size).toBe(stored.length);
    expect([...uow.writeCounts.values()].every((count) => count === 1)).toBe(true);
    expect(subscriptions.map((subscription) => subscription.state)).toEqual([
      SubscriptionState.LIVE,
      SubscriptionState.LIVE,
    ]);
    expect(
      subscriptions.some(
        (subscription) => subscription.lastError?.code === 'ES_CHECKPOINT_CONFLICT',
      ),
    ).toBe(true);
  });

  it('redrive runs each entry in its own transaction', async () => {
    const { uow, manager, stored } = await setup(3, 1);
    let poisoned = true;
    const projection = recordingProjection('p', (event, context) => {
      if (poisoned && event.eventId === stored[0]?.event.eventId) throw new KeyError('poison');
      (context.transaction as FakeTransaction).write(event.eventId, context.redrive ? 2 : 1);
    });
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();
    expect(uow.rows.size).toBe(0);
    poisoned = false;
    const report = await subscription.redrive();
    expect(report.succeeded).toBe(3);
    expect([...uow.rows.values()]).toEqual([2, 2, 2]);
    expect((await subscription.health()).dlq.blockedStreams).toBe(0);
  });
});

describe('redrive with a unit of work (exactly once)', () => {
  /** Three events of one stream; the first is poison, so it is dead-lettered and two are parked. */
  async function deadLettered() {
    const { store, uow, manager, stored } = await setup(3, 1);
    const poison = stored[0]?.event.eventId;
    let fixed = false;
    const projection = recordingProjection('p', (event, context) => {
      if (!fixed && event.eventId === poison) throw new KeyError('poison');
      (context.transaction as FakeTransaction).write(event.eventId, context.redrive ? 2 : 1);
    });
    const subscription = manager.subscribe(projection);
    await manager.start();
    await subscription.whenIdle();
    await manager.stop();
    expect((await uow.dlq.listEntries({ projectionName: 'p' })).map((e) => e.status)).toEqual([
      'failed',
      'parked',
      'parked',
    ]);
    fixed = true;
    return { store, uow, stored, projection };
  }

  /** A redrive-only manager (never started) over the same store. */
  function redriver(
    store: InMemoryEventStore,
    uow: FakeUnitOfWorkProvider,
    projection: ReturnType<typeof recordingProjection>,
    overrides: { dlqRepo?: DLQRepository; unitOfWork?: UnitOfWorkProvider<FakeTransaction> } = {},
  ) {
    const manager = new SubscriptionManager<FakeTransaction>({
      eventStore: store,
      checkpointRepo: uow.checkpoints,
      dlqRepo: overrides.dlqRepo ?? uow.dlq,
      unitOfWork: overrides.unitOfWork ?? uow,
      handlerBreaker: false,
    });
    running.push(manager);
    return manager.subscribe(projection);
  }

  async function statusOf(uow: FakeUnitOfWorkProvider, event: StoredEvent | undefined) {
    const all = await uow.dlq.listEntries({
      projectionName: 'p',
      statuses: ['failed', 'retrying', 'parked', 'resolved', 'discarded'],
    });
    return all.find((e) => e.eventId === event?.event.eventId)?.status;
  }

  const writes = (uow: FakeUnitOfWorkProvider, stored: readonly StoredEvent[]) =>
    stored.map((s) => uow.writeCounts.get(s.event.eventId) ?? 0);

  it('resolves the entry with the handler’s commit: a crash right after it leaves nothing to apply again', async () => {
    const { store, uow, stored, projection } = await deadLettered();
    // The process dies right after the first redrive transaction committed: that call never
    // returns, and nothing the process tries afterwards reaches the DLQ.
    let dead = false;
    const dying: UnitOfWorkProvider<FakeTransaction> = {
      async runInTransaction(work) {
        if (dead) throw new Error('the process is dead');
        await uow.runInTransaction(work);
        dead = true;
        throw new Error('SIGKILL after COMMIT');
      },
    };
    const deadDlq = new Proxy(uow.dlq, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          dead ? Promise.reject(new Error('the process is dead')) : value.apply(target, args);
      },
    });
    const crashing = redriver(store, uow, projection, { dlqRepo: deadDlq, unitOfWork: dying });
    await expect(crashing.redrive()).rejects.toMatchObject({ code: 'ES_DLQ_REDRIVE' });
    expect(writes(uow, stored)).toEqual([1, 0, 0]);
    expect(await statusOf(uow, stored[0])).toBe('resolved');

    // The recovery run (taking over whatever was left in `retrying`) applies the rest, once.
    const report = await redriver(store, uow, projection).redrive({ includeRetrying: true });
    expect(report).toMatchObject({ selected: 2, succeeded: 2, failed: 0 });
    expect(writes(uow, stored)).toEqual([1, 1, 1]);
    expect([...uow.rows.values()]).toEqual([2, 2, 2]);
    expect(await uow.dlq.getProjectionDepth('p')).toEqual({ depth: 0, oldest: null });
  });

  it('rolls the resolve back with the handler’s writes when the handler fails', async () => {
    const { store, uow, stored } = await deadLettered();
    const broken = recordingProjection('p', (event, context) => {
      (context.transaction as FakeTransaction).write(event.eventId, 2);
      throw new KeyError('still broken');
    });
    const report = await redriver(store, uow, broken).redrive();
    expect(report).toMatchObject({ failed: 1, skippedBehindFailure: 2, succeeded: 0 });
    expect(writes(uow, stored)).toEqual([0, 0, 0]);
    expect(
      (await uow.dlq.listEntries({ projectionName: 'p' })).map((e) => [e.status, e.retryCount]),
    ).toEqual([
      ['failed', 1],
      ['parked', 0],
      ['parked', 0],
    ]);
  });

  it('does not apply an entry settled between the claim and the handler’s transaction', async () => {
    const { store, uow, stored, projection } = await deadLettered();
    const racing = new Proxy(uow.dlq, {
      get(target, key) {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== 'function') return value;
        if (key !== 'markRetrying') return value.bind(target);
        return async (id: string) => {
          const claimed = await target.markRetrying(id);
          await target.markDiscarded(id, 'ops'); // an operator gives up on it meanwhile
          return claimed;
        };
      },
    });
    const report = await redriver(store, uow, projection, { dlqRepo: racing }).redrive();
    expect(report.entries.map((e) => e.outcome)).toEqual([
      'skipped_unavailable',
      'skipped_behind_failure',
      'skipped_behind_failure',
    ]);
    expect(projection.applied.filter((call) => call.redrive)).toEqual([]);
    expect(writes(uow, stored)).toEqual([0, 0, 0]);
    expect(await statusOf(uow, stored[0])).toBe('discarded');
  });

  it('records a unit of work that does not write to the manager’s DLQ as a failure of the entry', async () => {
    const { store, uow, stored, projection } = await deadLettered();
    const elsewhere = new FakeUnitOfWorkProvider();
    const report = await redriver(store, uow, projection, { unitOfWork: elsewhere }).redrive();
    expect(report.entries[0]).toMatchObject({ outcome: 'failed' });
    expect(report.entries[0]?.errorMessage).toContain('unitOfWork');
    expect(writes(uow, stored)).toEqual([0, 0, 0]);
    expect(elsewhere.rows.size).toBe(0);
  });
});
