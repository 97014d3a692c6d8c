/**
 * Test harness for the SubscriptionManager: real in-memory backends, event definitions, a
 * recording projection and helpers to append events and wait for conditions.
 */
import {
  type DomainEvent,
  defineEvent,
  type EventStore,
  InMemoryEventBus,
  InMemoryEventStore,
  payload,
  type ReadAllOptions,
  type StoredEvent,
} from '@es/core';
import { type DLQRepository, InMemoryDLQRepository } from '@es/dlq';
import { InMemoryCheckpointRepository } from '../../src/in-memory-checkpoint-repository.js';
import type { Projection, ProjectionContext } from '../../src/manager/projection.js';
import {
  SubscriptionManager,
  type SubscriptionManagerOptions,
} from '../../src/manager/subscription-manager.js';

/** The event most tests append. Registered in the default registry (redrive deserializes it). */
export const Tick = defineEvent('Tick', {
  aggregateType: 'Counter',
  payload: payload<{ n: number; tag?: string }>(),
});

/** A second event type, for filters. */
export const Tock = defineEvent('Tock', {
  aggregateType: 'Counter',
  payload: payload<{ n: number }>(),
});

/** Appends events to streams with consecutive versions. */
export class Appender {
  private readonly versions = new Map<string, number>();
  private n = 0;

  constructor(readonly store: EventStore) {}

  /** Appends `count` Tick events to `stream` (one append call per event). */
  async ticks(stream: string, count = 1, tag?: string): Promise<void> {
    for (let i = 0; i < count; i++) await this.one(stream, 'Tick', tag);
  }

  /** Appends one event of `type` to `stream`. */
  async one(stream: string, type: 'Tick' | 'Tock' = 'Tick', tag?: string): Promise<DomainEvent> {
    const version = (this.versions.get(stream) ?? 0) + 1;
    this.versions.set(stream, version);
    const n = ++this.n;
    const event =
      type === 'Tick'
        ? Tick.create({
            aggregateId: stream,
            aggregateVersion: version,
            n,
            ...(tag === undefined ? {} : { tag }),
          })
        : Tock.create({ aggregateId: stream, aggregateVersion: version, n });
    await this.store.appendEvents(stream, 'Counter', [event], version - 1);
    return event;
  }

  /** Appends `events` events spread round-robin over `streams` streams (one append per event). */
  async spread(events: number, streams: number): Promise<void> {
    for (let i = 0; i < events; i++) await this.one(`s${i % streams}`);
  }
}

/** One call of a recording projection. */
export interface HandledCall {
  readonly eventId: string;
  readonly stream: string;
  readonly version: number;
  readonly n: number;
  readonly attempt: number;
  readonly redrive: boolean;
  readonly globalPosition: number | null;
}

/**
 * A projection that records every call and every successful application, and fails as `behaviour`
 * says. `behaviour` returns nothing to succeed, throws/rejects to fail, or returns a promise.
 */
export function recordingProjection(
  name: string,
  behaviour?: (event: DomainEvent, context: ProjectionContext) => void | Promise<void>,
  eventTypes?: readonly string[],
): Projection & { calls: HandledCall[]; applied: HandledCall[] } {
  const calls: HandledCall[] = [];
  const applied: HandledCall[] = [];
  return {
    name,
    ...(eventTypes === undefined ? {} : { eventTypes }),
    calls,
    applied,
    async handle(event, context) {
      const call: HandledCall = {
        eventId: event.eventId,
        stream: event.aggregateId,
        version: event.aggregateVersion,
        n: (event as unknown as { n: number }).n,
        attempt: context.attempt,
        redrive: context.redrive,
        globalPosition: context.redrive ? null : context.storedEvent.globalPosition,
      };
      calls.push(call);
      if (behaviour !== undefined) await behaviour(event, context);
      applied.push(call);
    },
  };
}

/** A zero-delay retry config: retries without waiting (tests and benchmarks). */
export function instantRetry(maxRetries: number) {
  return { maxRetries, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 };
}

export interface Harness {
  readonly store: InMemoryEventStore;
  readonly bus: InMemoryEventBus;
  readonly checkpoints: InMemoryCheckpointRepository;
  readonly dlq: InMemoryDLQRepository;
  readonly append: Appender;
  readonly manager: SubscriptionManager;
}

/** Builds a manager on fresh in-memory backends. `options` override the manager options. */
export function createHarness(
  options: Partial<SubscriptionManagerOptions> & {
    withBus?: boolean;
    store?: InMemoryEventStore;
  } = {},
): Harness {
  const { withBus = true, store: givenStore, ...rest } = options;
  const bus = new InMemoryEventBus();
  const store = givenStore ?? new InMemoryEventStore(withBus ? { eventBus: bus } : {});
  const checkpoints = new InMemoryCheckpointRepository();
  const dlq = new InMemoryDLQRepository();
  const manager = new SubscriptionManager({
    eventStore: store,
    checkpointRepo: checkpoints,
    dlqRepo: dlq,
    ...(withBus ? { eventBus: bus } : {}),
    pollIntervalMs: 5,
    shutdownTimeoutMs: 1_000,
    infrastructureRetry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 5, jitter: 0 },
    handlerBreaker: false,
    ...rest,
  });
  return { store, bus, checkpoints, dlq, append: new Appender(store), manager };
}

/** Polls `condition` every few ms until it holds (fails after `timeoutMs`). */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 2_000,
  message = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** A deferred promise, for handlers that wait for the test. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Wraps a store so its reads can be made to fail (`failReads`), counted, or observed.
 */
export class FlakyStore implements EventStore {
  readCalls: ReadAllOptions[] = [];
  failReads = 0;
  failForever = false;
  error: () => unknown = () => new Error('read failed');

  constructor(readonly inner: InMemoryEventStore) {}

  appendEvents(...args: Parameters<EventStore['appendEvents']>) {
    return this.inner.appendEvents(...args);
  }

  getEvents(...args: Parameters<EventStore['getEvents']>) {
    return this.inner.getEvents(...args);
  }

  getGlobalPosition() {
    return this.inner.getGlobalPosition();
  }

  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent> {
    this.readCalls.push({ ...options });
    if (this.failForever || this.failReads > 0) {
      if (this.failReads > 0) this.failReads--;
      const error = this.error();
      return {
        [Symbol.asyncIterator]: () => ({
          next: () => Promise.reject(error),
        }),
      };
    }
    return this.inner.readAll(options);
  }
}

/** Delegates to a DLQ repository; `failAdds` makes the next writes fail with `error()`. */
export function flakyDlq(
  inner: DLQRepository,
): DLQRepository & { failAdds: number; error: () => unknown } {
  const wrapper = {
    failAdds: 0,
    error: (): unknown => new Error('DLQ write failed'),
  } as DLQRepository & { failAdds: number; error: () => unknown };
  const methods: (keyof DLQRepository)[] = [
    'getFailedEvents',
    'getFailedEventById',
    'markRetrying',
    'markResolved',
    'markDiscarded',
    'getFailureStats',
    'getProjectionFailureCounts',
    'deleteResolvedEvents',
    'listEntries',
    'getBlockedStreams',
    'getProjectionDepth',
  ];
  for (const method of methods) {
    (wrapper as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
      (inner[method] as (...a: unknown[]) => unknown).apply(inner, args);
  }
  wrapper.addFailedEvent = async (input) => {
    if (wrapper.failAdds > 0) {
      wrapper.failAdds--;
      throw wrapper.error();
    }
    return inner.addFailedEvent(input);
  };
  return wrapper;
}
