/**
 * The public surface of the SubscriptionManager (re-exported by the package's index).
 *
 * @module
 */
export type {
  ErrorSource,
  HealthStatus,
  ManagerHealth,
  SubscriptionCounts,
  SubscriptionHealth,
  SubscriptionLastError,
} from './health.js';
export type { LogFields, SubscriptionLogger } from './logger.js';
export type {
  LiveProjectionContext,
  Projection,
  ProjectionContext,
  RedriveProjectionContext,
} from './projection.js';
export type { SubscriptionRedriveOptions } from './subscription.js';
export { Subscription } from './subscription.js';
export type {
  CircuitBreakerConfigInput,
  StartFrom,
  SubscriptionConfig,
} from './subscription-config.js';
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_HEALTH_TIMEOUT_MS,
  DEFAULT_HORIZON_STALL_MS,
  DEFAULT_INFRASTRUCTURE_TIMEOUT_MS,
  DEFAULT_PROCESSING_TIMEOUT_MS,
  DlqOrdering,
  MAX_BATCH_SIZE,
} from './subscription-config.js';
export type { SubscriptionManagerOptions } from './subscription-manager.js';
export {
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  SubscriptionManager,
} from './subscription-manager.js';
