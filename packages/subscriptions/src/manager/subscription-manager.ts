/**
 * {@link SubscriptionManager}: runs projections against the event store — catch-up, live,
 * failure handling, checkpoints, per-stream DLQ ordering, redrive and health.
 *
 * @module
 */
import type { AppendNotification, DomainEvent, EventBus, EventStore } from '@es/core';
import { deserializeEvent } from '@es/core';
import type { DLQRepository } from '@es/dlq';
import {
  CircuitBreakerConfig,
  defaultClassifier,
  type ErrorClassifier,
  RetryConfig,
  type RetryConfigOptions,
} from '@es/resilience';
import type { CheckpointRepository } from '../checkpoint-repository.js';
import { ErrorHandlingConfig, type ErrorHandlingConfigOptions } from '../error-handling-config.js';
import { ErrorHandlingStrategy } from '../error-handling-strategy.js';
import {
  EventBusConnectionError,
  SubscriptionAlreadyExistsError,
  SubscriptionConfigError,
  SubscriptionStateError,
} from '../errors.js';
import { type EventSerializer, toEventData } from '../event-data.js';
import type { ErrorCallback, Unsubscribe } from '../subscription-error-handler.js';
import type { UnitOfWorkProvider } from '../unit-of-work.js';
import type { HealthStatus, ManagerHealth } from './health.js';
import { type SubscriptionLogger, toLogger } from './logger.js';
import type { Projection } from './projection.js';
import { Subscription, type SubscriptionRuntime } from './subscription.js';
import {
  type CircuitBreakerConfigInput,
  nested,
  resolveSubscriptionConfig,
  type SubscriptionConfig,
} from './subscription-config.js';

/** Options of {@link SubscriptionManager}. */
export interface SubscriptionManagerOptions<TTransaction = unknown> {
  /** Where events are read from. */
  readonly eventStore: EventStore;
  /** Where subscriptions keep their checkpoints (compare-and-set). */
  readonly checkpointRepo: CheckpointRepository;
  /** Where failed and parked events go. Without one, a `dlq` action stops the subscription before the event. */
  readonly dlqRepo?: DLQRepository | undefined;
  /** Wakes live subscriptions when events are appended; without one they poll. */
  readonly eventBus?: EventBus | undefined;
  /** Classifies errors for the error handlers and the breakers. Default: `defaultClassifier`. */
  readonly classifier?: Pick<ErrorClassifier, 'classify'> | undefined;
  /** The default error handling of every subscription (each may override it). Default: retry then DLQ. */
  readonly errorHandling?: ErrorHandlingConfig | ErrorHandlingConfigOptions | undefined;
  /**
   * Runs each batch in a transaction with the handler writes, DLQ entries and checkpoint
   * (exactly-once effects on PostgreSQL: `PostgresUnitOfWorkProvider`).
   */
  readonly unitOfWork?: UnitOfWorkProvider<TTransaction> | undefined;
  /** How often a live subscription polls the store when no notification arrives, in ms. Default 100. */
  readonly pollIntervalMs?: number | undefined;
  /** How long `stop()` waits for a handler call in flight, in ms. Default 10000. */
  readonly shutdownTimeoutMs?: number | undefined;
  /** Milliseconds since the epoch; drives breakers, timeouts, health and the error handlers. Default `Date.now`. */
  readonly clock?: (() => number) | undefined;
  /**
   * The breaker around reads, checkpoint writes and DLQ writes (one per subscription). Default
   * `{ failureThreshold: 5, recoveryTimeoutMs: 10000 }`.
   */
  readonly infrastructureBreaker?: CircuitBreakerConfigInput | undefined;
  /**
   * The backoff between attempts of a failed infrastructure operation. `maxRetries` is ignored:
   * infrastructure operations are retried until they succeed or the subscription stops. Default
   * `{ initialDelayMs: 100, maxDelayMs: 5000, jitter: 0.1 }`.
   */
  readonly infrastructureRetry?: RetryConfig | RetryConfigOptions | undefined;
  /**
   * The default breaker around handler calls, or `false` for none. Counts transient and
   * infrastructure errors only (unless its `isFailure` says otherwise). Default
   * `new CircuitBreakerConfig()` (5 failures, 30 s).
   */
  readonly handlerBreaker?: CircuitBreakerConfigInput | false | undefined;
  /** Turns an event into the `eventData` of DLQ entries. Default: a JSON-safe copy (`toEventData`). */
  readonly serialize?: EventSerializer | undefined;
  /** Turns a DLQ entry's `eventData` back into an event for redrive. Default: `deserializeEvent` of `@es/core`. */
  readonly deserialize?: ((data: Readonly<Record<string, unknown>>) => DomainEvent) | undefined;
  /** Where the manager reports what it does. Default: silent. */
  readonly logger?: Partial<SubscriptionLogger> | undefined;
}

