/**
 * The events the reliability suite appends. Registered in `@es/core`'s default registry, which the
 * stores and the manager's redrive use to deserialize.
 *
 * @module
 */
import { type DomainEvent, defineEvent, payload } from '@es/core';

/** How a projection of the suite treats an event. */
export type Behaviour =
  /** Applied normally. */
  | 'ok'
  /** Always throws a non-retryable application error (a poison message). */
  | 'poison'
  /** Throws a transient error on the first `failTimes` attempts, then succeeds. */
  | 'flaky';

/** The payload of {@link RelEvent}. */
export interface RelPayload {
  /** A run-wide sequence number of the append (for readable failures). */
  readonly n: number;
  readonly behaviour?: Behaviour;
  /** For `flaky`: how many attempts fail first. */
  readonly failTimes?: number;
  /** Padding, to vary sizes. */
  readonly pad?: string;
}

/** The one event type of the suite. */
export const RelEvent = defineEvent('RelEvent', {
  aggregateType: 'RelStream',
  payload: payload<RelPayload>(),
});

/** The aggregate type of every stream of the suite. */
export const REL_AGGREGATE_TYPE = 'RelStream';

/** A {@link RelEvent} for `stream` at `version`. */
export function relEvent(
  stream: string,
  version: number,
  n: number,
  extra: Omit<RelPayload, 'n'> = {},
): DomainEvent {
  return RelEvent.create({ aggregateId: stream, aggregateVersion: version, n, ...extra });
}

/** The behaviour an event asks for (`ok` when it says nothing). */
export function behaviourOf(event: DomainEvent): Behaviour {
  const behaviour = (event as { behaviour?: unknown }).behaviour;
  return behaviour === 'poison' || behaviour === 'flaky' ? behaviour : 'ok';
}
