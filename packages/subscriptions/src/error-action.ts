/**
 * The action a caller must take after a handler failure, and the table that decides it.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';
import { ErrorHandlingStrategy } from './error-handling-strategy.js';

/**
 * What the caller of `SubscriptionErrorHandler.handleError` must do next with the failing event.
 */
export const ErrorAction = {
  /** Wait the backoff for this attempt, then call the handler again with the same event. */
  RETRY: 'retry',
  /** The event was (or should have been, see `ErrorInfo.sentToDlq`) dead-lettered; move on. */
  DLQ: 'dlq',
  /** The error is recorded; move on without dead-lettering. */
  SKIP: 'skip',
  /** Halt the subscription with its checkpoint before the failing event. */
  STOP: 'stop',
} as const;

/** One of the {@link ErrorAction} values. */
export type ErrorAction = (typeof ErrorAction)[keyof typeof ErrorAction];

/** Input of {@link decideErrorAction}. */
export interface DecideErrorActionInput {
  readonly strategy: ErrorHandlingStrategy;
  /** Whether the error classifier called the error retryable. */
  readonly retryable: boolean;
  /** Retries already made for this event (0 on its first failure). */
  readonly retryCount: number;
  /** The retry budget (`RetryConfig.maxRetries`). */
  readonly maxRetries: number;
  /** When false, every `dlq` becomes `skip`. */
  readonly dlqEnabled: boolean;
}

/**
 * The action table of CONTRACT §6. "Retries left" means `retryCount < maxRetries`, so an event is
 * handled at most `maxRetries + 1` times, as `retryAsync` calls an operation.
 *
 * | strategy | retryable, retries left | retryable, retries spent | non-retryable |
 * |---|---|---|---|
 * | `STOP` | stop | stop | stop |
 * | `CONTINUE` | skip | skip | skip |
 * | `RETRY_THEN_CONTINUE` | retry | skip | skip |
 * | `RETRY_THEN_DLQ` | retry | dlq | dlq |
 * | `DLQ_ONLY` | dlq | dlq | dlq |
 *
 * `dlqEnabled: false` turns every `dlq` into `skip`.
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when `strategy` is not an {@link ErrorHandlingStrategy}.
 * @example
 * ```ts
 * decideErrorAction({ strategy: 'retry_then_dlq', retryable: true, retryCount: 5, maxRetries: 5, dlqEnabled: true }); // 'dlq'
 * ```
 */
export function decideErrorAction(input: DecideErrorActionInput): ErrorAction {
  const retriesLeft = input.retryable && input.retryCount < input.maxRetries;
  switch (input.strategy) {
    case ErrorHandlingStrategy.STOP:
      return ErrorAction.STOP;
    case ErrorHandlingStrategy.CONTINUE:
      return ErrorAction.SKIP;
    case ErrorHandlingStrategy.RETRY_THEN_CONTINUE:
      return retriesLeft ? ErrorAction.RETRY : ErrorAction.SKIP;
    case ErrorHandlingStrategy.RETRY_THEN_DLQ:
      if (retriesLeft) return ErrorAction.RETRY;
      return input.dlqEnabled ? ErrorAction.DLQ : ErrorAction.SKIP;
    case ErrorHandlingStrategy.DLQ_ONLY:
      return input.dlqEnabled ? ErrorAction.DLQ : ErrorAction.SKIP;
    default:
      throw new InvalidConfigError(
        'strategy',
        `must be one of ${Object.values(ErrorHandlingStrategy).join(', ')}`,
        input.strategy,
      );
  }
}
