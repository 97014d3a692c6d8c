/**
 * {@link RetryConfig}: how many times to retry and how long to wait in between.
 *
 * @module
 */
import {
  finiteInRange,
  integerAtLeast,
  MAX_TIMER_DELAY_MS,
  oneOf,
  optionsObject,
} from './internal/validate.js';

/**
 * How `calculateBackoff` randomises a delay.
 *
 * - `proportional` (default): the capped exponential delay `d` spread uniformly by `±jitter·d`.
 * - `full`: uniform in `[0, d]` (AWS "full jitter"; least retry work under contention).
 *   `jitter` is ignored.
 * - `decorrelated`: AWS "decorrelated jitter", uniform in
 *   `[initialDelayMs, max(initialDelayMs, 3·previousDelay)]`, capped. `jitter` and
 *   `exponentialBase` are ignored.
 */
export const JitterStrategy = {
  PROPORTIONAL: 'proportional',
  FULL: 'full',
  DECORRELATED: 'decorrelated',
} as const;

/** One of the {@link JitterStrategy} values. */
export type JitterStrategy = (typeof JitterStrategy)[keyof typeof JitterStrategy];

const JITTER_STRATEGIES: readonly JitterStrategy[] = Object.values(JitterStrategy);

/** The options a {@link RetryConfig} is built from; every field is optional. */
export interface RetryConfigOptions {
  /** Retries after the first call (so at most `maxRetries + 1` calls). Integer `>= 0`. Default 5. */
  readonly maxRetries?: number;
  /** Delay before the first retry, in ms. Finite, `>= 0`. Default 1000. */
  readonly initialDelayMs?: number;
  /** Cap on any single delay, in ms. `>= initialDelayMs`, `<= 2147483647`. Default 60000. */
  readonly maxDelayMs?: number;
  /** Growth factor per retry. Finite, `>= 1`. Default 2. */
  readonly exponentialBase?: number;
  /** Proportional jitter fraction, `0 <= jitter <= 1`. Default 0.1 (±10 %). */
  readonly jitter?: number;
  /** How the delay is randomised. Default `'proportional'`. */
  readonly jitterStrategy?: JitterStrategy;
}

/**
 * Validated, immutable retry settings. The constructor fills defaults and validates every field;
 * a bad value throws `InvalidConfigError` (`ES_INVALID_CONFIG`) naming the field, for example
 * `'RetryConfig.maxRetries'`. Anywhere a `RetryConfig` is accepted, a plain object of the same
 * (partial) shape is accepted too.
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when a field breaks its rule
 *
 * @example
 * ```ts
 * const config = new RetryConfig({ maxRetries: 3, initialDelayMs: 100, maxDelayMs: 2000 });
 * config.exponentialBase; // 2 (default)
 * ```
 */
export class RetryConfig {
  /** Retries after the first call; at most `maxRetries + 1` calls in total. */
  readonly maxRetries: number;
  /** Delay before the first retry, in ms. */
  readonly initialDelayMs: number;
  /** Cap on any single delay, in ms. */
  readonly maxDelayMs: number;
  /** Growth factor per retry. */
  readonly exponentialBase: number;
  /** Proportional jitter fraction in `[0, 1]`. */
  readonly jitter: number;
  /** How the delay is randomised. */
  readonly jitterStrategy: JitterStrategy;

  constructor(options: RetryConfigOptions = {}) {
    optionsObject('RetryConfig', options);
    this.maxRetries = integerAtLeast('RetryConfig.maxRetries', options.maxRetries ?? 5, 0);
    this.initialDelayMs = finiteInRange(
      'RetryConfig.initialDelayMs',
      options.initialDelayMs ?? 1000,
      0,
      MAX_TIMER_DELAY_MS,
    );
    this.maxDelayMs = finiteInRange(
      'RetryConfig.maxDelayMs',
      options.maxDelayMs ?? Math.max(60_000, this.initialDelayMs),
      this.initialDelayMs,
      MAX_TIMER_DELAY_MS,
      `must be a finite number >= initialDelayMs (${this.initialDelayMs}) and <= ${MAX_TIMER_DELAY_MS}`,
    );
    this.exponentialBase = finiteInRange(
      'RetryConfig.exponentialBase',
      options.exponentialBase ?? 2,
      1,
      Number.POSITIVE_INFINITY,
    );
    this.jitter = finiteInRange('RetryConfig.jitter', options.jitter ?? 0.1, 0, 1);
    this.jitterStrategy = oneOf(
      'RetryConfig.jitterStrategy',
      options.jitterStrategy ?? JitterStrategy.PROPORTIONAL,
      JITTER_STRATEGIES,
    );
    Object.freeze(this);
  }

  /**
   * Returns `config` itself when it already is a `RetryConfig`, otherwise builds (and validates)
   * one from the plain object; `undefined` gives the defaults.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when a field breaks its rule
   */
  static from(config?: RetryConfig | RetryConfigOptions): RetryConfig {
    return config instanceof RetryConfig ? config : new RetryConfig(config);
  }

  /** A plain-object copy (for logs and health output). */
  toJSON(): Required<RetryConfigOptions> {
    return {
      maxRetries: this.maxRetries,
      initialDelayMs: this.initialDelayMs,
      maxDelayMs: this.maxDelayMs,
      exponentialBase: this.exponentialBase,
      jitter: this.jitter,
      jitterStrategy: this.jitterStrategy,
    };
  }
}
