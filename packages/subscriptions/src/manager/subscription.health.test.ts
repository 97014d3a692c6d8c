// A stored event that cannot be read (fatal, after the events before it), lag held back by an
// open transaction, and the time limit of health checks.
import {
  type EventStore,
  EventTypeNotFoundError,
  InMemoryEventStore,
  type ReadAllOptions,
  SerializationError,
  type StoredEvent,
} from '@es/core';
import { ErrorClassification } from '@es/resilience';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeUnitOfWorkProvider } from '../../test/support/fake-unit-of-work.js';
import {
  Appender,
  createHarness,
  eventually,
  recordingProjection,
} from '../../test/support/harness.js';
import type { SubscriptionManager } from './subscription-manager.js';

let running: SubscriptionManager[] = [];
afterEach(async () => {
  await Promise.all(running.map((manager) => manager.stop()));
  running = [];
});

const tagOf = (stored: StoredEvent) => (stored.event as unknown as { tag?: string }).tag;

/**
 * An in-memory store seen through a reader: events tagged 'bad' cannot be read (reading one
 * throws `unreadable()`), and events at or after `holdFrom` are not readable yet (held back, as
 * by an open transaction). `horizon`, when set, is offered as `getHorizonStatus`.
 */
class ReaderStore implements EventStore {
  readCalls = 0;
  unreadable: () => unknown = () => new EventTypeNotFoundError('Gone', ['Tick']);
  holdFrom = Number.POSITIVE_INFINITY;
  hangHead = false;
  readonly inner = new InMemoryEventStore();

  appendEvents(...args: Parameters<EventStore['appendEvents']>) {
    return this.inner.appendEvents(...args);
  }

  getEvents(...args: Parameters<EventStore['getEvents']>) {
    return this.inner.getEvents(...args);
  }

  getGlobalPosition(): Promise<number> {
    if (this.hangHead) return new Promise<number>(() => {});
    return this.inner.getGlobalPosition();
  }

  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent> {
    this.readCalls++;
    const inner = this.inner.readAll(options);
    const reader = this;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const stored of inner) {
          if (stored.globalPosition >= reader.holdFrom) return;
          if (tagOf(stored) === 'bad') throw reader.unreadable();
          yield stored;
        }
      },
    };
  }
}

/** A {@link ReaderStore} that reports its read horizon like `PostgresEventStore`. */
class HorizonStore extends ReaderStore {
  thresholds: (number | undefined)[] = [];
  oldestTransactionAgeMs: number | null = null;

  async getHorizonStatus(stallThresholdMs?: number) {
    this.thresholds.push(stallThresholdMs);
    const head = await this.inner.getGlobalPosition();
    const held = Number.isFinite(this.holdFrom) ? Math.max(0, head - this.holdFrom + 1) : 0;
    const age = this.oldestTransactionAgeMs;
    return {
      horizonTransactionId: '1',
      heldBackEvents: held,
      oldestTransactionAgeMs: age,
      stalled: held > 0 && age !== null && age >= (stallThresholdMs ?? 10_000),
    };
  }
}

function harness(store: ReaderStore, options: Parameters<typeof createHarness>[0] = {}) {
  const h = createHarness({
    store: store as unknown as InMemoryEventStore,
    withBus: false,
    ...options,
  });
  running.push(h.manager);
  return { ...h, append: new Appender(store) };
}

describe('a stored event that cannot be read (DEF-5)', () => {
  it('processes the events before it, then stops before it with the typed error — no retry loop', async () => {
    const store = new ReaderStore();
    const { manager, append, checkpoints } = harness(store);
    await append.ticks('a', 2);
    await append.ticks('x', 1, 'bad');
    await append.ticks('b', 2);
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection, { batchSize: 10 });
    await manager.start();
    await eventually(() => subscription.state === 'error', 2_000, 'the subscription to fail');

    expect(projection.applied.map((call) => call.n)).toEqual([1, 2]);
    expect(subscription.position).toBe(2);
    expect(subscription.checkpoint).toBe(2);
    expect(await checkpoints.getPosition('p')).toBe(2);
    expect(subscription.lastError).toMatchObject({
      source: 'read',
      code: 'ES_EVENT_TYPE_NOT_FOUND',
      eventId: null,
    });
    expect(subscription.lastError?.error).toBeInstanceOf(EventTypeNotFoundError);
    // Not retried as an infrastructure failure: the reads stop with the subscription.
    const reads = store.readCalls;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(store.readCalls).toBe(reads);

    const health = await subscription.health();
    expect(health).toMatchObject({ state: 'error', status: 'unhealthy', healthy: false });
    expect(health.errors.join('\n')).toMatch(/Subscription failed: Unknown event type: Gone/);
    expect(health.lastError?.code).toBe('ES_EVENT_TYPE_NOT_FOUND');
  });

  it('is fatal by code (ES_SERIALIZATION too) even when the classifier calls it infrastructure', async () => {
    const store = new ReaderStore();
    store.unreadable = () => new SerializationError('bad envelope', 'Tick', ['aggregateVersion']);
    const infrastructure = new ErrorClassification({ category: 'infrastructure', retryable: true });
    const { manager, append } = harness(store, { classifier: { classify: () => infrastructure } });
    await append.ticks('x', 1, 'bad');
    await append.ticks('a', 1);
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection);
    await manager.start();
    await eventually(() => subscription.state === 'error', 2_000, 'the subscription to fail');
    expect(projection.calls).toEqual([]);
    expect(subscription.checkpoint).toBeNull();
    expect(subscription.lastError?.error).toBeInstanceOf(SerializationError);
    expect(subscription.counts.processed).toBe(0);
  });

  it('under a unit of work: the events before it commit with their checkpoint, then it stops', async () => {
    const store = new ReaderStore();
    const uow = new FakeUnitOfWorkProvider();
    const { manager, append } = harness(store, {
      unitOfWork: uow,
      checkpointRepo: uow.checkpoints,
      dlqRepo: undefined,
    });
    await append.ticks('a', 3);
    await append.ticks('x', 1, 'bad');
    const projection = recordingProjection('p');
    const subscription = manager.subscribe(projection, { batchSize: 10 });
    await manager.start();
    await eventually(() => subscription.state === 'error', 2_000, 'the subscription to fail');
    expect(projection.applied.map((call) => call.n)).toEqual([1, 2, 3]);
    expect(await uow.checkpoints.getPosition('p')).toBe(3);
    expect(subscription.lastError?.error).toBeInstanceOf(EventTypeNotFoundError);
  });
});