/** Default `pollIntervalMs`. */
export const DEFAULT_POLL_INTERVAL_MS = 100;
/** Default `shutdownTimeoutMs`. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
const MAX_TIMER_MS = 2_147_483_647;

type ManagerStatus = 'idle' | 'running' | 'stopping' | 'stopped';

const STATUS_RANK: Readonly<Record<HealthStatus, number>> = {
  healthy: 0,
  degraded: 1,
  unhealthy: 2,
};

/**
 * Runs projections against an event store. Each `subscribe`d projection gets a
 * {@link Subscription} that catches up from its checkpoint in batches, then goes live on the same
 * cursor — woken by the event bus, or by polling — without a gap or a duplicate at the switch.
 * Every handler failure goes through the subscription's `SubscriptionErrorHandler` and ends in
 * exactly one fate: processed, dead-lettered (later events of its stream parked behind it),
 * skipped-and-recorded (only where the strategy says so), or the subscription stopped before it.
 *
 * @throws {SubscriptionConfigError} ES_SUBSCRIPTION_CONFIG from the constructor when an option is
 * invalid (the error names the field).
 * @example
 * ```ts
 * const store = new InMemoryEventStore({ eventBus: bus });
 * const manager = new SubscriptionManager({
 *   eventStore: store,
 *   eventBus: bus,
 *   checkpointRepo: new InMemoryCheckpointRepository(),
 *   dlqRepo: new InMemoryDLQRepository(),
 * });
 * manager.subscribe({
 *   name: 'task-list',
 *   eventTypes: ['TaskCreated'],
 *   async handle(event) {
 *     console.log('task created', event.aggregateId);
 *   },
 * });
 * await manager.start();
 * // …
 * await manager.stop();
 * ```
 */
export class SubscriptionManager<TTransaction = unknown> {
  private readonly runtime: SubscriptionRuntime;
  private readonly eventBus: EventBus | undefined;
  private readonly defaultErrorHandling: ErrorHandlingConfig;
  private readonly defaultHandlerBreaker: CircuitBreakerConfig | false;
  private readonly subs = new Map<string, Subscription<TTransaction>>();
  private readonly errorCallbacks = new Map<ErrorCallback, Unsubscribe[]>();
  private status: ManagerStatus = 'idle';
  private unsubscribeBus: (() => void) | undefined;
  private stopPromise: Promise<void> | undefined;

  private readonly onAppend = (notification: AppendNotification): void => {
    const events = notification?.events ?? [];
    for (const subscription of this.subs.values()) subscription.notify(events);
  };

