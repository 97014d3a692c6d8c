/**
 * Normalisation of options that may be given as plain objects, done once per object.
 *
 * @internal
 * @module
 */
import { InvalidConfigError } from '@es/core';
import { RetryConfig, type RetryConfigOptions } from '../retry-config.js';
import type { SleepFunction } from '../retry-types.js';
import { sleep } from './sleep.js';
import { optionalFunction } from './validate.js';

const plainConfigs = new WeakMap<object, RetryConfig>();

/**
 * The `RetryConfig` for `config`: itself when it is one, the defaults when `undefined`, else a
 * validated copy of the plain object, cached per object (a plain config object is read once;
 * later mutations of it are not seen).
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG when a field breaks its rule
 */
export function retryConfigOf(config: RetryConfig | RetryConfigOptions | undefined): RetryConfig {
  if (config instanceof RetryConfig) return config;
  if (config === undefined) return DEFAULT_RETRY_CONFIG;
  if (typeof config !== 'object' || config === null) {
    throw new InvalidConfigError(
      'RetryConfig',
      'must be a RetryConfig or an options object',
      config,
    );
  }
  let normalized = plainConfigs.get(config);
  if (normalized === undefined) {
    normalized = new RetryConfig(config);
    plainConfigs.set(config, normalized);
  }
  return normalized;
}

/** The defaults, built once. */
export const DEFAULT_RETRY_CONFIG: RetryConfig = new RetryConfig();

/** Validates an optional operation name. */
export function nameOption(value: unknown, field: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new InvalidConfigError(field, 'must be a string', value);
  return value;
}

/** Validates an optional `sleep` function, defaulting to the abortable `setTimeout` wait. */
export function sleepOption(value: unknown, field: string): SleepFunction {
  return optionalFunction<SleepFunction>(field, value) ?? sleep;
}

/** Validates an optional `random` function, defaulting to `Math.random`. */
export function randomOption(value: unknown, field: string): () => number {
  return optionalFunction<() => number>(field, value) ?? Math.random;
}

/** Validates an optional `AbortSignal`. */
export function signalOption(value: unknown, field: string): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw new InvalidConfigError(field, 'must be an AbortSignal', value);
}
