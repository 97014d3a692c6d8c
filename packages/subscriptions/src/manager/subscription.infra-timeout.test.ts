// infrastructureTimeoutMs: a hung read, transaction, checkpoint save or DLQ write is abandoned,
// handled as an infrastructure failure, and cannot apply its effects later out of order.
import {
  type DomainEvent,
  InMemoryEventStore,
  type ReadAllOptions,
  type StoredEvent,
} from '@es/core';
import { InMemoryDLQRepository } from '@es/dlq';
import { ConnectionError, TimeoutError } from '@es/resilience';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeTransaction,
  FakeUnitOfWorkProvider,
} from '../../test/support/fake-unit-of-work.js';
import {
  Appender,
  createHarness,
  deferred,
  eventually,
  FlakyStore,
  flakyDlq,
  instantRetry,
  recordingProjection,
} from '../../test/support/harness.js';
import type { SavePositionInput } from '../checkpoint-repository.js';
import { ErrorHandlingStrategy } from '../error-handling-strategy.js';
import { InMemoryCheckpointRepository } from '../in-memory-checkpoint-repository.js';
import type { UnitOfWork, UnitOfWorkProvider } from '../unit-of-work.js';
import type { Projection, ProjectionContext } from './projection.js';
import { SubscriptionManager } from './subscription-manager.js';

let running: SubscriptionManager<never>[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);
afterEach(async () => {
  await Promise.all(running.map((manager) => manager.stop()));
  running = [];
  // Give late settles of abandoned operations a chance to surface.
  await new Promise((resolve) => setTimeout(resolve, 10));
  expect(unhandled).toEqual([]);
  unhandled.length = 0;
});

function track<T>(manager: SubscriptionManager<T>): SubscriptionManager<T> {
  running.push(manager as unknown as SubscriptionManager<never>);
  return manager;
}

/** A store whose next `hangs` reads never yield (the caller may settle them later with `release`). */
class HangingStore extends FlakyStore {
  hangs = 0;
  readonly gate = deferred();

  override readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent> {
    if (this.hangs > 0) {
      this.hangs--;
      const gate = this.gate.promise;
      return {
        [Symbol.asyncIterator]: () => ({
          next: () => gate.then(() => Promise.reject(new ConnectionError('late reset'))),
        }),
      };
    }
    return super.readAll(options);
  }
}

const eventIds = (events: readonly StoredEvent[]) => events.map((e) => e.event.eventId);

async function storedEvents(store: InMemoryEventStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const event of store.readAll()) all.push(event);
  return all;
}