  constructor(options: SubscriptionManagerOptions<TTransaction>) {
    if (typeof options !== 'object' || options === null) {
      throw new SubscriptionConfigError(
        'SubscriptionManagerOptions',
        'must be an options object',
        options,
      );
    }
    const field = (name: string) => `SubscriptionManagerOptions.${name}`;
    requireMethods(options.eventStore, field('eventStore'), ['readAll', 'getGlobalPosition']);
    requireMethods(options.checkpointRepo, field('checkpointRepo'), [
      'getPosition',
      'savePosition',
      'resetCheckpoint',
    ]);
    if (options.dlqRepo !== undefined) {
      requireMethods(options.dlqRepo, field('dlqRepo'), [
        'addFailedEvent',
        'getBlockedStreams',
        'getProjectionDepth',
      ]);
    }
    if (options.eventBus !== undefined)
      requireMethods(options.eventBus, field('eventBus'), ['subscribe']);
    if (options.unitOfWork !== undefined) {
      requireMethods(options.unitOfWork, field('unitOfWork'), ['runInTransaction']);
    }
    if (options.classifier !== undefined)
      requireMethods(options.classifier, field('classifier'), ['classify']);
    for (const name of ['clock', 'serialize', 'deserialize'] as const) {
      const value = options[name];
      if (value !== undefined && typeof value !== 'function') {
        throw new SubscriptionConfigError(field(name), 'must be a function', value);
      }
    }
    const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 1 || pollIntervalMs > MAX_TIMER_MS) {
      throw new SubscriptionConfigError(
        field('pollIntervalMs'),
        `must be a finite number >= 1 and <= ${MAX_TIMER_MS}`,
        pollIntervalMs,
      );
    }
    const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    if (
      !Number.isFinite(shutdownTimeoutMs) ||
      shutdownTimeoutMs < 0 ||
      shutdownTimeoutMs > MAX_TIMER_MS
    ) {
      throw new SubscriptionConfigError(
        field('shutdownTimeoutMs'),
        `must be a finite number >= 0 and <= ${MAX_TIMER_MS}`,
        shutdownTimeoutMs,
      );
    }
    const infrastructureBreaker = nested(field('infrastructureBreaker'), undefined, () =>
      CircuitBreakerConfig.from(
        options.infrastructureBreaker ?? { failureThreshold: 5, recoveryTimeoutMs: 10_000 },
      ),
    );
    const infrastructureRetry = nested(field('infrastructureRetry'), undefined, () =>
      RetryConfig.from(
        options.infrastructureRetry ?? {
          maxRetries: 0,
          initialDelayMs: 100,
          maxDelayMs: 5_000,
          jitter: 0.1,
        },
      ),
    );
    this.defaultHandlerBreaker =
      options.handlerBreaker === false
        ? false
        : nested(field('handlerBreaker'), undefined, () =>
            CircuitBreakerConfig.from(options.handlerBreaker || undefined),
          );
    this.defaultErrorHandling = nested(field('errorHandling'), undefined, () =>
      ErrorHandlingConfig.from(options.errorHandling),
    );
    this.eventBus = options.eventBus;
    this.runtime = {
      eventStore: options.eventStore,
      checkpointRepo: options.checkpointRepo,
      dlqRepo: options.dlqRepo,
      unitOfWork: options.unitOfWork as UnitOfWorkProvider | undefined,
      classifier: options.classifier ?? defaultClassifier,
      clock: options.clock ?? Date.now,
      pollIntervalMs,
      shutdownTimeoutMs,
      logger: toLogger(options.logger),
      infrastructureBreaker,
      infrastructureRetry,
      serialize: options.serialize ?? toEventData,
      deserialize: options.deserialize ?? deserializeEvent,
    };
  }

  /** True between {@link SubscriptionManager.start} and {@link SubscriptionManager.stop}. */
  get running(): boolean {
    return this.status === 'running';
  }

  /** The subscriptions, in the order they were subscribed. */
  get subscriptions(): readonly Subscription<TTransaction>[] {
    return [...this.subs.values()];
  }

  /** One subscription by id, or undefined. */
  getSubscription(id: string): Subscription<TTransaction> | undefined {
    return this.subs.get(id);
  }

  /**
   * Registers a projection. The subscription id is `config.id`, else the projection's name. On a
   * running manager the subscription starts right away.
   *
   * @throws {SubscriptionConfigError} ES_SUBSCRIPTION_CONFIG naming the invalid field.
   * @throws {SubscriptionAlreadyExistsError} ES_SUBSCRIPTION_ALREADY_EXISTS for a duplicate id.
   * @throws {SubscriptionStateError} ES_SUBSCRIPTION_STATE when the manager is stopping or stopped.
   * @example
   * ```ts
   * const subscription = manager.subscribe(projection, {
   *   startFrom: 'beginning',
   *   errorHandling: { strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ, retry: { maxRetries: 3 } },
   * });
   * ```
   */
  subscribe<TEvent extends DomainEvent = DomainEvent>(
    projection: Projection<TEvent, TTransaction>,
    config?: SubscriptionConfig,
  ): Subscription<TTransaction> {
    if (this.status === 'stopping' || this.status === 'stopped') {
      throw new SubscriptionStateError('Cannot subscribe: the manager is stopped', {
        operation: 'subscribe',
        subscriptionName: config?.id ?? projection?.name,
      });
    }
    const resolved = resolveSubscriptionConfig(projection as unknown as Projection, config, {
      errorHandling: this.defaultErrorHandling,
      handlerBreaker: this.defaultHandlerBreaker,
    });
    if (this.subs.has(resolved.id)) throw new SubscriptionAlreadyExistsError(resolved.id);
    const subscription = new Subscription<TTransaction>(
      projection as unknown as Projection<DomainEvent, TTransaction>,
      resolved,
      this.runtime,
    );
    this.subs.set(resolved.id, subscription);
    for (const [callback, unsubscribes] of this.errorCallbacks) {
      unsubscribes.push(subscription.onError(callback));
    }
    const { strategy, dlqEnabled } = resolved.errorHandling;
    if (
      dlqEnabled &&
      (strategy === ErrorHandlingStrategy.RETRY_THEN_DLQ ||
        strategy === ErrorHandlingStrategy.DLQ_ONLY) &&
      this.runtime.dlqRepo === undefined &&
      this.runtime.unitOfWork === undefined
    ) {
      this.runtime.logger.warn(
        'Subscription may dead-letter events but the manager has no dlqRepo: a dead-letter will stop it',
        { subscriptionId: resolved.id, strategy },
      );
    }
    if (this.status === 'running') {
      void subscription.start();
    }
    return subscription;
  }

  /**
   * Starts every subscription (and those subscribed later). Resolves once each has resolved its
   * start position; catching up continues in the background (see `whenIdle`). Calling it on a
   * running manager does nothing.
   *
   * @throws {SubscriptionStateError} ES_SUBSCRIPTION_STATE when the manager was stopped.
   */
  async start(): Promise<void> {
    if (this.status === 'running') return;
    if (this.status !== 'idle') {
      throw new SubscriptionStateError('Cannot start a stopped manager; create a new one', {
        operation: 'start',
      });
    }
    this.status = 'running';
    if (this.eventBus !== undefined) {
      try {
        this.unsubscribeBus = this.eventBus.subscribe(this.onAppend);
      } catch (error) {
        const wrapped = new EventBusConnectionError(
          'Could not subscribe to the event bus; polling only',
          {
            cause: error,
          },
        );
        this.runtime.logger.error(wrapped.message, { error: wrapped });
      }
    }
    await Promise.all([...this.subs.values()].map((subscription) => subscription.start()));
  }

  /**
   * Stops every subscription (see `Subscription.stop`: in-flight handler calls get up to
   * `shutdownTimeoutMs`, backoffs end at once, checkpoints are flushed). Idempotent; resolves on a
   * manager that never started. A stopped manager cannot be started again.
   */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  /** Pauses every running subscription; resolves when all are quiet. */
  async pause(): Promise<void> {
    await Promise.all(
      [...this.subs.values()].filter(isActive).map((subscription) => subscription.pause()),
    );
  }

  /** Resumes every paused subscription. */
  resume(): void {
    for (const subscription of this.subs.values())
      if (isActive(subscription)) subscription.resume();
  }

  /** Resolves when every subscription is caught up with what is stored now (or halted). */
  async whenIdle(): Promise<void> {
    await Promise.all([...this.subs.values()].map((subscription) => subscription.whenIdle()));
  }

  /**
   * Calls `callback` for the handled errors of every subscription, present and future (that pass
   * each handler's severity gate).
   *
   * @returns a function that removes the callback everywhere
   */
  onError(callback: ErrorCallback): Unsubscribe {
    if (typeof callback !== 'function') {
      throw new SubscriptionConfigError('onError.callback', 'must be a function', callback);
    }
    const unsubscribes = [...this.subs.values()].map((subscription) =>
      subscription.onError(callback),
    );
    this.errorCallbacks.set(callback, unsubscribes);
    return () => {
      const registered = this.errorCallbacks.get(callback);
      if (registered === undefined) return;
      this.errorCallbacks.delete(callback);
      for (const unsubscribe of registered) unsubscribe();
    };
  }

  /**
   * The health of every subscription and the worst status among them. The subscriptions are
   * checked at once, each within its `healthTimeoutMs`, so the answer comes within the longest of
   * them even while the store or the DLQ does not answer (those figures are then null, with a
   * warning).
   */
  async health(): Promise<ManagerHealth> {
    const subscriptions = await Promise.all(
      [...this.subs.values()].map((subscription) => subscription.health()),
    );
    let status: HealthStatus = 'healthy';
    for (const health of subscriptions) {
      if (STATUS_RANK[health.status] > STATUS_RANK[status]) status = health.status;
    }
    return {
      status,
      healthy: status !== 'unhealthy',
      running: this.status === 'running',
      subscriptions,
      checkedAt: new Date(this.runtime.clock()),
    };
  }

  private async doStop(): Promise<void> {
    const wasRunning = this.status === 'running';
    this.status = 'stopping';
    this.unsubscribeBus?.();
    this.unsubscribeBus = undefined;
    await Promise.all([...this.subs.values()].map((subscription) => subscription.stop()));
    this.status = 'stopped';
    if (wasRunning)
      this.runtime.logger.info('Subscription manager stopped', { subscriptions: this.subs.size });
  }
}

function isActive(subscription: Subscription<unknown>): boolean {
  return subscription.state !== 'stopped' && subscription.state !== 'error';
}

function requireMethods(value: unknown, field: string, methods: readonly string[]): void {
  if (typeof value !== 'object' || value === null) {
    throw new SubscriptionConfigError(field, 'is required (an object)', value);
  }
  for (const method of methods) {
    if (typeof (value as Record<string, unknown>)[method] !== 'function') {
      throw new SubscriptionConfigError(field, `must have a ${method}() method`, value);
    }
  }
}
