/**
 * {@link RetryableOperation}: a reusable retry policy, optionally in front of a circuit breaker,
 * with live statistics.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';
import { breakerInternals, CircuitBreaker } from './circuit-breaker.js';
import { defaultClassifier, type ErrorClassifier } from './error-classifier.js';
import {
  nameOption,
  randomOption,
  retryConfigOf,
  signalOption,
  sleepOption,
} from './internal/normalize.js';
import { type CallbackErrorHandler, reportCallbackError } from './internal/report.js';
import {
  classifierOption,
  continueRetrying,
  type MutableRetryStats,
  retryPredicate,
} from './internal/retry-loop.js';
import { optionalFunction, optionsObject } from './internal/validate.js';
import type { RetryConfig, RetryConfigOptions } from './retry-config.js';
import type { RetryAttemptInfo, RetryableErrors, SleepFunction } from './retry-types.js';

/** Live counters of a {@link RetryableOperation}, counted per call of the operation. */
export interface RetryStats {
  /** Calls of the operation (first calls and retries). */
  readonly attempts: number;
  /** Calls that succeeded. */
  readonly successes: number;
  /** Calls that failed. */
  readonly failures: number;
  /** Sum of the backoff delays waited (added before each wait), in ms. */
  readonly totalDelayMs: number;
  /** Attempts refused by an open circuit (the operation was not called). */
  readonly rejections: number;
  /** The most recent error (a failed call or a circuit refusal); `null` before any. */
  readonly lastError: unknown;
}

/** Options of the {@link RetryableOperation} constructor. */
export interface RetryableOperationOptions {
  /** Attempts and backoff: a `RetryConfig` or a plain partial object. Default `new RetryConfig()`. */
  readonly config?: RetryConfig | RetryConfigOptions | undefined;
  /** When given, every attempt goes through it; an open circuit fails fast. */
  readonly circuitBreaker?: CircuitBreaker | undefined;
  /** Decides retryability when `retryableErrors` is not given. Default `defaultClassifier`. */
  readonly classifier?: ErrorClassifier | undefined;
  /** Default `retryableErrors` for every `execute`. */
  readonly retryableErrors?: RetryableErrors | undefined;
  /** Default operation name. Default `'operation'` (or the breaker's name). */
  readonly name?: string | undefined;
  /** Called before each wait. A throwing callback is reported, never breaks the loop. */
  readonly onRetry?: ((info: RetryAttemptInfo) => void) | undefined;
  /** The wait between attempts. Default: an abortable `setTimeout`. */
  readonly sleep?: SleepFunction | undefined;
  /** Uniform random source in `[0, 1)` for jitter. Default `Math.random`. */
  readonly random?: (() => number) | undefined;
  /** Receives errors thrown by `onRetry`. Default: a Node process warning. */
  readonly onCallbackError?: ((error: unknown, source: string) => void) | undefined;
}

/** Options of {@link RetryableOperation.execute}. */
export interface RetryableExecuteOptions {
  /** The operation's name (errors, `onRetry`). Default: the instance's `name`. */
  readonly name?: string | undefined;
  /** Which errors to retry for this call; default: the instance's, else the classifier. */
  readonly retryableErrors?: RetryableErrors | undefined;
  /** Cancels the waits (see `retryAsync`). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * A reusable retry policy with live {@link RetryStats}, optionally combined with a
 * {@link CircuitBreaker}. Each attempt goes through the breaker; when the circuit is open the
 * attempt fails fast with `CircuitBreakerOpenError`, which is neither retried nor wrapped into a
 * `RetryError` (unlike eventsource-py, CONTRACT §9 #7).
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when an option is invalid
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ failureThreshold: 5, recoveryTimeoutMs: 30_000 });
 * const retry = new RetryableOperation({ config: { maxRetries: 3 }, circuitBreaker: breaker });
 * try {
 *   const result = await retry.execute(() => callExternalApi(), { name: 'api_call' });
 * } catch (error) {
 *   if (error instanceof CircuitBreakerOpenError) console.log(`try again at ${error.recoveryTime}`);
 *   else if (error instanceof RetryError) console.log(`gave up after ${error.attempts} attempts`);
 * }
 * console.log(retry.stats.attempts, retry.stats.successes, retry.stats.failures);
 * ```
 */
export class RetryableOperation {
  /** The validated retry configuration. */
  readonly config: RetryConfig;
  /** The breaker every attempt goes through, if any. */
  readonly circuitBreaker: CircuitBreaker | undefined;
  /** The classifier used when no `retryableErrors` are given. */
  readonly classifier: ErrorClassifier;

