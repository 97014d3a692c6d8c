export { AggregateMismatchError } from './aggregate-mismatch-error.js';
export type {
  AggregateClass,
  AggregateFactoryFunction,
  AggregateRepositoryOptions,
  AnyAggregate,
} from './aggregate-repository.js';
export { AggregateRepository } from './aggregate-repository.js';
export type { RaiseEventFields } from './aggregate-root.js';
export { AggregateRoot } from './aggregate-root.js';
export {
  assertAppendArguments,
  assignStreamVersions,
  checkExpectedVersion,
} from './append-rules.js';
export type { CommandRejectedErrorOptions } from './command-rejected-error.js';
export { CommandRejectedError } from './command-rejected-error.js';
export type {
  CommandTarget,
  Decider,
  HandleCommandOptions,
  HandleCommandResult,
} from './decider.js';
export { evolveAll, handleCommand } from './decider.js';
export type { DomainEvent, EventEnvelope } from './domain-event.js';
export { ENVELOPE_FIELDS } from './domain-event.js';
export {
  AggregateNotFoundError,
  CheckpointError,
  DuplicateEventTypeError,
  EventBusError,
  EventNotFoundError,
  EventSourceError,
  EventStoreError,
  EventTypeNotFoundError,
  EventVersionError,
  InvalidConfigError,
  isEventSourceError,
  OptimisticLockError,
  ProjectionError,
  ReadModelError,
  ReadModelNotFoundError,
  ReadModelOptimisticLockError,
  SerializationError,
  SnapshotDeserializationError,
  SnapshotError,
  SnapshotNotFoundError,
  SnapshotSchemaVersionError,
  UnhandledEventError,
} from './errors.js';
export type { AppendListener, AppendNotification, EventBus } from './event-bus.js';
export type {
  AnyEventDefinition,
  DefineEventOptions,
  EnvelopeInput,
  EnvelopeKey,
  EventDefinition,
  EventFields,
  EventOf,
  NoEnvelopeCollision,
  PayloadOf,
  PayloadType,
  TypedEvent,
} from './event-definition.js';
export { defineEvent, payload } from './event-definition.js';
export type { CausingEvent } from './event-helpers.js';
export { withAggregateVersion, withCausation, withMetadata } from './event-helpers.js';
export type { JsonValue, SerializedEvent } from './event-registry.js';
export {
  defaultRegistry,
  deserializeEvent,
  EventRegistry,
  registerEvent,
  serializeEvent,
} from './event-registry.js';
export type {
  AppendResult,
  EventStore,
  EventStream,
  ExpectedVersionValue,
  GetEventsOptions,
  Position,
  ReadAllOptions,
  StoredEvent,
} from './event-store.js';
export { ExpectedVersion } from './event-store.js';
export type { InMemoryEventBusOptions } from './in-memory-event-bus.js';
export { InMemoryEventBus } from './in-memory-event-bus.js';
export type { InMemoryEventStoreOptions } from './in-memory-event-store.js';
export { InMemoryEventStore } from './in-memory-event-store.js';
export type { StandardSchemaV1 } from './standard-schema.js';