describe('infrastructureTimeoutMs', () => {
  it('abandons a read that never yields, backs off and proceeds; its late rejection is ignored', async () => {
    const inner = new InMemoryEventStore();
    await new Appender(inner).spread(12, 3);
    const store = new HangingStore(inner);
    store.hangs = 2;
    const real = track(
      new SubscriptionManager({
        eventStore: store,
        checkpointRepo: new InMemoryCheckpointRepository(),
        pollIntervalMs: 5,
        handlerBreaker: false,
        infrastructureRetry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 5, jitter: 0 },
      }),
    );
    const projection = recordingProjection('reader');
    const subscription = real.subscribe(projection, {
      batchSize: 5,
      infrastructureTimeoutMs: 30,
    });
    await real.start();
    await eventually(() => subscription.counts.processed === 12, 3_000, 'all events processed');
    expect(subscription.lastError).toMatchObject({
      source: 'read',
      name: 'TimeoutError',
      code: 'ES_TIMEOUT',
    });
    expect(subscription.lastError?.error).toBeInstanceOf(TimeoutError);
    expect(subscription.lastError?.message).toContain("'read'");
    expect(projection.calls.map((c) => c.n)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(subscription.checkpoint).toBe(12);
    // The abandoned reads now reject: nothing happens (no unhandled rejection, no effect).
    store.gate.resolve();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(subscription.counts.processed).toBe(12);
    expect((await subscription.health()).warnings.join()).not.toContain('Retrying');
  });

  it('reports the timeout in health while the store keeps hanging', async () => {
    const inner = new InMemoryEventStore();
    await new Appender(inner).ticks('a', 2);
    const store = new HangingStore(inner);
    store.hangs = 1_000;
    const manager = track(
      new SubscriptionManager({
        eventStore: store,
        checkpointRepo: new InMemoryCheckpointRepository(),
        pollIntervalMs: 5,
        handlerBreaker: false,
        infrastructureRetry: { maxRetries: 0, initialDelayMs: 5, maxDelayMs: 5, jitter: 0 },
        infrastructureBreaker: { failureThreshold: 3, recoveryTimeoutMs: 50 },
      }),
    );
    const subscription = manager.subscribe(recordingProjection('stuck'), {
      infrastructureTimeoutMs: 20,
      healthTimeoutMs: 200,
    });
    await manager.start();
    await eventually(() => subscription.lastError !== null, 2_000, 'a timeout');
    const health = await subscription.health();
    expect(health.lastError).toMatchObject({ source: 'read', code: 'ES_TIMEOUT' });
    expect(health.warnings.join()).toContain('Retrying an infrastructure operation');
    expect(health.status).not.toBe('healthy');
    // The timeouts count as infrastructure failures: the breaker opens (then probes).
    await eventually(
      async () => (await subscription.health()).breakers.infrastructure !== 'closed',
      2_000,
      'the infrastructure breaker opens',
    );
    store.hangs = 0;
    await eventually(() => subscription.counts.processed === 2, 2_000, 'recovery');
  });

  it('with 0, a hung read is not bounded', async () => {
    const inner = new InMemoryEventStore();
    await new Appender(inner).ticks('a', 1);
    const store = new HangingStore(inner);
    store.hangs = 1;
    const manager = track(
      new SubscriptionManager({
        eventStore: store,
        checkpointRepo: new InMemoryCheckpointRepository(),
        pollIntervalMs: 5,
        handlerBreaker: false,
      }),
    );
    const subscription = manager.subscribe(recordingProjection('unbounded'), {
      infrastructureTimeoutMs: 0,
    });
    await manager.start();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(subscription.lastError).toBeNull();
    expect(subscription.counts.processed).toBe(0);
    // The read answers (here: fails) and the subscription goes on.
    store.gate.resolve();
    await eventually(() => subscription.counts.processed === 1, 2_000, 'processed');
    expect(subscription.lastError?.code).not.toBe('ES_TIMEOUT');
  });

  it('abandons a checkpoint save that hangs; its late commit is refused by the fence', async () => {
    const { append, manager, checkpoints } = createHarness();
    track(manager);
    await append.spread(10, 2);
    const gate = deferred();
    const late: Promise<boolean>[] = [];
    const save = checkpoints.savePosition.bind(checkpoints);
    let hung = false;
    checkpoints.savePosition = (id: string, input: SavePositionInput) => {
      if (!hung) {
        hung = true;
        // Hangs, then (once the test opens the gate) writes what it was asked to: a late commit.
        const result = gate.promise.then(() => save(id, input));
        late.push(result);
        return result;
      }
      return save(id, input);
    };
    const projection = recordingProjection('saver');
    const subscription = manager.subscribe(projection, {
      batchSize: 5,
      infrastructureTimeoutMs: 30,
    });
    await manager.start();
    await eventually(() => subscription.checkpoint === 10, 3_000, 'checkpoint 10');
    expect(subscription.lastError).toMatchObject({ source: 'checkpoint', code: 'ES_TIMEOUT' });
    expect(projection.calls.map((c) => c.n)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    // The abandoned save (expected null → 5) lands now: refused, the checkpoint does not go back.
    gate.resolve();
    expect(await late[0]).toBe(false);
    expect(await checkpoints.getPosition('saver')).toBe(10);
    await append.ticks('b', 1);
    await subscription.whenIdle();
    expect(await checkpoints.getPosition('saver')).toBe(11);
    expect(projection.calls).toHaveLength(11);
  });

  it('abandons a DLQ write of the failure path that hangs and runs the event again', async () => {
    const dlq = flakyDlq(new InMemoryDLQRepository());
    const add = dlq.addFailedEvent;
    let hung = false;
    dlq.addFailedEvent = (input) => {
      if (!hung) {
        hung = true;
        return new Promise<string>(() => {});
      }
      return add(input);
    };
    const { append, manager } = createHarness({ dlqRepo: dlq });
    track(manager);
    await append.ticks('a', 1);
    await append.ticks('b', 2);
    const projection = recordingProjection('dlq-hang', (event) => {
      if (event.aggregateId === 'a') throw new ConnectionError('poison');
    });
    const subscription = manager.subscribe(projection, {
      infrastructureTimeoutMs: 30,
      errorHandling: { strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ, retry: instantRetry(0) },
    });
    await manager.start();
    await eventually(() => subscription.counts.processed === 2, 3_000, 'the other events');
    expect(subscription.counts.deadLettered).toBe(1);
    const entries = await dlq.listEntries({ projectionName: 'dlq-hang', limit: 10 });
    expect(entries).toHaveLength(1);
    expect(subscription.errorHandler.recentErrors.length).toBeGreaterThan(0);
    expect(subscription.checkpoint).toBe(3);
  });
});

describe('infrastructureTimeoutMs with a unit of work', () => {
  /** Wraps the fake provider: its next `hangs` transactions hang as told. */
  class HangingProvider implements UnitOfWorkProvider<FakeTransaction> {
    /** 'never': runInTransaction never settles (nor starts the work); 'commit': it hangs after the work until `gate` opens, then commits. */
    hang: 'never' | 'commit' | undefined;
    readonly gate = deferred();
    constructor(readonly inner: FakeUnitOfWorkProvider) {}
    runInTransaction<T>(work: (unit: UnitOfWork<FakeTransaction>) => Promise<T>): Promise<T> {
      const hang = this.hang;
      this.hang = undefined;
      if (hang === 'never') return new Promise<T>(() => {});
      if (hang === 'commit') {
        return this.inner.runInTransaction(async (unit) => {
          const result = await work(unit);
          await this.gate.promise;
          return result;
        });
      }
      return this.inner.runInTransaction(work);
    }
  }

  async function setup(events: number) {
    const store = new InMemoryEventStore();
    await new Appender(store).spread(events, 3);
    const uow = new FakeUnitOfWorkProvider();
    const provider = new HangingProvider(uow);
    const manager = track(
      new SubscriptionManager<FakeTransaction>({
        eventStore: store,
        checkpointRepo: uow.checkpoints,
        dlqRepo: uow.dlq,
        unitOfWork: provider,
        pollIntervalMs: 5,
        handlerBreaker: false,
        infrastructureRetry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 5, jitter: 0 },
      }),
    );
    const calls: string[] = [];
    const projection: Projection<DomainEvent, FakeTransaction> = {
      name: 'tx',
      handle(event: DomainEvent, context: ProjectionContext<FakeTransaction>) {
        calls.push(event.eventId);
        context.transaction?.write(event.eventId, 1);
      },
    };
    return { store, uow, provider, manager, projection, calls };
  }

  it('abandons a transaction that never settles and proceeds: every effect exactly once', async () => {
    const { store, uow, provider, manager, projection } = await setup(9);
    provider.hang = 'never';
    const subscription = manager.subscribe(projection, {
      batchSize: 5,
      infrastructureTimeoutMs: 30,
    });
    await manager.start();
    await eventually(async () => (await uow.checkpoints.getPosition('tx')) === 9, 3_000, 'all');
    expect(subscription.lastError).toMatchObject({ source: 'transaction', code: 'ES_TIMEOUT' });
    const all = await storedEvents(store);
    expect(eventIds(all).map((id) => uow.writeCounts.get(id))).toEqual(all.map(() => 1));
    expect(subscription.counts.processed).toBe(9);
  });

  it('a transaction that hangs in its commit and commits late: the retry is fenced, nothing doubled', async () => {
    const { store, uow, provider, manager, projection, calls } = await setup(8);
    provider.hang = 'commit';
    const subscription = manager.subscribe(projection, {
      batchSize: 5,
      infrastructureTimeoutMs: 25,
    });
    await manager.start();
    // The first transaction (events 1–5 and checkpoint 5) hangs in its commit; retries of the
    // same batch wait for its checkpoint row and are abandoned too.
    await eventually(() => calls.length >= 10, 3_000, 'a retry of the batch');
    expect(await uow.checkpoints.getPosition('tx')).toBeNull();
    expect(uow.commits).toBe(0);
    provider.gate.resolve(); // the abandoned transaction commits now
    await eventually(async () => (await uow.checkpoints.getPosition('tx')) === 8, 3_000, 'all');
    await subscription.whenIdle();
    const all = await storedEvents(store);
    expect(eventIds(all).map((id) => uow.writeCounts.get(id))).toEqual(all.map(() => 1));
    expect(subscription.position).toBe(8);
  });

  it('a checkpoint save inside the transaction that hangs ends the transaction at once', async () => {
    const { store, uow, manager, projection } = await setup(4);
    const inner = uow.runInTransaction.bind(uow);
    let hung = false;
    uow.runInTransaction = (work) =>
      inner((unit) => {
        if (hung) return work(unit);
        hung = true;
        unit.checkpointRepo.savePosition = () => new Promise<boolean>(() => {});
        return work(unit);
      });
    const subscription = manager.subscribe(projection, { infrastructureTimeoutMs: 25 });
    await manager.start();
    await eventually(async () => (await uow.checkpoints.getPosition('tx')) === 4, 3_000, 'all');
    expect(subscription.lastError).toMatchObject({ source: 'transaction', code: 'ES_TIMEOUT' });
    expect(uow.rollbacks).toBeGreaterThanOrEqual(1);
    const all = await storedEvents(store);
    expect(eventIds(all).map((id) => uow.writeCounts.get(id))).toEqual(all.map(() => 1));
  });
});