  readonly #retryableErrors: RetryableErrors | undefined;
  readonly #name: string | undefined;
  readonly #onRetry: ((info: RetryAttemptInfo) => void) | undefined;
  readonly #sleep: SleepFunction;
  readonly #random: () => number;
  readonly #onCallbackError: CallbackErrorHandler;
  readonly #stats: MutableRetryStats = {
    attempts: 0,
    successes: 0,
    failures: 0,
    totalDelayMs: 0,
    rejections: 0,
    lastError: null,
  };

  constructor(options: RetryableOperationOptions = {}) {
    optionsObject('RetryableOperation', options);
    this.config = retryConfigOf(options.config);
    const breaker = options.circuitBreaker;
    if (breaker !== undefined && !(breaker instanceof CircuitBreaker)) {
      throw new InvalidConfigError(
        'RetryableOperation.circuitBreaker',
        'must be a CircuitBreaker',
        breaker,
      );
    }
    this.circuitBreaker = breaker;
    this.classifier = classifierOption(
      options.classifier,
      'RetryableOperation.classifier',
      defaultClassifier,
    );
    if (options.retryableErrors !== undefined) {
      retryPredicate(
        options.retryableErrors,
        this.classifier,
        'RetryableOperation.retryableErrors',
      );
    }
    this.#retryableErrors = options.retryableErrors;
    this.#name =
      options.name === undefined
        ? undefined
        : nameOption(options.name, 'RetryableOperation.name', '');
    this.#onRetry = optionalFunction('RetryableOperation.onRetry', options.onRetry);
    this.#sleep = sleepOption(options.sleep, 'RetryableOperation.sleep');
    this.#random = randomOption(options.random, 'RetryableOperation.random');
    this.#onCallbackError =
      optionalFunction<CallbackErrorHandler>(
        'RetryableOperation.onCallbackError',
        options.onCallbackError,
      ) ?? reportCallbackError;
  }

  /**
   * The live statistics: the same object every time, updated by every call of an operation.
   * Read-only for callers; use {@link RetryableOperation.resetStats} to clear it.
   */
  get stats(): RetryStats {
    return this.#stats;
  }

  /** Sets every counter back to 0 and `lastError` to `null`. */
  resetStats(): void {
    const stats = this.#stats;
    stats.attempts = 0;
    stats.successes = 0;
    stats.failures = 0;
    stats.totalDelayMs = 0;
    stats.rejections = 0;
    stats.lastError = null;
  }

  /**
   * Runs `operation` with retries (and through the breaker, if any).
   *
   * @throws {CircuitBreakerOpenError} ES_CIRCUIT_OPEN at once when the circuit refuses an attempt
   * @throws {RetryError} ES_RETRY_EXHAUSTED when every allowed call failed with a retryable error
   * @throws the operation's own error, unchanged, when it is not retryable
   * @throws `signal.reason` when the signal aborts
   */
  async execute<T>(
    operation: () => T | PromiseLike<T>,
    options?: RetryableExecuteOptions,
  ): Promise<T> {
    if (options !== undefined) {
      const signal = options.signal;
      if (signal?.aborted) throw signal.reason;
    }
    const breaker = this.circuitBreaker;
    const stats = this.#stats;
    let generation = 0;
    if (breaker !== undefined) {
      generation = breakerInternals.admit(breaker);
      if (generation < 0) {
        const rejection = breakerInternals.rejection(breaker, options?.name ?? this.#name);
        stats.rejections++;
        stats.lastError = rejection;
        throw rejection;
      }
    }
    stats.attempts++;
    let result: T;
    try {
      result = await operation();
    } catch (error) {
      if (breaker !== undefined) breakerInternals.failure(breaker, generation, error);
      stats.failures++;
      stats.lastError = error;
      return continueRetrying(
        {
          operation,
          config: this.config,
          isRetryable: retryPredicate(
            options?.retryableErrors ?? this.#retryableErrors,
            this.classifier,
            'RetryableOperation.execute.retryableErrors',
          ),
          operationName: nameOption(
            options?.name,
            'RetryableOperation.execute.name',
            this.#name ?? breaker?.name ?? 'operation',
          ),
          signal: signalOption(options?.signal, 'RetryableOperation.execute.signal'),
          onRetry: this.#onRetry,
          sleep: this.#sleep,
          random: this.#random,
          stats,
          breaker,
          onCallbackError: this.#onCallbackError,
        },
        error,
        1,
      );
    }
    if (breaker !== undefined) breakerInternals.success(breaker, generation);
    stats.successes++;
    return result;
  }
}
