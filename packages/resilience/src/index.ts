/**
 * `@es/resilience`: retry with exponential backoff and jitter, a timer-free circuit breaker and
 * an error classifier written for Node and PostgreSQL.
 *
 * @module
 */
export { calculateBackoff } from './calculate-backoff.js';
export type {
  CircuitBreakEvent,
  CircuitBreakerOptions,
  CircuitBreakerSnapshot,
  CircuitStateChange,
} from './circuit-breaker.js';
export { CircuitBreaker } from './circuit-breaker.js';
export type { CircuitBreakerConfigOptions } from './circuit-breaker-config.js';
export { CircuitBreakerConfig } from './circuit-breaker-config.js';
export { CircuitState } from './circuit-state.js';
export { ERROR_CATEGORIES, ErrorCategory } from './error-category.js';
export type { ErrorClassificationOptions } from './error-classification.js';
export { ErrorClassification } from './error-classification.js';
export type { ErrorClass } from './error-classifier.js';
export {
  classifyError,
  defaultClassifier,
  ErrorClassifier,
  getDefaultClassifier,
} from './error-classifier.js';
export {
  compareSeverity,
  ERROR_SEVERITIES,
  ErrorSeverity,
  severityAtLeast,
  severityRank,
} from './error-severity.js';
export type { KeyErrorOptions, TimeoutErrorOptions } from './errors.js';
export {
  CircuitBreakerOpenError,
  ConnectionError,
  isCircuitBreakerOpenError,
  isRetryError,
  KeyError,
  RetryError,
  TimeoutError,
} from './errors.js';
export type { RetryOptions } from './retry-async.js';
export { retryAsync } from './retry-async.js';
export type { RetryConfigOptions } from './retry-config.js';
export { JitterStrategy, RetryConfig } from './retry-config.js';
export type { RetryAttemptInfo, RetryableErrors, SleepFunction } from './retry-types.js';
export type {
  RetryableExecuteOptions,
  RetryableOperationOptions,
  RetryStats,
} from './retryable-operation.js';
export { RetryableOperation } from './retryable-operation.js';
export type { WithTimeoutOptions } from './with-timeout.js';
export { withTimeout } from './with-timeout.js';
