/**
 * {@link CircuitBreakerConfig}: when a circuit breaker opens and how it recovers.
 *
 * @module
 */
import {
  finiteInRange,
  integerAtLeast,
  MAX_TIMER_DELAY_MS,
  optionalFunction,
  optionsObject,
} from './internal/validate.js';

/** The options a {@link CircuitBreakerConfig} is built from; every field is optional. */
export interface CircuitBreakerConfigOptions {
  /** Consecutive failures that open the circuit. Integer `>= 1`. Default 5. */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before admitting a probe, in ms. Finite, `>= 0`. Default 30000. */
  readonly recoveryTimeoutMs?: number;
  /** Concurrent probe calls admitted while half-open. Integer `>= 1`. Default 1. */
  readonly halfOpenMaxCalls?: number;
  /**
   * Decides whether an error counts as a failure of the dependency. Errors for which it returns
   * `false` are passed through without touching the failure count (a half-open probe that ends
   * with such an error just frees its permit). Default: every error counts, as in eventsource-py.
   *
   * @example `isFailure: (e) => defaultClassifier.classify(e).category !== 'application'`
   */
  readonly isFailure?: ((error: unknown) => boolean) | undefined;
}

/**
 * Validated, immutable circuit-breaker settings. The constructor fills the defaults and
 * validates; a bad value throws `InvalidConfigError` (`ES_INVALID_CONFIG`) naming the field, for
 * example `'CircuitBreakerConfig.failureThreshold'`. Anywhere a `CircuitBreakerConfig` is
 * accepted, a plain object of the same (partial) shape is accepted too.
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when a field breaks its rule
 *
 * @example
 * ```ts
 * const config = new CircuitBreakerConfig({ failureThreshold: 3, recoveryTimeoutMs: 1000 });
 * ```
 */
export class CircuitBreakerConfig {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before admitting a probe, in ms. */
  readonly recoveryTimeoutMs: number;
  /** Concurrent probe calls admitted while half-open. */
  readonly halfOpenMaxCalls: number;
  /** Which errors count as failures; `undefined` means every error. */
  readonly isFailure: ((error: unknown) => boolean) | undefined;

  constructor(options: CircuitBreakerConfigOptions = {}) {
    optionsObject('CircuitBreakerConfig', options);
    this.failureThreshold = integerAtLeast(
      'CircuitBreakerConfig.failureThreshold',
      options.failureThreshold ?? 5,
      1,
    );
    this.recoveryTimeoutMs = finiteInRange(
      'CircuitBreakerConfig.recoveryTimeoutMs',
      options.recoveryTimeoutMs ?? 30_000,
      0,
      MAX_TIMER_DELAY_MS,
    );
    this.halfOpenMaxCalls = integerAtLeast(
      'CircuitBreakerConfig.halfOpenMaxCalls',
      options.halfOpenMaxCalls ?? 1,
      1,
    );
    this.isFailure = optionalFunction('CircuitBreakerConfig.isFailure', options.isFailure);
    Object.freeze(this);
  }

  /**
   * Returns `config` itself when it already is a `CircuitBreakerConfig`, otherwise builds (and
   * validates) one from the plain object; `undefined` gives the defaults.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when a field breaks its rule
   */
  static from(config?: CircuitBreakerConfig | CircuitBreakerConfigOptions): CircuitBreakerConfig {
    return config instanceof CircuitBreakerConfig ? config : new CircuitBreakerConfig(config);
  }

  /** A plain-object copy of the numeric settings (for logs and health output). */
  toJSON(): { failureThreshold: number; recoveryTimeoutMs: number; halfOpenMaxCalls: number } {
    return {
      failureThreshold: this.failureThreshold,
      recoveryTimeoutMs: this.recoveryTimeoutMs,
      halfOpenMaxCalls: this.halfOpenMaxCalls,
    };
  }
}
