/**
 * The per-subscription configuration and its validation.
 *
 * @module
 */
import type { Position } from '@es/core';
import { isEventSourceError } from '@es/core';
import { CircuitBreakerConfig } from '@es/resilience';
import { CheckpointStrategy, isCheckpointStrategy } from '../checkpoint-strategy.js';
import { isPosition } from '../compare-positions.js';
import { ErrorHandlingConfig, type ErrorHandlingConfigOptions } from '../error-handling-config.js';
import { SubscriptionConfigError } from '../errors.js';
import type { Projection } from './projection.js';

/**
 * Where a subscription starts reading:
 * - `'checkpoint'` (default): after its saved checkpoint, or from the beginning when it has none;
 * - `'beginning'`: from the first event (the saved checkpoint is reset at start);
 * - `'end'`: after the events stored when it starts (only new events);
 * - a {@link Position}: after that cursor (the saved checkpoint is reset at start).
 */
export type StartFrom = 'beginning' | 'end' | 'checkpoint' | Position;

/**
 * What happens to the later events of a stream once one of its events is dead-lettered.
 * - `'per-stream'` (default): they are parked behind it in the DLQ (status `parked`, never handed
 *   to the handler) until a redrive releases them, so each stream's events apply in order; other
 *   streams keep flowing.
 * - `'none'`: they are handled as usual (the stream's order is broken around the failed event).
 */
export const DlqOrdering = {
  PER_STREAM: 'per-stream',
  NONE: 'none',
} as const;

/** One of the {@link DlqOrdering} values. */
export type DlqOrdering = (typeof DlqOrdering)[keyof typeof DlqOrdering];

/** The options a `CircuitBreakerConfig` is built from. */
export type CircuitBreakerConfigInput =
  | CircuitBreakerConfig
  | NonNullable<ConstructorParameters<typeof CircuitBreakerConfig>[0]>;

/**
 * How one subscription runs. Every field is optional; see each default.
 *
 * @example
 * ```ts
 * manager.subscribe(projection, {
 *   startFrom: 'beginning',
 *   batchSize: 500,
 *   checkpointStrategy: CheckpointStrategy.EVERY_BATCH,
 *   errorHandling: { strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ, retry: { maxRetries: 3 } },
 *   processingTimeoutMs: 5_000,
 * });
 * ```
 */
export interface SubscriptionConfig {
  /** The subscription id (checkpoint key and DLQ `projectionName`). Default: the projection's name. */
  readonly id?: string | undefined;
  /** Where to start reading. Default `'checkpoint'`. */
  readonly startFrom?: StartFrom | undefined;
  /** Events per read from the store. Integer 1…100000, default 100. */
  readonly batchSize?: number | undefined;
  /** When to save the checkpoint. Default {@link CheckpointStrategy.EVERY_BATCH}. */
  readonly checkpointStrategy?: CheckpointStrategy | undefined;
  /** The interval of {@link CheckpointStrategy.PERIODIC}, in ms. Finite, > 0, default 5000. */
  readonly checkpointIntervalMs?: number | undefined;
  /**
   * How failing events are handled; its `retry` is the subscription's retry budget and backoff.
   * Default: the manager's `errorHandling`, else `new ErrorHandlingConfig()` (retry then DLQ).
   */
  readonly errorHandling?: ErrorHandlingConfig | ErrorHandlingConfigOptions | undefined;
  /**
   * The longest one handler call may take, in ms; a call that takes longer fails with a
   * `TimeoutError` (handled like any failure) and its `context.signal` is aborted.
   * Finite ≥ 0; default 30000; `0` disables the limit.
   */
  readonly processingTimeoutMs?: number | undefined;
  /**
   * The longest one infrastructure operation of the subscription loop may take, in ms: reading a
   * page of events (the `readAll` call and its iteration), a unit-of-work transaction outside its
   * handler calls (begin, savepoints, DLQ and checkpoint writes, commit), a checkpoint load or
   * save, a DLQ read or write outside a handler, loading the blocked streams. An operation that
   * takes longer is abandoned and fails with a `TimeoutError` (`ES_TIMEOUT`), handled like any
   * infrastructure failure (breaker, backoff, retry); its late outcome is ignored. Bounds a query
   * a driver lost (postgres.js after a connection reset) that would otherwise wedge the
   * subscription forever. Handler calls are bounded by `processingTimeoutMs` instead.
   * Finite ≥ 0; default 30000; `0` disables the limit.
   */
  readonly infrastructureTimeoutMs?: number | undefined;
  /** Per-stream order in the DLQ. Default `'per-stream'`. */
  readonly dlqOrdering?: DlqOrdering | undefined;
  /**
   * The breaker around handler calls (it counts transient and infrastructure errors only; see the
   * README), or `false` for none. Default: the manager's `handlerBreaker`.
   */
  readonly handlerBreaker?: CircuitBreakerConfigInput | false | undefined;
  /**
   * The longest `health()` waits for the store and the DLQ, in ms (one deadline for all its
   * reads). A read that has not answered by then is reported like a failed one: its figures are
   * null, with a warning (status `degraded`). Finite > 0; default 1500.
   */
  readonly healthTimeoutMs?: number | undefined;
  /**
   * When the store reports its read horizon (`getHorizonStatus`, as `PostgresEventStore` does):
   * how long an open transaction may hold committed events back before `health()` reports the
   * stall (a warning, status `degraded`), in ms. Shorter holds count as lag only. Finite > 0;
   * default 1000.
   */
  readonly horizonStallMs?: number | undefined;
}

