/**
 * What a subscription feeds: a projection and the context of each call.
 *
 * @module
 */
import type { DomainEvent, Position, StoredEvent } from '@es/core';
import type { DLQEntry } from '@es/dlq';

/** Fields every {@link ProjectionContext} has. */
interface ProjectionContextBase<TTransaction> {
  /** The subscription delivering the event. */
  readonly subscriptionId: string;
  /** 0-based attempt number of this event in this delivery (0 on the first call, 1 on the first retry…). */
  readonly attempt: number;
  /**
   * Aborted when the call should stop: the manager stops (after `shutdownTimeoutMs`) or the call
   * ran past `processingTimeoutMs`. Pass it to I/O that accepts a signal.
   */
  readonly signal: AbortSignal;
  /**
   * The open transaction when the manager runs with a `unitOfWork` (for example a drizzle
   * transaction on PostgreSQL): write the read model through it and the writes commit together
   * with the checkpoint and any DLQ entry. Absent otherwise.
   */
  readonly transaction?: TTransaction;
}

/** The context of a normal delivery (catch-up or live). */
export interface LiveProjectionContext<TTransaction = unknown>
  extends ProjectionContextBase<TTransaction> {
  /** False: a normal delivery from the store. */
  readonly redrive: false;
  /** The event as stored, with its stream and global positions. */
  readonly storedEvent: StoredEvent;
  /** The event's subscription cursor (`storedEvent.position`). */
  readonly position: Position;
}

/** The context of a delivery by a redrive of the dead-letter queue. */
export interface RedriveProjectionContext<TTransaction = unknown>
  extends ProjectionContextBase<TTransaction> {
  /** True: the event comes from the DLQ, not from the store. */
  readonly redrive: true;
  /** Null: the DLQ keeps the serialized event, not its storage record. */
  readonly storedEvent: null;
  /** The event's subscription cursor as recorded in the DLQ entry, when known. */
  readonly position: Position | null;
  /** The DLQ entry being redriven. */
  readonly dlqEntry: DLQEntry;
}

/**
 * The second argument of {@link Projection.handle}. Narrow on `redrive` to tell a normal
 * delivery from a redrive of the dead-letter queue.
 *
 * Valid during the call only: the manager reuses one context object per subscription (it is
 * updated before each call), so do not keep a reference to it after the call returns.
 */
export type ProjectionContext<TTransaction = unknown> =
  | LiveProjectionContext<TTransaction>
  | RedriveProjectionContext<TTransaction>;

/**
 * A read model or reaction fed by a subscription: a name, an optional event-type filter and a
 * handler. A handler that throws (or rejects) goes through the subscription's
 * `SubscriptionErrorHandler`; nothing is skipped silently.
 *
 * @example
 * ```ts
 * const taskList: Projection = {
 *   name: 'task-list',
 *   eventTypes: ['TaskCreated', 'TaskCompleted'],
 *   async handle(event, context) {
 *     if (TaskCreated.is(event)) tasks.set(event.aggregateId, { title: event.title, done: false });
 *   },
 * };
 * ```
 */
export interface Projection<TEvent extends DomainEvent = DomainEvent, TTransaction = unknown> {
  /** The projection's name; the default subscription id. */
  readonly name: string;
  /** Only these event types are delivered (others are passed over). All types when omitted. */
  readonly eventTypes?: readonly string[] | undefined;
  /** Applies one event. May be synchronous. */
  handle(event: TEvent, context: ProjectionContext<TTransaction>): Promise<void> | void;
}
