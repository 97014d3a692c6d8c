/**
 * The errors of `@es/subscriptions`. Every subscription error extends {@link SubscriptionError},
 * which extends `EventSourceError` from `@es/core`: each has a literal `name`, a stable `code`
 * and structured fields, and passes on `cause`.
 *
 * @module
 */
import type { Position } from '@es/core';
import { CheckpointError, EventSourceError, isEventSourceError } from '@es/core';
import type { SubscriptionState } from './subscription-state.js';

/** Options shared by the subscription errors: the standard `cause` plus the subscription. */
export interface SubscriptionErrorOptions extends ErrorOptions {
  /** The subscription the error is about, when known. */
  readonly subscriptionName?: string | undefined;
}

/**
 * Base class of every subscription error. Catch it to handle any failure of a subscription;
 * branch on {@link SubscriptionError.code} for the specific reason.
 *
 * @example
 * ```ts
 * try {
 *   await manager.start();
 * } catch (error) {
 *   if (error instanceof SubscriptionError) console.error(error.code, error.subscriptionName);
 * }
 * ```
 */
export class SubscriptionError extends EventSourceError {
  override readonly name: string = 'SubscriptionError';
  readonly code: `ES_${string}` = 'ES_SUBSCRIPTION';
  /** The subscription the error is about, or undefined when not tied to one. */
  readonly subscriptionName: string | undefined;

  constructor(message: string, options?: SubscriptionErrorOptions) {
    super(message, causeOnly(options));
    this.subscriptionName = options?.subscriptionName;
  }
}

/**
 * A subscription's configuration broke a rule. Names the field and the rule, like
 * `InvalidConfigError` in `@es/core`.
 */
export class SubscriptionConfigError extends SubscriptionError {
  override readonly name = 'SubscriptionConfigError';
  override readonly code = 'ES_SUBSCRIPTION_CONFIG';

  /**
   * @param field - the option that is wrong, for example `'SubscriptionConfig.batchSize'`
   * @param rule - the rule it breaks, for example `'must be an integer >= 1'`
   * @param value - the rejected value
   */
  constructor(
    readonly field: string,
    readonly rule: string,
    readonly value?: unknown,
    options?: SubscriptionErrorOptions,
  ) {
    super(
      `Invalid ${field}${forSubscription(options?.subscriptionName)}: ${rule} (got ${describeValue(value)})`,
      options,
    );
  }
}

/** Options of {@link SubscriptionStateError}. */
export interface SubscriptionStateErrorOptions extends SubscriptionErrorOptions {
  /** The state the subscription was in. */
  readonly state?: SubscriptionState | undefined;
  /** The operation that was refused, for example `'resume'`. */
  readonly operation?: string | undefined;
}

/**
 * An operation is not allowed in the subscription's current state (for example resuming a stopped
 * subscription). (Lost checkpoint ownership is a {@link CheckpointConflictError}.)
 */
export class SubscriptionStateError extends SubscriptionError {
  override readonly name = 'SubscriptionStateError';
  override readonly code = 'ES_SUBSCRIPTION_STATE';
  /** The state the subscription was in, when known. */
  readonly state: SubscriptionState | undefined;
  /** The refused operation, when known. */
  readonly operation: string | undefined;

  constructor(message: string, options?: SubscriptionStateErrorOptions) {
    super(message, options);
    this.state = options?.state;
    this.operation = options?.operation;
  }
}

/** A subscription with this id is already registered with the manager. */
export class SubscriptionAlreadyExistsError extends SubscriptionError {
  override readonly name = 'SubscriptionAlreadyExistsError';
  override readonly code = 'ES_SUBSCRIPTION_ALREADY_EXISTS';

  constructor(subscriptionName: string, options?: ErrorOptions) {
    super(`Subscription '${subscriptionName}' already exists`, {
      ...causeOnly(options),
      subscriptionName,
    });
  }
}

/**
 * A subscription was asked to start from its checkpoint where one is required and none exists.
 * (By default a missing checkpoint means "start from the beginning"; this error is for callers
 * that opt into requiring one.)
 */
export class CheckpointNotFoundError extends SubscriptionError {
  override readonly name = 'CheckpointNotFoundError';
  override readonly code = 'ES_CHECKPOINT_NOT_FOUND';

  constructor(subscriptionName: string, options?: ErrorOptions) {
    super(
      `No checkpoint found for '${subscriptionName}'. Use startFrom: 'beginning' to start from the beginning, or check the subscription name.`,
      { ...causeOnly(options), subscriptionName },
    );
  }
}

/** Options of {@link EventStoreConnectionError}. */
export interface EventStoreConnectionErrorOptions extends SubscriptionErrorOptions {
  /** A name for the store, for example `'PostgresEventStore'`. */
  readonly store?: string | undefined;
  /** The cursor the subscription was reading from. */
  readonly position?: Position | null | undefined;
}

/** A subscription could not read from its event store (after its retries). */
export class EventStoreConnectionError extends SubscriptionError {
  override readonly name = 'EventStoreConnectionError';
  override readonly code = 'ES_EVENT_STORE_CONNECTION';
  /** The store's name, when known. */
  readonly store: string | undefined;
  /** The cursor the read started from, or null when unknown. */
  readonly position: Position | null;