describe('lag held back by an open transaction (DEF-4)', () => {
  it('without a horizon report: the head beyond the cursor is lag, with a warning', async () => {
    const store = new ReaderStore();
    const { manager, append } = harness(store);
    await append.ticks('a', 2);
    const subscription = manager.subscribe(recordingProjection('p'));
    await manager.start();
    await subscription.whenIdle();
    expect((await subscription.health()).status).toBe('healthy');

    store.holdFrom = 3;
    await append.ticks('b', 3);
    const held = await subscription.health();
    expect(held).toMatchObject({ status: 'degraded', lag: { events: 3, seconds: null } });
    expect(held.warnings).toEqual([
      '3 stored event(s) after the cursor not readable yet: held back by an open transaction',
    ]);

    store.holdFrom = Number.POSITIVE_INFINITY;
    await subscription.whenIdle();
    expect(await subscription.health()).toMatchObject({
      status: 'healthy',
      lag: { events: 0, seconds: 0 },
      warnings: [],
    });
  });

  it('without a horizon report and with a type filter: no verdict on events of other types', async () => {
    const store = new ReaderStore();
    const { manager, append } = harness(store);
    await append.ticks('a', 1);
    const subscription = manager.subscribe(recordingProjection('p', undefined, ['Tick']));
    await manager.start();
    await subscription.whenIdle();
    await append.one('a', 'Tock');
    await append.one('a', 'Tock');
    expect(await subscription.health()).toMatchObject({
      status: 'healthy',
      lag: { events: 0, seconds: 0 },
    });
  });

  it("with the store's horizon report: held-back events are lag; a stall past horizonStallMs is a warning", async () => {
    const store = new HorizonStore();
    const { manager, append } = harness(store);
    await append.ticks('a', 2);
    const subscription = manager.subscribe(recordingProjection('p'), { horizonStallMs: 2_000 });
    await manager.start();
    await subscription.whenIdle();
    store.holdFrom = 3;
    await append.ticks('b', 4);

    store.oldestTransactionAgeMs = 400; // a short hold: lag, not a stall
    let health = await subscription.health();
    expect(health).toMatchObject({ status: 'healthy', lag: { events: 4, seconds: null } });
    expect(store.thresholds.at(-1)).toBe(2_000);

    store.oldestTransactionAgeMs = 2_500;
    health = await subscription.health();
    expect(health).toMatchObject({ status: 'degraded', lag: { events: 4, seconds: null } });
    expect(health.warnings).toEqual([
      '4 committed event(s) held back by an open transaction (open for 2.5 s): the subscription waits for it',
    ]);

    store.holdFrom = Number.POSITIVE_INFINITY;
    await subscription.whenIdle();
    expect(await subscription.health()).toMatchObject({
      status: 'healthy',
      lag: { events: 0, seconds: 0 },
    });
  });
});

describe('the time limit of health checks (DEF-6)', () => {
  it('answers within healthTimeoutMs while the store and the DLQ do not, with null figures and warnings', async () => {
    const store = new ReaderStore();
    const { manager, append, dlq } = harness(store);
    await append.ticks('a', 1);
    const subscription = manager.subscribe(recordingProjection('p'), { healthTimeoutMs: 60 });
    await manager.start();
    await subscription.whenIdle();
    store.hangHead = true;
    dlq.getProjectionDepth = () => new Promise(() => {});

    const started = Date.now();
    const [health, managerHealth] = await Promise.all([subscription.health(), manager.health()]);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(55);
    expect(took).toBeLessThan(1_000);
    expect(health).toMatchObject({
      status: 'degraded',
      lag: { events: null, seconds: null },
      dlq: { depth: null, oldest: null, oldestAgeMs: null },
    });
    expect(health.warnings).toEqual([
      'Lag unknown: the store did not answer within 60 ms',
      'DLQ depth unknown: the DLQ did not answer within 60 ms',
    ]);
    expect(managerHealth.status).toBe('degraded');
    // The subscription itself is untouched by a slow health check.
    expect(subscription.state).toBe('live');
  });

  it('a store that answers in time is reported as usual', async () => {
    const store = new ReaderStore();
    const { manager, append } = harness(store);
    await append.ticks('a', 2);
    const subscription = manager.subscribe(recordingProjection('p'), { healthTimeoutMs: 60_000 });
    const started = Date.now();
    const health = await subscription.health();
    // Far below the limit: the answer did not wait for it (loose enough for a loaded machine).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(health).toMatchObject({ status: 'healthy', lag: { events: 2 } });
  });
});