/** Defaults a manager passes down to its subscriptions. */
export interface SubscriptionConfigDefaults {
  readonly errorHandling: ErrorHandlingConfig;
  readonly handlerBreaker: CircuitBreakerConfig | false;
}

/** A validated {@link SubscriptionConfig} with every default filled in. */
export interface ResolvedSubscriptionConfig {
  readonly id: string;
  readonly startFrom: StartFrom;
  readonly batchSize: number;
  readonly checkpointStrategy: CheckpointStrategy;
  readonly checkpointIntervalMs: number;
  readonly errorHandling: ErrorHandlingConfig;
  readonly processingTimeoutMs: number;
  /** `0` when disabled. */
  readonly infrastructureTimeoutMs: number;
  readonly dlqOrdering: DlqOrdering;
  readonly handlerBreaker: CircuitBreakerConfig | false;
  readonly healthTimeoutMs: number;
  readonly horizonStallMs: number;
  /** The projection's event-type filter, copied; undefined for all types. */
  readonly eventTypes: readonly string[] | undefined;
}

/** Default `batchSize`. */
export const DEFAULT_BATCH_SIZE = 100;
/** Largest accepted `batchSize`. */
export const MAX_BATCH_SIZE = 100_000;
/** Default `checkpointIntervalMs`. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 5_000;
/** Default `processingTimeoutMs`. */
export const DEFAULT_PROCESSING_TIMEOUT_MS = 30_000;
/** Default `infrastructureTimeoutMs`. */
export const DEFAULT_INFRASTRUCTURE_TIMEOUT_MS = 30_000;
/** Default `healthTimeoutMs`. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 1_500;
/** Default `horizonStallMs`. */
export const DEFAULT_HORIZON_STALL_MS = 1_000;
const MAX_TIMER_MS = 2_147_483_647;

const START_FROM_WORDS: ReadonlySet<unknown> = new Set(['beginning', 'end', 'checkpoint']);
const DLQ_ORDERINGS: ReadonlySet<unknown> = new Set(Object.values(DlqOrdering));

/**
 * Validates a projection and its subscription config and fills the defaults.
 *
 * @throws {SubscriptionConfigError} ES_SUBSCRIPTION_CONFIG naming the field and the rule.
 * @internal
 */
