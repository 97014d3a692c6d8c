/**
 * The base class of event-sourced aggregates.
 *
 * @module
 */
import { AggregateMismatchError } from './aggregate-mismatch-error.js';
import type { DomainEvent } from './domain-event.js';
import { EventVersionError, InvalidConfigError } from './errors.js';
import type { EnvelopeInput, EventDefinition, TypedEvent } from './event-definition.js';

/** The `create()` fields of a definition without the ones {@link AggregateRoot.raiseEvent} fills. */
export type RaiseEventFields<TInput extends object> = Omit<
  EnvelopeInput,
  'aggregateId' | 'aggregateVersion'
> &
  TInput;

/**
 * An event-sourced aggregate: its state is the fold of its events.
 *
 * Subclasses implement {@link AggregateRoot.apply} (which replaces `this.state`, the only writer
 * of it) and command methods that validate first and throw (a plain `Error` or
 * `CommandRejectedError`) before applying any event.
 *
 * `applyEvent` is all-or-nothing: if `apply` throws, the version and the state are restored and the
 * event is not recorded. That holds as long as `apply` replaces `this.state` instead of mutating
 * the current state object in place (treat state as immutable).
 *
 * @typeParam TState - the aggregate's state; `undefined` until an event sets it
 * @typeParam TEvent - the events the aggregate applies
 *
 * @example
 * ```ts
 * class Task extends AggregateRoot<{ title: string; done: boolean }> {
 *   static override readonly aggregateType = 'Task';
 *   create(title: string) {
 *     if (this.state) throw new CommandRejectedError('Task already exists');
 *     this.raiseEvent(TaskCreated, { title });
 *   }
 *   protected apply(event: DomainEvent) {
 *     if (TaskCreated.is(event)) this.state = { title: event.title, done: false };
 *     else if (TaskCompleted.is(event) && this.state) this.state = { ...this.state, done: true };
 *   }
 * }
 * ```
 */
export abstract class AggregateRoot<TState, TEvent extends DomainEvent = DomainEvent> {
  /** The aggregate type; subclasses override it (`static override readonly aggregateType = 'Task'`). */
  static readonly aggregateType: string = 'Unknown';

  /** The aggregate's id. */
  readonly aggregateId: string;
  #version = 0;
  #state: TState | undefined = undefined;
  #uncommitted: TEvent[] = [];

  /**
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `aggregateId` is not a non-empty string.
   */
  constructor(aggregateId: string) {
    if (typeof aggregateId !== 'string' || aggregateId.length === 0) {
      throw new InvalidConfigError(
        'AggregateRoot.aggregateId',
        'must be a non-empty string',
        aggregateId,
      );
    }
    this.aggregateId = aggregateId;
  }

  /** The aggregate type, read from the subclass's static `aggregateType`. */
  get aggregateType(): string {
    return (this.constructor as { readonly aggregateType?: string }).aggregateType ?? 'Unknown';
  }

  /** The version of the last applied event; 0 for a new aggregate. */
  get version(): number {
    return this.#version;
  }

  /** The current state; `undefined` until an event sets it. */
  get state(): TState | undefined {
    return this.#state;
  }

  /** Replaces the state; only {@link AggregateRoot.apply} should call it. */
  protected set state(value: TState | undefined) {
    this.#state = value;
  }

  /** A copy of the events applied since the last commit. */
  get uncommittedEvents(): readonly TEvent[] {
    return this.#uncommitted.slice();
  }

  /** True when there are events to save. */
  get hasUncommittedEvents(): boolean {
    return this.#uncommitted.length > 0;
  }

  /** The version the next event must carry: `version + 1`. */
  getNextVersion(): number {
    return this.#version + 1;
  }

  /**
   * Applies an event: checks it, moves the version, calls {@link AggregateRoot.apply} and, when
   * `isNew`, records it as uncommitted. If `apply` throws, nothing changes.
   *
   * @param isNew - true for a new event (its `aggregateVersion` must be `version + 1`); false when
   * replaying history (its version must only be greater than the current one)
   * @throws {EventVersionError} ES_EVENT_VERSION when the event's `aggregateVersion` does not fit.
   * @throws {AggregateMismatchError} ES_AGGREGATE_MISMATCH when the event belongs to another aggregate.
   */
  applyEvent(event: TEvent, isNew = true): void {
    if (event.aggregateId !== this.aggregateId) {
      throw new AggregateMismatchError(
        'aggregateId',
        this.aggregateId,
        event.aggregateId,
        event.eventId,
      );
    }
    const previousVersion = this.#version;
    const version = event.aggregateVersion;
    if (isNew ? version !== previousVersion + 1 : !(version > previousVersion)) {
      throw new EventVersionError(previousVersion + 1, version, event.eventId, this.aggregateId);
    }
    const previousState = this.#state;
    this.#version = version;
    try {
      this.apply(event);
    } catch (error) {
      this.#version = previousVersion;
      this.#state = previousState;
      throw error;
    }
    if (isNew) this.#uncommitted.push(event);
  }

  /**
   * Creates an event of `definition` for this aggregate at the next version and applies it.
   *
   * @throws {SerializationError} ES_SERIALIZATION when the fields are invalid.
   */
  protected raiseEvent<TType extends string, TPayload extends object, TInput extends object>(
    definition: EventDefinition<TType, TPayload, TInput>,
    fields: RaiseEventFields<TInput>,
  ): TypedEvent<TType, TPayload> {
    const event = definition.create({
      ...fields,
      aggregateId: this.aggregateId,
      aggregateVersion: this.getNextVersion(),
    } as EnvelopeInput & TInput);
    this.applyEvent(event as unknown as TEvent);
    return event;
  }

  /** Folds one event into the state; implemented by the subclass. Must not throw for stored events. */
  protected abstract apply(event: TEvent): void;

  /**
   * Replays stored events (not recorded as uncommitted). Versions must increase.
   *
   * @throws {EventVersionError} ES_EVENT_VERSION when the history is out of order.
   */
  loadFromHistory(events: Iterable<TEvent>): void {
    for (const event of events) this.applyEvent(event, false);
  }

  /**
   * Forgets uncommitted events after a successful save: the first `count` (default: all).
   * The repository passes the number it saved, so events applied while saving are kept.
   */
  markEventsAsCommitted(count: number = this.#uncommitted.length): void {
    if (count >= this.#uncommitted.length) this.#uncommitted = [];
    else if (count > 0) this.#uncommitted = this.#uncommitted.slice(count);
  }

  /** Removes and returns the uncommitted events. */
  clearUncommittedEvents(): TEvent[] {
    const events = this.#uncommitted;
    this.#uncommitted = [];
    return events;
  }
}
