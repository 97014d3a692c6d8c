/**
 * Loads aggregates from an event store and saves their new events.
 *
 * @module
 */
import type { AggregateRoot } from './aggregate-root.js';
import type { DomainEvent } from './domain-event.js';
import { AggregateNotFoundError, InvalidConfigError } from './errors.js';
import type { EventStore } from './event-store.js';

/** Anything the repository can treat as an aggregate. */
// biome-ignore lint/suspicious/noExplicitAny: any aggregate state and event type is accepted
export type AnyAggregate = AggregateRoot<any, any>;

/** An aggregate class constructed with the id: `new Task(id)`. */
export type AggregateClass<A extends AnyAggregate> = new (aggregateId: string) => A;

/** A function of the id that returns a new aggregate. */
export type AggregateFactoryFunction<A extends AnyAggregate> = (aggregateId: string) => A;

/** Options of {@link AggregateRepository}. */
export interface AggregateRepositoryOptions<A extends AnyAggregate> {
  /** Where the events live. */
  readonly eventStore: EventStore;
  /** The aggregate class (called with `new`) or a function of the id. */
  readonly aggregateFactory: AggregateClass<A> | AggregateFactoryFunction<A>;
  /** The aggregate type of the streams, for example `'Task'`. */
  readonly aggregateType: string;
}

/**
 * True for a `class` (its `prototype` property is non-writable, unlike a plain function's) or for
 * a function whose prototype is an {@link AggregateRoot} (transpiled classes).
 */
function isConstructor(fn: (...args: never[]) => unknown): boolean {
  const descriptor = Object.getOwnPropertyDescriptor(fn, 'prototype');
  if (descriptor === undefined) return false; // arrow functions and methods
  if (descriptor.writable === false) return true; // `class` syntax
  const proto: unknown = descriptor.value;
  return (
    typeof proto === 'object' &&
    proto !== null &&
    typeof (proto as { applyEvent?: unknown }).applyEvent === 'function'
  );
}

/**
 * Loads aggregates by replaying their stream and saves their uncommitted events with optimistic
 * concurrency.
 *
 * @example
 * ```ts
 * const repo = new AggregateRepository({ eventStore, aggregateFactory: Task, aggregateType: 'Task' });
 * const task = await repo.load(taskId);
 * task.complete(userId);
 * await repo.save(task); // OptimisticLockError if someone saved in between
 * ```
 */
export class AggregateRepository<A extends AnyAggregate> {
  /** The store. */
  readonly eventStore: EventStore;
  /** The aggregate type of the streams. */
  readonly aggregateType: string;
  readonly #create: (aggregateId: string) => A;

  /**
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when an option is missing or of the wrong kind.
   */
  constructor(options: AggregateRepositoryOptions<A>) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidConfigError('AggregateRepository.options', 'must be an object', options);
    }
    const { eventStore, aggregateFactory, aggregateType } = options;
    if (
      typeof eventStore !== 'object' ||
      eventStore === null ||
      typeof eventStore.appendEvents !== 'function' ||
      typeof eventStore.getEvents !== 'function'
    ) {
      throw new InvalidConfigError(
        'AggregateRepository.eventStore',
        'must implement EventStore (appendEvents, getEvents)',
        eventStore,
      );
    }
    if (typeof aggregateFactory !== 'function') {
      throw new InvalidConfigError(
        'AggregateRepository.aggregateFactory',
        'must be an aggregate class or a function of the id',
        aggregateFactory,
      );
    }
    if (typeof aggregateType !== 'string' || aggregateType.length === 0) {
      throw new InvalidConfigError(
        'AggregateRepository.aggregateType',
        'must be a non-empty string',
        aggregateType,
      );
    }
    this.eventStore = eventStore;
    this.aggregateType = aggregateType;
    const factory = aggregateFactory as (...args: never[]) => unknown;
    this.#create = isConstructor(factory)
      ? (id) => new (aggregateFactory as AggregateClass<A>)(id)
      : (id) => (aggregateFactory as AggregateFactoryFunction<A>)(id);
  }

  /**
   * A new, empty aggregate (version 0). Nothing is stored until {@link AggregateRepository.save}.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when the factory does not return an aggregate
   * with that id.
   */
  createNew(aggregateId: string): A {
    const aggregate = this.#create(aggregateId);
    if (
      typeof aggregate !== 'object' ||
      aggregate === null ||
      typeof aggregate.loadFromHistory !== 'function' ||
      aggregate.aggregateId !== aggregateId
    ) {
      throw new InvalidConfigError(
        'AggregateRepository.aggregateFactory',
        'must return an AggregateRoot with the given aggregateId',
        aggregate,
      );
    }
    return aggregate;
  }

  /**
   * Loads an aggregate by replaying its events.
   *
   * @throws {AggregateNotFoundError} ES_AGGREGATE_NOT_FOUND when the stream has no events.
   */
  async load(aggregateId: string): Promise<A> {
    const aggregate = await this.#loadOrNull(aggregateId);
    if (aggregate === null) throw new AggregateNotFoundError(aggregateId, this.aggregateType);
    return aggregate;
  }

  /** Loads the aggregate, or returns a new one (version 0) when it has no events. */
  async loadOrCreate(aggregateId: string): Promise<A> {
    return (await this.#loadOrNull(aggregateId)) ?? this.createNew(aggregateId);
  }

  /**
   * Appends the aggregate's uncommitted events with expected version
   * `version - uncommittedEvents.length`, then marks them committed.
   *
   * Does nothing when there are no uncommitted events. On a conflict the store's
   * `OptimisticLockError` propagates unchanged and the aggregate keeps its uncommitted events (and
   * its state): reload and retry the command.
   *
   * @throws {OptimisticLockError} ES_OPTIMISTIC_LOCK when the stream moved since the aggregate was loaded.
   */
  async save(aggregate: A): Promise<void> {
    const events = aggregate.uncommittedEvents as readonly DomainEvent[];
    if (events.length === 0) return;
    const expectedVersion = aggregate.version - events.length;
    await this.eventStore.appendEvents(
      aggregate.aggregateId,
      this.aggregateType,
      events,
      expectedVersion,
    );
    aggregate.markEventsAsCommitted(events.length);
  }

  /** True when the aggregate has at least one event. */
  async exists(aggregateId: string): Promise<boolean> {
    const stream = await this.eventStore.getEvents(aggregateId, this.aggregateType);
    return stream.events.length > 0;
  }

  /** The aggregate's stored version; 0 when it has no events. */
  async getVersion(aggregateId: string): Promise<number> {
    const stream = await this.eventStore.getEvents(aggregateId, this.aggregateType);
    return stream.version;
  }

  async #loadOrNull(aggregateId: string): Promise<A | null> {
    const stream = await this.eventStore.getEvents(aggregateId, this.aggregateType);
    if (stream.events.length === 0) return null;
    const aggregate = this.createNew(aggregateId);
    aggregate.loadFromHistory(stream.events);
    return aggregate;
  }
}
