/**
 * Errors thrown by `@es/resilience` ({@link RetryError}, {@link CircuitBreakerOpenError}) and
 * errors offered to user code so the built-in classification recognises them
 * ({@link ConnectionError}, {@link TimeoutError}, {@link KeyError}). All extend `EventSourceError`.
 *
 * @module
 */
import { EventSourceError, isEventSourceError } from '@es/core';

/**
 * Thrown by `retryAsync` and `RetryableOperation.execute` when every allowed attempt failed with
 * a retryable error. `cause` is the last error.
 *
 * Code `ES_RETRY_EXHAUSTED`.
 *
 * @example
 * ```ts
 * try {
 *   await retryAsync(fetchData, { config: { maxRetries: 2 } });
 * } catch (error) {
 *   if (error instanceof RetryError) console.log(error.attempts, error.lastError);
 * }
 * ```
 */
export class RetryError extends EventSourceError {
  override readonly name = 'RetryError';
  readonly code = 'ES_RETRY_EXHAUSTED';
  /**
   * @param attempts - how many times the operation was called (`maxRetries + 1`)
   * @param lastError - the error of the last call; also the `cause`
   * @param operationName - the name given to the retried operation
   */
  constructor(
    readonly attempts: number,
    readonly lastError: unknown,
    readonly operationName: string = 'operation',
  ) {
    super(
      `Failed after ${attempts} attempt${attempts === 1 ? '' : 's'} of ${operationName}: ${describeError(lastError)}`,
      { cause: lastError },
    );
  }
}

/**
 * Thrown by a `CircuitBreaker` (and by `RetryableOperation` with a breaker, without retrying)
 * when the circuit refuses a call: it is open, or half-open with every probe permit in use.
 *
 * Code `ES_CIRCUIT_OPEN`.
 *
 * @example
 * ```ts
 * try {
 *   await breaker.execute(callApi, 'api');
 * } catch (error) {
 *   if (error instanceof CircuitBreakerOpenError) {
 *     console.log(`try again at ${error.recoveryTime.toISOString()} (${error.retryAfterMs} ms)`);
 *   }
 * }
 * ```
 */
export class CircuitBreakerOpenError extends EventSourceError {
  override readonly name = 'CircuitBreakerOpenError';
  readonly code = 'ES_CIRCUIT_OPEN';
  /**
   * @param operationName - the operation that was refused
   * @param retryAfterMs - milliseconds until the breaker admits a probe again (`>= 0`)
   * @param recoveryTime - the instant the breaker admits a probe again
   */
  constructor(
    readonly operationName: string,
    readonly retryAfterMs: number,
    readonly recoveryTime: Date,
  ) {
    super(`Circuit breaker is open for ${operationName}`);
  }
}

/**
 * A connection to a dependency failed or was lost. Classified `transient` (retryable) by the
 * built-in classification table; throw it from your own adapters.
 *
 * Code `ES_CONNECTION`.
 *
 * @example
 * ```ts
 * throw new ConnectionError('Service unavailable');
 * ```
 */
export class ConnectionError extends EventSourceError {
  override readonly name = 'ConnectionError';
  readonly code = 'ES_CONNECTION';
  constructor(message = 'Connection failed', options?: ErrorOptions) {
    super(message, options);
  }
}

/** Options of the {@link TimeoutError} constructor. */
export interface TimeoutErrorOptions extends ErrorOptions {
  /** The time limit that was exceeded, in milliseconds. */
  readonly timeoutMs?: number;
  /** The operation that timed out. */
  readonly operationName?: string;
}

/**
 * An operation took longer than allowed. Thrown by `withTimeout`; classified `transient`
 * (retryable) by the built-in classification table.
 *
 * Code `ES_TIMEOUT`.
 */
export class TimeoutError extends EventSourceError {
  override readonly name = 'TimeoutError';
  readonly code = 'ES_TIMEOUT';
  /** The time limit that was exceeded, when known. */
  readonly timeoutMs: number | undefined;
  /** The operation that timed out, when known. */
  readonly operationName: string | undefined;
  constructor(message = 'Operation timed out', options?: TimeoutErrorOptions) {
    super(message, options);
    this.timeoutMs = options?.timeoutMs;
    this.operationName = options?.operationName;
  }
}

/** Options of the {@link KeyError} constructor. */
export interface KeyErrorOptions extends ErrorOptions {
  /** The key that was looked up. */
  readonly key?: unknown;
}

/**
 * A lookup found nothing for a key that had to exist (a read-model row, a map entry). Classified
 * `application` (not retryable) by the built-in classification table.
 *
 * Code `ES_KEY_NOT_FOUND`.
 *
 * @example
 * ```ts
 * throw new KeyError(`Task ${event.aggregateId} not found in projection`, { key: event.aggregateId });
 * ```
 */
export class KeyError extends EventSourceError {
  override readonly name = 'KeyError';
  readonly code = 'ES_KEY_NOT_FOUND';
  /** The key that was looked up, when given. */
  readonly key: unknown;
  constructor(message = 'Key not found', options?: KeyErrorOptions) {
    super(message, options);
    this.key = options?.key;
  }
}

/**
 * True when `error` is a {@link RetryError}, also across duplicated copies of the package
 * (checks the `@es` brand and the code, not the prototype).
 */
export function isRetryError(error: unknown): error is RetryError {
  return isEventSourceError(error) && error.code === 'ES_RETRY_EXHAUSTED';
}

/**
 * True when `error` is a {@link CircuitBreakerOpenError}, also across duplicated copies of the
 * package (checks the `@es` brand and the code, not the prototype).
 */
export function isCircuitBreakerOpenError(error: unknown): error is CircuitBreakerOpenError {
  return isEventSourceError(error) && error.code === 'ES_CIRCUIT_OPEN';
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  try {
    return String(error);
  } catch {
    return typeof error;
  }
}
