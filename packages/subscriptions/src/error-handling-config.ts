/**
 * The configuration of a subscription's error handling.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';
import { ErrorSeverity, RetryConfig } from '@es/resilience';
import { ErrorHandlingStrategy, isErrorHandlingStrategy } from './error-handling-strategy.js';

/** The options a {@link RetryConfig} is built from (a partial plain object). */
export type RetryConfigInput =
  | RetryConfig
  | NonNullable<ConstructorParameters<typeof RetryConfig>[0]>;

/** Options of {@link ErrorHandlingConfig}: every field is optional and has a default. */
export interface ErrorHandlingConfigOptions {
  /** What to do with a failing event. Default {@link ErrorHandlingStrategy.RETRY_THEN_DLQ}. */
  readonly strategy?: ErrorHandlingStrategy | undefined;
  /** How many recent errors the handler keeps (oldest dropped first). Integer ≥ 0, default 100; 0 keeps none. */
  readonly maxRecentErrors?: number | undefined;
  /**
   * After this many errors the handler says stop (`shouldContinue()` false, `action: 'stop'`).
   * Integer ≥ 1; default none (no limit).
   */
  readonly maxErrorsBeforeStop?: number | undefined;
  /**
   * Errors per minute (rolling 60 s) above which the handler is unhealthy and `shouldContinue()`
   * is false. Finite number ≥ 0; default none.
   */
  readonly errorRateThreshold?: number | undefined;
  /** When false, every `dlq` action becomes `skip`. Default true. */
  readonly dlqEnabled?: boolean | undefined;
  /** Callbacks fire for errors of at least this severity (low < medium < high < critical). Default `high`. */
  readonly notifyOnSeverity?: ErrorSeverity | undefined;
  /** The retry budget and backoff of the subscription. Default `new RetryConfig()`. */
  readonly retry?: RetryConfigInput | undefined;
}

const SEVERITIES: ReadonlySet<string> = new Set(Object.values(ErrorSeverity));

/**
 * How a subscription handles failing events: the strategy (see {@link ErrorHandlingStrategy}),
 * the retry budget, the DLQ switch, the notification threshold and the stop/alert limits.
 * Immutable; validated on construction. Plain objects of the same shape are accepted wherever a
 * config is taken ({@link ErrorHandlingConfig.from}).
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG naming the field (`ErrorHandlingConfig.<field>`)
 * and the rule, when a value is invalid; `RetryConfig`'s own validation applies to `retry`.
 * @example
 * ```ts
 * const config = new ErrorHandlingConfig({
 *   strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ,
 *   maxErrorsBeforeStop: 1000,
 *   errorRateThreshold: 10,
 *   notifyOnSeverity: ErrorSeverity.HIGH,
 *   retry: { maxRetries: 3, initialDelayMs: 100 },
 * });
 * ```
 */
export class ErrorHandlingConfig {
  /** What to do with a failing event. */
  readonly strategy: ErrorHandlingStrategy;
  /** Bound of `SubscriptionErrorHandler.recentErrors`. */
  readonly maxRecentErrors: number;
  /** Error count at which the handler says stop; undefined for no limit. */
  readonly maxErrorsBeforeStop: number | undefined;
  /** Errors per minute above which the handler is unhealthy; undefined for no threshold. */
  readonly errorRateThreshold: number | undefined;
  /** Whether `dlq` actions dead-letter (true) or skip (false). */
  readonly dlqEnabled: boolean;
  /** The lowest severity that reaches the callbacks. */
  readonly notifyOnSeverity: ErrorSeverity;
  /** The retry budget (`maxRetries`) and backoff of the subscription. */
  readonly retry: RetryConfig;

  constructor(options: ErrorHandlingConfigOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidConfigError('ErrorHandlingConfig', 'must be an options object', options);
    }
    const {
      strategy = ErrorHandlingStrategy.RETRY_THEN_DLQ,
      maxRecentErrors = 100,
      maxErrorsBeforeStop,
      errorRateThreshold,
      dlqEnabled = true,
      notifyOnSeverity = ErrorSeverity.HIGH,
      retry,
    } = options;

