/**
 * The in-memory side of the suite: a manager on the in-memory backends, a projection that records
 * its applications in a {@link History}, and the DLQ read back as fates.
 *
 * @module
 */
import {
  type DomainEvent,
  type EventRegistry,
  InMemoryEventBus,
  InMemoryEventStore,
} from '@es/core';
import { ALL_DLQ_STATUSES, type DLQRepository, InMemoryDLQRepository } from '@es/dlq';
import { ConnectionError, KeyError } from '@es/resilience';
import {
  InMemoryCheckpointRepository,
  type Projection,
  type ProjectionContext,
  type Subscription,
  SubscriptionManager,
  type SubscriptionManagerOptions,
} from '@es/subscriptions';
import type { FateRecord, History } from '../history/history.js';
import { behaviourOf } from './events.js';

/** The in-memory backends and a manager factory with fast test defaults. */
export interface MemoryStack {
  readonly store: InMemoryEventStore;
  readonly bus: InMemoryEventBus;
  readonly dlq: InMemoryDLQRepository;
  readonly checkpoints: InMemoryCheckpointRepository;
  manager(options?: Partial<SubscriptionManagerOptions>): SubscriptionManager;
}

/** Options of {@link memoryStack}. */
export interface MemoryStackOptions {
  /** Wire the event bus (default true). */
  readonly withBus?: boolean;
  /** Round-trip every append through this registry, as a database would. */
  readonly registry?: EventRegistry;
  readonly clock?: () => number;
}

/** Builds a {@link MemoryStack}. */
export function memoryStack(options: MemoryStackOptions = {}): MemoryStack {
  const bus = new InMemoryEventBus();
  const withBus = options.withBus ?? true;
  const store = new InMemoryEventStore({
    ...(withBus ? { eventBus: bus } : {}),
    ...(options.registry === undefined ? {} : { registry: options.registry }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const dlq = new InMemoryDLQRepository(
    options.clock === undefined ? {} : { clock: options.clock },
  );
  const checkpoints = new InMemoryCheckpointRepository(
    options.clock === undefined ? {} : { clock: options.clock },
  );
  return {
    store,
    bus,
    dlq,
    checkpoints,
    manager: (overrides = {}) =>
      new SubscriptionManager({
        eventStore: store,
        checkpointRepo: checkpoints,
        dlqRepo: dlq,
        ...(withBus ? { eventBus: bus } : {}),
        pollIntervalMs: 5,
        shutdownTimeoutMs: 1_000,
        infrastructureRetry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 5, jitter: 0 },
        infrastructureBreaker: { failureThreshold: 5, recoveryTimeoutMs: 50 },
        handlerBreaker: false,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...overrides,
      }),
  };
}

/** How a recording projection decides to fail, per call. */
export type FailurePolicy = (event: DomainEvent, context: ProjectionContext) => unknown;

/**
 * The default failure policy: `poison` events throw a non-retryable `KeyError`, `flaky` events a
 * transient `ConnectionError` on their first `failTimes` attempts.
 */
export const behaviourPolicy: FailurePolicy = (event, context) => {
  const behaviour = behaviourOf(event);
  if (behaviour === 'poison') return new KeyError(`poison event ${event.eventId}`);
  if (behaviour === 'flaky') {
    const failTimes = Number((event as { failTimes?: unknown }).failTimes ?? 1);
    if (context.attempt < failTimes) return new ConnectionError(`flaky attempt ${context.attempt}`);
  }
  return undefined;
};

/** A projection that records every successful application as an `applied` fate. */
export interface RecordingProjection extends Projection {
  /** Every call: event id, attempt, redrive flag. */
  readonly calls: { eventId: string; attempt: number; redrive: boolean; at: number }[];
}

/**
 * A projection named `name` that applies events by recording them in `history` (in call order),
 * failing as `policy` says (default {@link behaviourPolicy}). Each successful call is one fate.
 */
export function recordingProjection(
  name: string,
  history: History,
  options: {
    readonly policy?: FailurePolicy;
    readonly eventTypes?: readonly string[];
    readonly clock?: () => number;
    /** Awaited before the policy (to slow the handler or interleave). */
    readonly before?: (event: DomainEvent, context: ProjectionContext) => Promise<void> | void;
  } = {},
): RecordingProjection {
  const policy = options.policy ?? behaviourPolicy;
  const clock = options.clock ?? Date.now;
  const calls: RecordingProjection['calls'] = [];
  let seq = 0;
  return {
    name,
    calls,
    ...(options.eventTypes === undefined ? {} : { eventTypes: options.eventTypes }),
    async handle(event, context) {
      calls.push({
        eventId: event.eventId,
        attempt: context.attempt,
        redrive: context.redrive,
        at: clock(),
      });
      await options.before?.(event, context);
      const error = policy(event, context);
      if (error !== undefined) throw error;
      history.fate({
        subscriber: context.subscriptionId,
        eventId: event.eventId,
        fate: 'applied',
        seq: ++seq,
        streamId: event.aggregateId,
        version: event.aggregateVersion,
        redrive: context.redrive,
      });
    },
  };
}

/** Records `skip` decisions of a subscription as `skipped` fates (needs `notifyOnSeverity: 'low'`). */
export function recordSkips(subscription: Subscription, history: History): () => void {
  return subscription.onError((info) => {
    if (info.action === 'skip') {
      history.fate({ subscriber: subscription.id, eventId: info.eventId, fate: 'skipped' });
    }
  });
}

/** The DLQ entries of `subscriber` as fates (`parked` → parked, every other status → dead-lettered). */
export async function dlqFates(dlq: DLQRepository, subscriber: string): Promise<FateRecord[]> {
  const fates: FateRecord[] = [];
  let after: Awaited<ReturnType<DLQRepository['listEntries']>>[number] | undefined;
  for (;;) {
    const page = await dlq.listEntries({
      projectionName: subscriber,
      statuses: ALL_DLQ_STATUSES,
      limit: 500,
      ...(after === undefined ? {} : { after }),
    });
    for (const entry of page) {
      fates.push({
        subscriber,
        eventId: entry.eventId,
        fate: entry.status === 'parked' ? 'parked' : 'dead-lettered',
        ...(entry.streamId === null ? {} : { streamId: entry.streamId }),
        ...(entry.streamPosition === null ? {} : { version: entry.streamPosition }),
      });
    }
    if (page.length < 500) return fates;
    after = page.at(-1);
  }
}

/** The store's events in cursor order, for the checker. */
export async function memoryStored(
  store: InMemoryEventStore,
): Promise<{ eventId: string; streamId: string; version: number }[]> {
  const out: { eventId: string; streamId: string; version: number }[] = [];
  for await (const stored of store.readAll()) {
    out.push({
      eventId: stored.event.eventId,
      streamId: stored.event.aggregateId,
      version: stored.event.aggregateVersion,
    });
  }
  return out;
}
