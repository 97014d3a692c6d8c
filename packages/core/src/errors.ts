/**
 * The error hierarchy of `@es/core`. Every error thrown by an `@es/*` package extends
 * {@link EventSourceError}, carries a literal `name`, a stable `code` and structured fields.
 *
 * @module
 */

const kEventSourceError: unique symbol = Symbol.for('@es/error');

/**
 * Base class of every error thrown by the `@es/*` packages.
 *
 * Branch on {@link EventSourceError.code} (stable across releases) or on the class, never on the
 * message text.
 */
export abstract class EventSourceError extends Error {
  /** Stable, machine-readable code, for example `'ES_OPTIMISTIC_LOCK'`. */
  abstract readonly code: `ES_${string}`;
  /** @internal brand shared across copies of the package. */
  readonly [kEventSourceError] = true;
}

/** True when `error` is an {@link EventSourceError} (works across duplicated package copies). */
export function isEventSourceError(error: unknown): error is EventSourceError {
  return typeof error === 'object' && error !== null && kEventSourceError in error;
}

/** A configuration or argument value broke a rule; names the field and the rule. */
export class InvalidConfigError extends EventSourceError {
  override readonly name = 'InvalidConfigError';
  readonly code = 'ES_INVALID_CONFIG';
  /**
   * @param field - the option that is wrong, for example `'RetryConfig.maxRetries'`
   * @param rule - the rule it breaks, for example `'must be an integer >= 0'`
   * @param value - the rejected value
   */
  constructor(
    readonly field: string,
    readonly rule: string,
    readonly value?: unknown,
    options?: ErrorOptions,
  ) {
    super(`Invalid ${field}: ${rule} (got ${describeValue(value)})`, options);
  }
}

/** Thrown when an append's expected version does not match the stream's actual version. */
export class OptimisticLockError extends EventSourceError {
  override readonly name = 'OptimisticLockError';
  readonly code = 'ES_OPTIMISTIC_LOCK';
  constructor(
    readonly aggregateId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
    options?: ErrorOptions,
  ) {
    super(
      `Optimistic lock error for aggregate ${aggregateId}: expected version ${expectedVersion}, actual version ${actualVersion}`,
      options,
    );
  }
}

/** Thrown by `AggregateRepository.load` when the aggregate has no events. */
export class AggregateNotFoundError extends EventSourceError {
  override readonly name = 'AggregateNotFoundError';
  readonly code = 'ES_AGGREGATE_NOT_FOUND';
  constructor(
    readonly aggregateId: string,
    readonly aggregateType?: string,
    options?: ErrorOptions,
  ) {
    super(`Aggregate ${aggregateType ? `${aggregateType} ` : ''}${aggregateId} not found`, options);
  }
}

/** Thrown when an event looked up by id does not exist. */
export class EventNotFoundError extends EventSourceError {
  override readonly name = 'EventNotFoundError';
  readonly code = 'ES_EVENT_NOT_FOUND';
  constructor(
    readonly eventId: string,
    options?: ErrorOptions,
  ) {
    super(`Event ${eventId} not found`, options);
  }
}

/** Thrown when an event's `aggregateVersion` is not the aggregate's next version. */
export class EventVersionError extends EventSourceError {
  override readonly name = 'EventVersionError';
  readonly code = 'ES_EVENT_VERSION';
  constructor(
    readonly expectedVersion: number,
    readonly actualVersion: number,
    readonly eventId: string,
    readonly aggregateId: string,
    options?: ErrorOptions,
  ) {
    super(
      `Event version mismatch for aggregate ${aggregateId}: expected ${expectedVersion}, got ${actualVersion} (event ${eventId})`,
      options,
    );
  }
}

/** Thrown when an aggregate or projection has no handler for an event type and must have one. */
export class UnhandledEventError extends EventSourceError {
  override readonly name = 'UnhandledEventError';
  readonly code = 'ES_UNHANDLED_EVENT';
  constructor(
    readonly eventType: string,
    readonly handlerName: string,
    options?: ErrorOptions,
  ) {
    super(`No handler for event type ${eventType} in ${handlerName}`, options);
  }
}

/** A projection failed to process an event. */
export class ProjectionError extends EventSourceError {
  override readonly name = 'ProjectionError';
  readonly code = 'ES_PROJECTION';
  constructor(
    readonly projectionName: string,
    message: string,
    readonly eventId?: string,
    options?: ErrorOptions,
  ) {
    super(`Projection ${projectionName}: ${message}`, options);
  }
}