export function resolveSubscriptionConfig(
  projection: Projection,
  config: SubscriptionConfig | undefined,
  defaults: SubscriptionConfigDefaults,
): ResolvedSubscriptionConfig {
  if (typeof projection !== 'object' || projection === null) {
    throw new SubscriptionConfigError('projection', 'must be an object', projection);
  }
  if (typeof projection.name !== 'string' || projection.name.trim() === '') {
    throw new SubscriptionConfigError(
      'projection.name',
      'must be a non-empty string',
      projection.name,
    );
  }
  if (typeof projection.handle !== 'function') {
    throw new SubscriptionConfigError('projection.handle', 'must be a function', projection.handle);
  }
  const eventTypes = resolveEventTypes(projection.eventTypes);
  if (config !== undefined && (typeof config !== 'object' || config === null)) {
    throw new SubscriptionConfigError('SubscriptionConfig', 'must be an options object', config);
  }
  const c: SubscriptionConfig = config ?? {};
  const id = c.id ?? projection.name;
  const fail = (field: string, rule: string, value: unknown): never => {
    throw new SubscriptionConfigError(`SubscriptionConfig.${field}`, rule, value, {
      subscriptionName: typeof id === 'string' ? id : undefined,
    });
  };
  /** A time limit in ms where 0 turns the limit off. */
  const disablableLimit = (field: string, value: unknown): number => {
    if (!isFiniteNumber(value) || value < 0 || value > MAX_TIMER_MS) {
      fail(
        field,
        `must be a finite number >= 0 and <= ${MAX_TIMER_MS} (0 disables the limit)`,
        value,
      );
    }
    return value as number;
  };
  if (typeof id !== 'string' || id.trim() === '') fail('id', 'must be a non-empty string', id);

  const startFrom = c.startFrom ?? 'checkpoint';
  if (
    !START_FROM_WORDS.has(startFrom) &&
    !(
      isPosition(startFrom) &&
      startFrom !== '' &&
      (typeof startFrom === 'string' || Number.isSafeInteger(startFrom))
    )
  ) {
    fail(
      'startFrom',
      "must be 'beginning', 'end', 'checkpoint', an integer position >= 0 or a non-empty position string",
      startFrom,
    );
  }
  const batchSize = c.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    fail('batchSize', `must be an integer from 1 to ${MAX_BATCH_SIZE}`, batchSize);
  }
  const checkpointStrategy = c.checkpointStrategy ?? CheckpointStrategy.EVERY_BATCH;
  if (!isCheckpointStrategy(checkpointStrategy)) {
    fail(
      'checkpointStrategy',
      `must be one of ${Object.values(CheckpointStrategy).join(', ')}`,
      checkpointStrategy,
    );
  }
  const checkpointIntervalMs = c.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
  if (
    !isFiniteNumber(checkpointIntervalMs) ||
    checkpointIntervalMs <= 0 ||
    checkpointIntervalMs > MAX_TIMER_MS
  ) {
    fail(
      'checkpointIntervalMs',
      `must be a finite number > 0 and <= ${MAX_TIMER_MS}`,
      checkpointIntervalMs,
    );
  }
  const processingTimeoutMs = disablableLimit(
    'processingTimeoutMs',
    c.processingTimeoutMs ?? DEFAULT_PROCESSING_TIMEOUT_MS,
  );
  const infrastructureTimeoutMs = disablableLimit(
    'infrastructureTimeoutMs',
    c.infrastructureTimeoutMs ?? DEFAULT_INFRASTRUCTURE_TIMEOUT_MS,
  );
  const healthTimeoutMs = c.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  if (!isFiniteNumber(healthTimeoutMs) || healthTimeoutMs <= 0 || healthTimeoutMs > MAX_TIMER_MS) {
    fail('healthTimeoutMs', `must be a finite number > 0 and <= ${MAX_TIMER_MS}`, healthTimeoutMs);
  }
  const horizonStallMs = c.horizonStallMs ?? DEFAULT_HORIZON_STALL_MS;
  if (!isFiniteNumber(horizonStallMs) || horizonStallMs <= 0) {
    fail('horizonStallMs', 'must be a finite number > 0', horizonStallMs);
  }
  const dlqOrdering = c.dlqOrdering ?? DlqOrdering.PER_STREAM;
  if (!DLQ_ORDERINGS.has(dlqOrdering)) {
    fail('dlqOrdering', "must be 'per-stream' or 'none'", dlqOrdering);
  }

  let errorHandling = defaults.errorHandling;
  if (c.errorHandling !== undefined) {
    errorHandling = nested(`SubscriptionConfig.errorHandling`, id, () =>
      ErrorHandlingConfig.from(c.errorHandling),
    );
  }
  let handlerBreaker = defaults.handlerBreaker;
  if (c.handlerBreaker === false) handlerBreaker = false;
  else if (c.handlerBreaker !== undefined) {
    const input = c.handlerBreaker;
    handlerBreaker = nested('SubscriptionConfig.handlerBreaker', id, () =>
      input instanceof CircuitBreakerConfig ? input : new CircuitBreakerConfig(input),
    );
  }

  return Object.freeze({
    id,
    startFrom,
    batchSize,
    checkpointStrategy,
    checkpointIntervalMs,
    errorHandling,
    processingTimeoutMs,
    infrastructureTimeoutMs,
    dlqOrdering,
    handlerBreaker,
    healthTimeoutMs,
    horizonStallMs,
    eventTypes,
  });
}

/**
 * Builds a nested config (an `ErrorHandlingConfig`, a `CircuitBreakerConfig`…) and turns its
 * validation error into a {@link SubscriptionConfigError} naming the nested field.
 *
 * @internal
 */
export function nested<T>(prefix: string, subscriptionName: string | undefined, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (isEventSourceError(error) && error.code === 'ES_INVALID_CONFIG') {
      const invalid = error as unknown as { field?: unknown; rule?: unknown; value?: unknown };
      const field = typeof invalid.field === 'string' ? invalid.field : '';
      let inner = field.includes('.') ? field.slice(field.indexOf('.') + 1) : field;
      // A RetryConfig nested in an ErrorHandlingConfig names its own class: put it under `retry`.
      if (field.startsWith('RetryConfig.') && prefix.endsWith('errorHandling'))
        inner = `retry.${inner}`;
      throw new SubscriptionConfigError(
        inner === '' ? prefix : `${prefix}.${inner}`,
        typeof invalid.rule === 'string' ? invalid.rule : error.message,
        invalid.value,
        { cause: error, subscriptionName },
      );
    }
    throw error;
  }
}

function resolveEventTypes(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((type) => typeof type === 'string' && type !== '')
  ) {
    throw new SubscriptionConfigError(
      'projection.eventTypes',
      'must be a non-empty array of non-empty strings, or undefined for every type',
      value,
    );
  }
  return Object.freeze([...new Set(value as string[])]);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