    if (!isErrorHandlingStrategy(strategy)) {
      throw new InvalidConfigError(
        'ErrorHandlingConfig.strategy',
        `must be one of ${Object.values(ErrorHandlingStrategy).join(', ')}`,
        strategy,
      );
    }
    if (!Number.isSafeInteger(maxRecentErrors) || maxRecentErrors < 0) {
      throw new InvalidConfigError(
        'ErrorHandlingConfig.maxRecentErrors',
        'must be an integer >= 0',
        maxRecentErrors,
      );
    }
    if (
      maxErrorsBeforeStop !== undefined &&
      (!Number.isSafeInteger(maxErrorsBeforeStop) || maxErrorsBeforeStop < 1)
    ) {
      throw new InvalidConfigError(
        'ErrorHandlingConfig.maxErrorsBeforeStop',
        'must be an integer >= 1 or undefined',
        maxErrorsBeforeStop,
      );
    }
    if (
      errorRateThreshold !== undefined &&
      (typeof errorRateThreshold !== 'number' ||
        !Number.isFinite(errorRateThreshold) ||
        errorRateThreshold < 0)
    ) {
      throw new InvalidConfigError(
        'ErrorHandlingConfig.errorRateThreshold',
        'must be a finite number >= 0 (errors per minute) or undefined',
        errorRateThreshold,
      );
    }
    if (typeof dlqEnabled !== 'boolean') {
      throw new InvalidConfigError(
        'ErrorHandlingConfig.dlqEnabled',
        'must be a boolean',
        dlqEnabled,
      );
    }
    if (typeof notifyOnSeverity !== 'string' || !SEVERITIES.has(notifyOnSeverity)) {
      throw new InvalidConfigError(
        'ErrorHandlingConfig.notifyOnSeverity',
        `must be one of ${Object.values(ErrorSeverity).join(', ')}`,
        notifyOnSeverity,
      );
    }
    if (retry !== undefined && (typeof retry !== 'object' || retry === null)) {
      throw new InvalidConfigError(
        'ErrorHandlingConfig.retry',
        'must be a RetryConfig or a RetryConfig options object',
        retry,
      );
    }

    this.strategy = strategy;
    this.maxRecentErrors = maxRecentErrors;
    this.maxErrorsBeforeStop = maxErrorsBeforeStop;
    this.errorRateThreshold = errorRateThreshold;
    this.dlqEnabled = dlqEnabled;
    this.notifyOnSeverity = notifyOnSeverity;
    this.retry = retry instanceof RetryConfig ? retry : new RetryConfig(retry);
    Object.freeze(this);
  }

  /**
   * Normalizes a config argument: an {@link ErrorHandlingConfig} is returned as is, a plain
   * options object (or undefined, for the defaults) is validated into a new one.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when a field is invalid.
   */
  static from(config?: ErrorHandlingConfig | ErrorHandlingConfigOptions): ErrorHandlingConfig {
    return config instanceof ErrorHandlingConfig ? config : new ErrorHandlingConfig(config);
  }

  /**
   * A copy with some fields replaced, validated like a new config.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when a replaced field is invalid.
   * @example
   * ```ts
   * const strict = config.with({ strategy: ErrorHandlingStrategy.STOP });
   * ```
   */
  with(overrides: ErrorHandlingConfigOptions): ErrorHandlingConfig {
    return new ErrorHandlingConfig({ ...this.toOptions(), ...overrides });
  }

  private toOptions(): ErrorHandlingConfigOptions {
    return {
      strategy: this.strategy,
      maxRecentErrors: this.maxRecentErrors,
      maxErrorsBeforeStop: this.maxErrorsBeforeStop,
      errorRateThreshold: this.errorRateThreshold,
      dlqEnabled: this.dlqEnabled,
      notifyOnSeverity: this.notifyOnSeverity,
      retry: this.retry,
    };
  }
}
