/**
 * The errors of `@es/store-postgres`. Each extends the matching `@es/core` error (so
 * `instanceof EventStoreError` and friends keep working), has a literal `name` and a stable
 * `code`, keeps the driver error in `cause` (so the SQLSTATE stays reachable for the error
 * classifier) and exposes the SQLSTATE as `sqlState`.
 *
 * Messages never contain SQL parameters: they name the operation, the SQLSTATE and its
 * condition, and the constraint/table/column involved, which are identifiers, never values.
 *
 * @module
 */
import { CheckpointError, EventBusError, EventSourceError, EventStoreError } from '@es/core';
import { DLQError } from '@es/dlq';

/** Structured fields shared by the errors of this package. */
export interface PostgresErrorDetails {
  /** The operation that failed, for example `'appendEvents'`. */
  readonly operation: string;
  /** The SQLSTATE of the driver error, when there was one (for example `'57P01'`). */
  readonly sqlState: string | undefined;
}

/**
 * An event-store operation failed for a reason other than a version conflict (connection lost,
 * server error…). The driver error is in `cause`.
 *
 * @example
 * ```ts
 * try { await store.appendEvents(id, 'Task', events, 0); }
 * catch (e) { if (e instanceof PostgresEventStoreError) console.error(e.operation, e.sqlState); }
 * ```
 */
export class PostgresEventStoreError extends EventStoreError implements PostgresErrorDetails {
  override readonly name = 'PostgresEventStoreError';
  override readonly code = 'ES_POSTGRES_EVENT_STORE';
  constructor(
    readonly operation: string,
    readonly sqlState: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A checkpoint read or write failed in the database. The driver error is in `cause`. */
export class PostgresCheckpointError extends CheckpointError implements PostgresErrorDetails {
  override readonly name = 'PostgresCheckpointError';
  override readonly code = 'ES_POSTGRES_CHECKPOINT';
  constructor(
    readonly operation: string,
    readonly sqlState: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A dead-letter-queue read or write failed in the database. The driver error is in `cause`.
 * A `DLQError` of `@es/dlq` (its code starts with `ES_DLQ_`, so `isDLQError` recognises it).
 */
export class PostgresDLQError extends DLQError implements PostgresErrorDetails {
  override readonly name = 'PostgresDLQError';
  override readonly code = 'ES_DLQ_POSTGRES';
  constructor(
    readonly operation: string,
    readonly sqlState: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** LISTEN/NOTIFY failed (the listening connection could not be opened or re-opened). */
export class PostgresEventBusError extends EventBusError implements PostgresErrorDetails {
  override readonly name = 'PostgresEventBusError';
  override readonly code = 'ES_POSTGRES_EVENT_BUS';
  constructor(
    readonly operation: string,
    readonly sqlState: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Applying the shipped migrations failed; nothing of the failing migration was applied. */
export class MigrationError extends EventSourceError implements PostgresErrorDetails {
  override readonly name = 'MigrationError';
  readonly code = 'ES_POSTGRES_MIGRATION';
  readonly operation = 'migrate';
  constructor(
    /** The migration that failed (its drizzle-kit tag), when one did. */
    readonly migration: string | undefined,
    readonly sqlState: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** `createTestDatabase` (of `@es/store-postgres/testing`) could not create its database. */
export class TestDatabaseError extends EventSourceError implements PostgresErrorDetails {
  override readonly name = 'TestDatabaseError';
  readonly code = 'ES_POSTGRES_TEST_DATABASE';
  readonly operation = 'createTestDatabase';
  constructor(
    readonly sqlState: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
