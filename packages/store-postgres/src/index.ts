/**
 * `@es/store-postgres`: the event store, checkpoints, dead-letter queue, unit of work and
 * LISTEN/NOTIFY event bus of `@es` on PostgreSQL (postgres.js, drizzle-orm), or embedded on PGlite.
 *
 * @module
 */
export type {
  DrizzleConnection,
  PGliteConnection,
  PostgresConnection,
} from './connection.js';
export type { PostgresErrorDetails } from './errors.js';
export {
  MigrationError,
  PostgresCheckpointError,
  PostgresDLQError,
  PostgresEventBusError,
  PostgresEventStoreError,
} from './errors.js';
export type { MigrateOptions, MigrateResult } from './migrate.js';
export { migrate } from './migrate.js';
export type { DecodedPosition } from './position-codec.js';
export {
  decodePosition,
  encodePosition,
  isPostgresPosition,
  POSITION_PART_DIGITS,
} from './position-codec.js';
export type { PostgresCheckpointRepositoryOptions } from './postgres-checkpoint-repository.js';
export { PostgresCheckpointRepository } from './postgres-checkpoint-repository.js';
export type { PostgresDLQRepositoryOptions } from './postgres-dlq-repository.js';
export {
  PostgresDLQRepository,
  /** The same class under eventsource-py's name. */
  PostgresDLQRepository as PostgreSQLDLQRepository,
} from './postgres-dlq-repository.js';
export type { PostgresEventBusHealth, PostgresEventBusOptions } from './postgres-event-bus.js';
export { EventBusConnectionState, PostgresEventBus } from './postgres-event-bus.js';
export type { HorizonStatus, PostgresEventStoreOptions } from './postgres-event-store.js';
export { PostgresEventStore } from './postgres-event-store.js';
export type {
  PostgresTransaction,
  PostgresUnitOfWorkProviderOptions,
  TransactionOf,
} from './postgres-unit-of-work-provider.js';
export { PostgresUnitOfWorkProvider } from './postgres-unit-of-work-provider.js';
export { createStoreSchema } from './schema.js';
export {
  DEFAULT_SCHEMA,
  notifyChannel,
  SCHEMA_NAME_RULE,
  validateSchemaName,
} from './schema-name.js';
