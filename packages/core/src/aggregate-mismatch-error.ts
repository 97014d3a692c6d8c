/**
 * The error raised when an event is applied to, or appended to, a stream it does not belong to.
 *
 * @module
 */
import { EventSourceError } from './errors.js';

/**
 * An event's `aggregateId` or `aggregateType` differs from the aggregate or stream it was given to.
 *
 * Raised by `AggregateRoot.applyEvent` and by event stores' `appendEvents`; nothing is applied or
 * stored. It signals a programming error and is never retryable.
 */
export class AggregateMismatchError extends EventSourceError {
  override readonly name = 'AggregateMismatchError';
  readonly code = 'ES_AGGREGATE_MISMATCH';
  /**
   * @param field - which envelope field differs
   * @param expected - the aggregate's (or stream's) value
   * @param actual - the event's value
   * @param eventId - the offending event
   */
  constructor(
    readonly field: 'aggregateId' | 'aggregateType',
    readonly expected: string,
    readonly actual: unknown,
    readonly eventId: string,
    options?: ErrorOptions,
  ) {
    super(
      `Event ${eventId} has ${field} ${String(actual)} but was given to ${field} ${expected}`,
      options,
    );
  }
}
