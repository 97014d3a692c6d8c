/**
 * `@es/subscriptions`: subscriptions that never lose an event — error handling, checkpoints,
 * catch-up and live processing.
 *
 * @module
 */
export type {
  CheckpointData,
  CheckpointRepository,
  SavePositionInput,
} from './checkpoint-repository.js';
export {
  CheckpointStrategy,
  DEFAULT_CHECKPOINT_STRATEGY,
  isCheckpointStrategy,
} from './checkpoint-strategy.js';
export { comparePositions, isPosition } from './compare-positions.js';
export type { DecideErrorActionInput } from './error-action.js';
export { decideErrorAction, ErrorAction } from './error-action.js';
export type { ErrorHandlingConfigOptions, RetryConfigInput } from './error-handling-config.js';
export { ErrorHandlingConfig } from './error-handling-config.js';
export { ErrorHandlingStrategy, isErrorHandlingStrategy } from './error-handling-strategy.js';
export type { ErrorInfo } from './error-info.js';
export type { ErrorStats } from './error-stats.js';
export type {
  EventBusConnectionErrorOptions,
  EventStoreConnectionErrorOptions,
  SubscriptionErrorOptions,
  SubscriptionStateErrorOptions,
  TransitionErrorOptions,
} from './errors.js';
export {
  CheckpointConflictError,
  CheckpointNotFoundError,
  CheckpointPositionKindError,
  EventBusConnectionError,
  EventStoreConnectionError,
  isSubscriptionError,
  SubscriptionAlreadyExistsError,
  SubscriptionConfigError,
  SubscriptionError,
  SubscriptionStateError,
  TransitionError,
} from './errors.js';
export type { EventSerializer } from './event-data.js';
export { toEventData } from './event-data.js';
export type { InMemoryCheckpointRepositoryOptions } from './in-memory-checkpoint-repository.js';
export { InMemoryCheckpointRepository } from './in-memory-checkpoint-repository.js';
// SubscriptionManager (src/manager)
export type {
  ErrorSource,
  HealthStatus,
  ManagerHealth,
  SubscriptionCounts,
  SubscriptionHealth,
  SubscriptionLastError,
} from './manager/health.js';
export type { LogFields, SubscriptionLogger } from './manager/logger.js';
export type {
  LiveProjectionContext,
  Projection,
  ProjectionContext,
  RedriveProjectionContext,
} from './manager/projection.js';
export type { SubscriptionRedriveOptions } from './manager/subscription.js';
export { Subscription } from './manager/subscription.js';
export type {
  CircuitBreakerConfigInput,
  StartFrom,
  SubscriptionConfig,
} from './manager/subscription-config.js';
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_HEALTH_TIMEOUT_MS,
  DEFAULT_HORIZON_STALL_MS,
  DEFAULT_INFRASTRUCTURE_TIMEOUT_MS,
  DEFAULT_PROCESSING_TIMEOUT_MS,
  DlqOrdering,
  MAX_BATCH_SIZE,
} from './manager/subscription-config.js';
export type { SubscriptionManagerOptions } from './manager/subscription-manager.js';
export {
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  SubscriptionManager,
} from './manager/subscription-manager.js';
export type {
  ErrorCallback,
  ErrorHandlerHealthStatus,
  HandleErrorInput,
  SubscriptionErrorHandlerOptions,
  Unsubscribe,
} from './subscription-error-handler.js';
export { SubscriptionErrorHandler } from './subscription-error-handler.js';
export { isSubscriptionState, SubscriptionState } from './subscription-state.js';
export type { UnitOfWork, UnitOfWorkProvider } from './unit-of-work.js';
