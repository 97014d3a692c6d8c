/**
 * The shape of a domain event.
 *
 * @module
 */

/** The envelope fields every domain event carries beside its payload. */
export type EventEnvelope<TType extends string = string> = {
  /** Unique id (a UUID). */
  readonly eventId: string;
  /** The registered event type name, for example `'TaskCreated'`. */
  readonly eventType: TType;
  /** Schema version of the payload; default 1. */
  readonly eventVersion: number;
  /** When the event happened. */
  readonly occurredAt: Date;
  /** The aggregate the event belongs to. */
  readonly aggregateId: string;
  /** The aggregate's type, for example `'Task'`. */
  readonly aggregateType: string;
  /** The aggregate's version after this event (≥ 1). */
  readonly aggregateVersion: number;
  readonly tenantId?: string;
  readonly actorId?: string;
  /** Ties together events of one business transaction; a new UUID unless given. */
  readonly correlationId: string;
  /** The id of the event that caused this one. */
  readonly causationId?: string;
  /** Free-form metadata. */
  readonly metadata: Readonly<Record<string, unknown>>;
};

/** The names of the envelope fields (payload fields may not use them). */
export const ENVELOPE_FIELDS = [
  'eventId',
  'eventType',
  'eventVersion',
  'occurredAt',
  'aggregateId',
  'aggregateType',
  'aggregateVersion',
  'tenantId',
  'actorId',
  'correlationId',
  'causationId',
  'metadata',
] as const;

/**
 * An immutable (frozen) domain event: the envelope plus the payload fields side by side
 * (`event.title`, `event.aggregateId`).
 */
export type DomainEvent<
  TType extends string = string,
  TPayload extends object = Record<string, unknown>,
> = EventEnvelope<TType> & Readonly<TPayload>;
