/**
 * {@link ErrorCategory}: what kind of failure an error is.
 *
 * @module
 */

/**
 * What kind of failure an error is. Values are lowercase strings, as in eventsource-py.
 *
 * - `transient`: temporary (network blip, failover, lock conflict); retrying may succeed.
 * - `permanent`: will fail the same way every time.
 * - `infrastructure`: the platform is in trouble (out of memory, disk full); needs an operator.
 * - `application`: a bug or bad data in the application (type error, missing key, constraint).
 * - `unknown`: nothing recognised the error.
 */
export const ErrorCategory = {
  TRANSIENT: 'transient',
  PERMANENT: 'permanent',
  INFRASTRUCTURE: 'infrastructure',
  APPLICATION: 'application',
  UNKNOWN: 'unknown',
} as const;

/** One of the {@link ErrorCategory} values. */
export type ErrorCategory = (typeof ErrorCategory)[keyof typeof ErrorCategory];

/** Every {@link ErrorCategory} value, in declaration order. */
export const ERROR_CATEGORIES: readonly ErrorCategory[] = Object.freeze(
  Object.values(ErrorCategory),
);
