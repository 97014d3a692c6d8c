/**
 * {@link calculateBackoff}: the delay before a retry.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';
import { RetryConfig, type RetryConfigOptions } from './retry-config.js';

/**
 * The delay in milliseconds before retry number `attempt + 1` (`attempt` is 0-based: 0 is the
 * wait after the first failed call).
 *
 * With the default `'proportional'` strategy:
 * `d = min(initialDelayMs · exponentialBase^attempt, maxDelayMs)`, then spread uniformly by
 * `±jitter·d`, then clamped to `[0, maxDelayMs]` (the cap is a cap). With `jitter: 0` and
 * (1000, 2, 60000) the sequence is 1000, 2000, 4000, …, 32000, 60000, 60000.
 * `'full'` draws uniformly from `[0, d]`; `'decorrelated'` draws uniformly from
 * `[initialDelayMs, max(initialDelayMs, 3 · previousDelayMs)]` (see {@link JitterStrategy}).
 *
 * @param attempt - 0-based retry index (an integer `>= 0`)
 * @param config - a `RetryConfig` or a plain partial options object
 * @param random - source of uniform numbers in `[0, 1)`; inject one for deterministic tests
 * @param previousDelayMs - the previous delay, used only by `'decorrelated'`; when omitted the
 *   un-jittered delay of the previous attempt is assumed
 * @returns a finite number in `[0, maxDelayMs]`
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when `attempt` is not an integer `>= 0` or the
 *   config is invalid
 *
 * @example
 * ```ts
 * const config = new RetryConfig({ initialDelayMs: 1000, jitter: 0 });
 * [0, 1, 2].map((n) => calculateBackoff(n, config)); // [1000, 2000, 4000]
 * ```
 */
export function calculateBackoff(
  attempt: number,
  config?: RetryConfig | RetryConfigOptions,
  random: () => number = Math.random,
  previousDelayMs?: number,
): number {
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new InvalidConfigError('calculateBackoff.attempt', 'must be an integer >= 0', attempt);
  }
  const c = config instanceof RetryConfig ? config : RetryConfig.from(config);
  const initial = c.initialDelayMs;
  const cap = c.maxDelayMs;
  let delay: number;
  switch (c.jitterStrategy) {
    case 'full':
      delay = uniform(random) * exponential(initial, c.exponentialBase, attempt, cap);
      break;
    case 'decorrelated': {
      const previous =
        previousDelayMs !== undefined && Number.isFinite(previousDelayMs) && previousDelayMs >= 0
          ? previousDelayMs
          : attempt === 0
            ? initial
            : exponential(initial, c.exponentialBase, attempt - 1, cap);
      const upper = Math.max(initial, Math.min(cap, previous * 3));
      delay = initial + uniform(random) * (upper - initial);
      break;
    }
    default: {
      const d = exponential(initial, c.exponentialBase, attempt, cap);
      delay = d + (2 * uniform(random) - 1) * c.jitter * d;
    }
  }
  // The cap is a cap: clamp to [0, cap] (the proportional spread may leave it on either side).
  return delay < 0 ? 0 : Math.min(delay, cap);
}

/** `min(initial · base^attempt, cap)`, safe for huge attempts and a zero initial delay. */
function exponential(initial: number, base: number, attempt: number, cap: number): number {
  if (initial === 0) return 0;
  const d = initial * base ** attempt;
  return d > cap || Number.isNaN(d) ? cap : d;
}

/** A random number clamped to `[0, 1]`; NaN counts as 0 (guards a misbehaving injected source). */
function uniform(random: () => number): number {
  const r = random();
  if (!(r >= 0)) return 0;
  return Math.min(r, 1);
}