/** An event store operation failed for a reason other than a version conflict. */
export class EventStoreError extends EventSourceError {
  override readonly name: string = 'EventStoreError';
  readonly code: `ES_${string}` = 'ES_EVENT_STORE';
}

/** Publishing to or subscribing on an event bus failed. */
export class EventBusError extends EventSourceError {
  override readonly name: string = 'EventBusError';
  readonly code: `ES_${string}` = 'ES_EVENT_BUS';
}

/** Reading or writing a checkpoint failed. */
export class CheckpointError extends EventSourceError {
  override readonly name: string = 'CheckpointError';
  readonly code: `ES_${string}` = 'ES_CHECKPOINT';
}

/** An event could not be serialized or deserialized (bad JSON, invalid payload, bad envelope). */
export class SerializationError extends EventSourceError {
  override readonly name = 'SerializationError';
  readonly code = 'ES_SERIALIZATION';
  constructor(
    message: string,
    readonly eventType?: string,
    readonly issues: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** No event type of that name is registered. */
export class EventTypeNotFoundError extends EventSourceError {
  override readonly name = 'EventTypeNotFoundError';
  readonly code = 'ES_EVENT_TYPE_NOT_FOUND';
  constructor(
    readonly eventType: string,
    readonly availableTypes: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(`Unknown event type: ${eventType}`, options);
  }
}

/** A different definition is already registered under this event type name. */
export class DuplicateEventTypeError extends EventSourceError {
  override readonly name = 'DuplicateEventTypeError';
  readonly code = 'ES_DUPLICATE_EVENT_TYPE';
  constructor(
    readonly eventType: string,
    options?: ErrorOptions,
  ) {
    super(`Event type ${eventType} is already registered with a different definition`, options);
  }
}

/** Base of the snapshot errors. */
export class SnapshotError extends EventSourceError {
  override readonly name: string = 'SnapshotError';
  readonly code: `ES_${string}` = 'ES_SNAPSHOT';
  constructor(
    message: string,
    readonly aggregateId?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A stored snapshot could not be deserialized. */
export class SnapshotDeserializationError extends SnapshotError {
  override readonly name = 'SnapshotDeserializationError';
  override readonly code = 'ES_SNAPSHOT_DESERIALIZATION';
}

/** A stored snapshot has a schema version the aggregate no longer accepts. */
export class SnapshotSchemaVersionError extends SnapshotError {
  override readonly name = 'SnapshotSchemaVersionError';
  override readonly code = 'ES_SNAPSHOT_SCHEMA_VERSION';
  constructor(
    readonly expectedVersion: number,
    readonly actualVersion: number,
    aggregateId?: string,
    options?: ErrorOptions,
  ) {
    super(
      `Snapshot schema version ${actualVersion} does not match expected ${expectedVersion}`,
      aggregateId,
      options,
    );
  }
}

/** No snapshot exists for the aggregate. */
export class SnapshotNotFoundError extends SnapshotError {
  override readonly name = 'SnapshotNotFoundError';
  override readonly code = 'ES_SNAPSHOT_NOT_FOUND';
}

/** Base of the read-model errors. */
export class ReadModelError extends EventSourceError {
  override readonly name: string = 'ReadModelError';
  readonly code: `ES_${string}` = 'ES_READ_MODEL';
}

/** A read-model row was not found. */
export class ReadModelNotFoundError extends ReadModelError {
  override readonly name = 'ReadModelNotFoundError';
  override readonly code = 'ES_READ_MODEL_NOT_FOUND';
  constructor(
    readonly modelId: string,
    readonly modelType?: string,
    options?: ErrorOptions,
  ) {
    super(`Read model ${modelType ? `${modelType} ` : ''}${modelId} not found`, options);
  }
}

/** A read-model row changed since it was read (not the aggregate {@link OptimisticLockError}). */
export class ReadModelOptimisticLockError extends ReadModelError {
  override readonly name = 'ReadModelOptimisticLockError';
  override readonly code = 'ES_READ_MODEL_OPTIMISTIC_LOCK';
  constructor(
    readonly modelId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
    options?: ErrorOptions,
  ) {
    super(
      `Read model ${modelId}: expected version ${expectedVersion}, actual ${actualVersion}`,
      options,
    );
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value;
}