  constructor(message: string, options?: EventStoreConnectionErrorOptions) {
    super(options?.store === undefined ? message : `${options.store}: ${message}`, options);
    this.store = options?.store;
    this.position = options?.position ?? null;
  }
}

/** Options of {@link EventBusConnectionError}. */
export interface EventBusConnectionErrorOptions extends SubscriptionErrorOptions {
  /** A name for the bus, for example `'PostgresNotifyBus'`. */
  readonly bus?: string | undefined;
}

/** A subscription could not subscribe to (or lost) its event bus. */
export class EventBusConnectionError extends SubscriptionError {
  override readonly name = 'EventBusConnectionError';
  override readonly code = 'ES_EVENT_BUS_CONNECTION';
  /** The bus's name, when known. */
  readonly bus: string | undefined;

  constructor(message: string, options?: EventBusConnectionErrorOptions) {
    super(options?.bus === undefined ? message : `${options.bus}: ${message}`, options);
    this.bus = options?.bus;
  }
}

/** Options of {@link TransitionError}. */
export interface TransitionErrorOptions extends SubscriptionErrorOptions {
  /** Why the transition failed or is not allowed, for example `'catch-up failed'`. */
  readonly reason?: string | undefined;
}

/**
 * A subscription could not move from one state to another: the transition is not allowed, or
 * the work it needed (for example the catch-up before going live) failed (see `cause`).
 */
export class TransitionError extends SubscriptionError {
  override readonly name = 'TransitionError';
  override readonly code = 'ES_TRANSITION';
  /** The reason given, when any. */
  readonly reason: string | undefined;

  /**
   * @param from - the state the subscription was in
   * @param to - the state it should have moved to
   */
  constructor(
    readonly from: SubscriptionState,
    readonly to: SubscriptionState,
    options?: TransitionErrorOptions,
  ) {
    super(
      `Cannot transition${forSubscription(options?.subscriptionName)} from ${from} to ${to}${
        options?.reason === undefined ? '' : `: ${options.reason}`
      }`,
      options,
    );
    this.reason = options?.reason;
  }
}

/**
 * A checkpoint save used a different kind of position (number vs string) than the one stored for
 * the subscription. One subscription uses one kind; reset the checkpoint to switch.
 */
export class CheckpointPositionKindError extends CheckpointError {
  override readonly name = 'CheckpointPositionKindError';
  override readonly code = 'ES_CHECKPOINT_POSITION_KIND';

  /**
   * @param subscriptionId - the checkpoint's subscription
   * @param storedPosition - the position already stored
   * @param position - the rejected position
   */
  constructor(
    readonly subscriptionId: string,
    readonly storedPosition: Position,
    readonly position: Position,
    options?: ErrorOptions,
  ) {
    super(
      `Checkpoint '${subscriptionId}' holds a ${typeof storedPosition} position; cannot save a ${typeof position} position (one kind per subscription)`,
      options,
    );
  }
}

/**
 * A compare-and-set checkpoint save was refused: the stored checkpoint is no longer the one this
 * subscription last saved or loaded (`expected`), so another instance (or a zombie of this one)
 * moved it, or it was reset. The subscription lost ownership of the range it was working on: the
 * transaction that carried the save is rolled back (none of its effects commit), and the
 * subscription reloads the stored checkpoint and continues from there.
 *
 * @example
 * ```ts
 * if (subscription.lastError?.code === 'ES_CHECKPOINT_CONFLICT') {
 *   console.warn('another instance is processing', subscription.id);
 * }
 * ```
 */
export class CheckpointConflictError extends CheckpointError {
  override readonly name = 'CheckpointConflictError';
  override readonly code = 'ES_CHECKPOINT_CONFLICT';

  /**
   * @param subscriptionId - the checkpoint's subscription
   * @param expected - the position the save expected to find stored (null: no checkpoint)
   * @param position - the position the refused save would have written
   */
  constructor(
    readonly subscriptionId: string,
    readonly expected: Position | null,
    readonly position: Position,
    options?: ErrorOptions,
  ) {
    super(
      `Checkpoint '${subscriptionId}' was moved by another instance: expected ${
        expected === null ? 'no checkpoint' : JSON.stringify(expected)
      } when saving ${JSON.stringify(position)}; the save and its transaction are refused`,
      options,
    );
  }
}

/** The codes of the subscription errors (everything that extends {@link SubscriptionError}). */
const SUBSCRIPTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ES_SUBSCRIPTION',
  'ES_SUBSCRIPTION_CONFIG',
  'ES_SUBSCRIPTION_STATE',
  'ES_SUBSCRIPTION_ALREADY_EXISTS',
  'ES_CHECKPOINT_NOT_FOUND',
  'ES_EVENT_STORE_CONNECTION',
  'ES_EVENT_BUS_CONNECTION',
  'ES_TRANSITION',
]);

/**
 * True when `error` is a {@link SubscriptionError} (by brand and code, so it also works across
 * duplicated copies of the package).
 */
export function isSubscriptionError(error: unknown): error is SubscriptionError {
  return isEventSourceError(error) && SUBSCRIPTION_ERROR_CODES.has(error.code);
}

function causeOnly(options: ErrorOptions | undefined): ErrorOptions | undefined {
  return options !== undefined && 'cause' in options ? { cause: options.cause } : undefined;
}

function forSubscription(name: string | undefined): string {
  return name === undefined ? '' : ` of subscription '${name}'`;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) {
    return String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value;
}
