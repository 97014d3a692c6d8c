export type { AppendListener, AppendNotification, EventBus } from './event-bus.js';
export type { DomainEvent, EventEnvelope } from './domain-event.js';
export { ENVELOPE_FIELDS } from './domain-event.js';
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
