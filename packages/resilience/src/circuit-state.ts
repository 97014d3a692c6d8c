/**
 * {@link CircuitState}: the three states of a circuit breaker.
 *
 * @module
 */

/**
 * The state of a `CircuitBreaker`.
 *
 * - `closed`: calls flow; consecutive failures are counted.
 * - `open`: calls are refused with `CircuitBreakerOpenError` until the recovery timeout passes.
 * - `half_open`: a limited number of probe calls are let through; one success closes the
 *   circuit, one failure opens it again.
 */
export const CircuitState = {
  CLOSED: 'closed',
  OPEN: 'open',
  HALF_OPEN: 'half_open',
} as const;

/** One of the {@link CircuitState} values. */
export type CircuitState = (typeof CircuitState)[keyof typeof CircuitState];
