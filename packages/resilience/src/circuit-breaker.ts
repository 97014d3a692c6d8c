/**
 * {@link CircuitBreaker}: stops calling a failing dependency for a while, then probes it.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';
import {
  CircuitBreakerConfig,
  type CircuitBreakerConfigOptions,
} from './circuit-breaker-config.js';
import { CircuitState } from './circuit-state.js';
import { CircuitBreakerOpenError } from './errors.js';
import { type CallbackErrorHandler, reportCallbackError, safeReport } from './internal/report.js';
import { optionalFunction } from './internal/validate.js';

const { CLOSED, OPEN, HALF_OPEN } = CircuitState;

/** Options of the {@link CircuitBreaker} constructor besides its config. */
export interface CircuitBreakerOptions {
  /**
   * Current time in epoch milliseconds (like `Date.now`). Default `Date.now`. Inject a fake
   * clock in tests, or `() => performance.timeOrigin + performance.now()` for a monotonic one.
   */
  readonly clock?: (() => number) | undefined;
  /** Default operation name used in `CircuitBreakerOpenError`s. Default `'operation'`. */
  readonly name?: string | undefined;
  /**
   * Receives errors thrown by state listeners (which never break the breaker). Default: a Node
   * process warning with code `ES_CALLBACK_FAILED`.
   */
  readonly onListenerError?: ((error: unknown, source: string) => void) | undefined;
}

/** Passed to {@link CircuitBreaker.onStateChange} listeners. */
export interface CircuitStateChange {
  /** The state before the transition (the effective state, see {@link CircuitBreaker.state}). */
  readonly from: CircuitState;
  /** The state after the transition. */
  readonly to: CircuitState;
}

/** Passed to {@link CircuitBreaker.onBreak} listeners when the circuit opens. */
export interface CircuitBreakEvent {
  /** The failure that opened the circuit. */
  readonly error: unknown;
  /** Consecutive failures counted when it opened. */
  readonly failureCount: number;
  /** When the circuit admits a probe again. */
  readonly recoveryTime: Date;
  /** Milliseconds until it admits a probe again. */
  readonly retryAfterMs: number;
}

/** A plain-object view of a breaker, from {@link CircuitBreaker.toJSON}. */
export interface CircuitBreakerSnapshot {
  readonly name: string;
  readonly state: CircuitState;
  readonly failureCount: number;
  readonly lastFailureTime: Date | null;
  readonly halfOpenCalls: number;
  readonly retryAfterMs: number;
}

type Listener<E> = (event: E) => void;

/** Package-internal access to a breaker's admission protocol (used by `RetryableOperation`). */
export interface BreakerInternals {
  /** Admits a call: its generation (`>= 0`), or `-1` when refused. */
  admit(breaker: CircuitBreaker): number;
  /** The error for a refused call. */
  rejection(breaker: CircuitBreaker, operationName: string | undefined): CircuitBreakerOpenError;
  /** Records the success of a call admitted in `generation`. */
  success(breaker: CircuitBreaker, generation: number): void;
  /** Records the failure of a call admitted in `generation`. */
  failure(breaker: CircuitBreaker, generation: number, error: unknown): void;
}

/** @internal Filled in by the class's static block; never exported from the package. */
export const breakerInternals = {} as BreakerInternals;

/**
 * A circuit breaker with consecutive-failure counting (eventsource-py semantics, without
 * timers).
 *
 * - **closed**: calls flow; `failureThreshold` consecutive failures open the circuit (a success
 *   resets the count).
 * - **open**: calls fail fast with {@link CircuitBreakerOpenError} (the operation is not called)
 *   until `recoveryTimeoutMs` has passed; then the breaker is effectively **half-open**.
 * - **half-open**: up to `halfOpenMaxCalls` concurrent probes are admitted, others fail fast.
 *   One probe success closes the circuit; one probe failure opens it again with a fresh timeout.
 *   If the probes hang for another `recoveryTimeoutMs`, fresh permits are issued.
 *
 * There are no timers: the state is computed from the clock when read. Results of calls that
 * began before the latest state change (for example a slow call that fails after the circuit
 * already opened) are ignored, so they neither extend an open period nor close a circuit.
 *
 * @example
 * ```ts
 * const breaker = new CircuitBreaker({ failureThreshold: 3, recoveryTimeoutMs: 1000 });
 * breaker.onStateChange(({ from, to }) => console.log(`${from} -> ${to}`));
 * try {
 *   const data = await breaker.execute(() => fetchData(), 'fetch_data');
 * } catch (error) {
 *   if (error instanceof CircuitBreakerOpenError) console.log(`retry in ${error.retryAfterMs} ms`);
 * }
 * ```
 */
export class CircuitBreaker {
  /** The validated configuration. */
  readonly config: CircuitBreakerConfig;
  /** The default operation name for errors. */
  readonly name: string;

  readonly #clock: () => number;
  readonly #onListenerError: CallbackErrorHandler;
  #state: CircuitState = CLOSED;
  #failureCount = 0;
  #lastFailureAt: number | undefined;
  #openedAt = 0;
  #halfOpenSince = 0;
  #halfOpenCalls = 0;
  /** Incremented on every state change; calls remember the generation they were admitted in. */
  #generation = 0;
  #stateListeners: Listener<CircuitStateChange>[] = [];
  #breakListeners: Listener<CircuitBreakEvent>[] = [];
  #resetListeners: Listener<void>[] = [];
  #halfOpenListeners: Listener<void>[] = [];

  /**
   * @param config - a `CircuitBreakerConfig` or a plain partial object (which may also carry the
   *   {@link CircuitBreakerOptions} fields)
   * @param options - clock, default name, listener-error handler
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when a config field or option is invalid
   */
  constructor(
    config?: CircuitBreakerConfig | (CircuitBreakerConfigOptions & CircuitBreakerOptions),
    options: CircuitBreakerOptions = {},
  ) {
    this.config = CircuitBreakerConfig.from(config);
    const merged: CircuitBreakerOptions =
      config instanceof CircuitBreakerConfig || config === undefined
        ? options
        : {
            clock: options.clock ?? config.clock,
            name: options.name ?? config.name,
            onListenerError: options.onListenerError ?? config.onListenerError,
          };
    this.#clock =
      optionalFunction<() => number>('CircuitBreaker.clock', merged.clock) ?? (() => Date.now());
    this.#onListenerError =
      optionalFunction<CallbackErrorHandler>(
        'CircuitBreaker.onListenerError',
        merged.onListenerError,
      ) ?? reportCallbackError;
    const name = merged.name ?? 'operation';
    if (typeof name !== 'string') {
      throw new InvalidConfigError('CircuitBreaker.name', 'must be a string', name);
    }
    this.name = name;
  }

  /**
   * The effective state: an open breaker whose recovery timeout has passed reads `'half_open'`
   * (the transition itself, with its events, happens on the next `execute`).
   */
  get state(): CircuitState {
    if (this.#state === OPEN && this.#clock() - this.#openedAt >= this.config.recoveryTimeoutMs) {
      return HALF_OPEN;
    }
    return this.#state;
  }

  /** `state === 'open'`. */
  get isOpen(): boolean {
    return this.state === OPEN;
  }

  /** `state === 'closed'`. */
  get isClosed(): boolean {
    return this.#state === CLOSED;
  }

  /** `state === 'half_open'`. */
  get isHalfOpen(): boolean {
    return this.state === HALF_OPEN;
  }

  /** Consecutive failures since the last success or reset (not reset when the circuit opens). */
  get failureCount(): number {
    return this.#failureCount;
  }

  /** Milliseconds until an open circuit admits a probe; 0 when it is not open. */
  get retryAfterMs(): number {
    if (this.#state !== OPEN) return 0;
    return Math.max(0, this.#openedAt + this.config.recoveryTimeoutMs - this.#clock());
  }

  /**
   * Runs `operation` through the breaker.
   *
   * @param operation - the call to protect; its result or error is passed through unchanged
   * @param operationName - used in the `CircuitBreakerOpenError` (default: the breaker's `name`)
   * @throws {CircuitBreakerOpenError} ES_CIRCUIT_OPEN when the circuit refuses the call (the
   *   operation is not called)
   */
  async execute<T>(operation: () => T | PromiseLike<T>, operationName?: string): Promise<T> {
    const generation = this.#state === CLOSED ? this.#generation : this.#admit();
    if (generation < 0) throw this.#rejection(operationName);
    let result: T;
    try {
      result = await operation();
    } catch (error) {
      this.#recordFailure(generation, error);
      throw error;
    }
    this.#recordSuccess(generation);
    return result;
  }

  /** Closes the circuit and clears the failure count, whatever the state. */
  reset(): void {
    const from = this.state;
    this.#failureCount = 0;
    this.#lastFailureAt = undefined;
    this.#halfOpenCalls = 0;
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#generation++;
    this.#emitStateChange(from, CLOSED);
    this.#emit(this.#resetListeners, undefined, 'CircuitBreaker onReset listener');
  }

  /**
   * Calls `listener` with `{ from, to }` on every state change.
   *
   * @returns a function that removes the listener
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `listener` is not a function
   */
  onStateChange(listener: (change: CircuitStateChange) => void): () => void {
    return subscribe(this.#stateListeners, listener, 'CircuitBreaker.onStateChange.listener');
  }

  /**
   * Calls `listener` whenever the circuit opens (from closed or from half-open).
   *
   * @returns a function that removes the listener
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `listener` is not a function
   */
  onBreak(listener: (event: CircuitBreakEvent) => void): () => void {
    return subscribe(this.#breakListeners, listener, 'CircuitBreaker.onBreak.listener');
  }

  /**
   * Calls `listener` whenever the circuit closes again (a probe succeeded, or `reset()`).
   *
   * @returns a function that removes the listener
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `listener` is not a function
   */
  onReset(listener: () => void): () => void {
    return subscribe(this.#resetListeners, listener, 'CircuitBreaker.onReset.listener');
  }

  /**
   * Calls `listener` when the circuit moves to half-open (on the first call after the recovery
   * timeout).
   *
   * @returns a function that removes the listener
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `listener` is not a function
   */
  onHalfOpen(listener: () => void): () => void {
    return subscribe(this.#halfOpenListeners, listener, 'CircuitBreaker.onHalfOpen.listener');
  }

  /** A plain-object view (for logs and health output). */
  toJSON(): CircuitBreakerSnapshot {
    return {
      name: this.name,
      state: this.state,
      failureCount: this.#failureCount,
      lastFailureTime: this.#lastFailureAt === undefined ? null : new Date(this.#lastFailureAt),
      halfOpenCalls: this.#halfOpenCalls,
      retryAfterMs: this.retryAfterMs,
    };
  }

  /** Slow-path admission (state is not closed): a generation, or -1 when refused. */
  #admit(): number {
    // Listeners run during transitions and may call reset(); re-evaluate after each transition.
    for (let step = 0; step < 4; step++) {
      const state = this.#state;
      if (state === CLOSED) return this.#generation;
      const now = this.#clock();
      const recovery = this.config.recoveryTimeoutMs;
      if (state === OPEN) {
        if (now - this.#openedAt < recovery) return -1;
        this.#state = HALF_OPEN;
        this.#halfOpenSince = now;
        this.#halfOpenCalls = 0;
        this.#generation++;
        this.#emitStateChange(OPEN, HALF_OPEN);
        this.#emit(this.#halfOpenListeners, undefined, 'CircuitBreaker onHalfOpen listener');
        continue;
      }
      if (this.#halfOpenCalls < this.config.halfOpenMaxCalls) {
        this.#halfOpenCalls++;
        return this.#generation;
      }
      if (now - this.#halfOpenSince >= recovery) {
        // The probes have not settled within a whole recovery period: presume them hung, ignore
        // their late results (new generation) and issue fresh permits.
        this.#generation++;
        this.#halfOpenSince = now;
        this.#halfOpenCalls = 1;
        return this.#generation;
      }
      return -1;
    }
    return -1;
  }

  #rejection(operationName: string | undefined): CircuitBreakerOpenError {
    const now = this.#clock();
    const recovery = this.config.recoveryTimeoutMs;
    const until =
      this.#state === OPEN
        ? this.#openedAt + recovery
        : this.#state === HALF_OPEN
          ? this.#halfOpenSince + recovery
          : now;
    const retryAfterMs = until > now ? until - now : 0;
    return new CircuitBreakerOpenError(
      operationName ?? this.name,
      retryAfterMs,
      new Date(now + retryAfterMs),
    );
  }

  #recordSuccess(generation: number): void {
    if (generation !== this.#generation) return; // began before the latest state change
    if (this.#state === CLOSED) {
      if (this.#failureCount !== 0) this.#failureCount = 0;
      return;
    }
    // Half-open probe succeeded: close.
    const from = this.#state;
    this.#state = CLOSED;
    this.#failureCount = 0;
    this.#halfOpenCalls = 0;
    this.#generation++;
    this.#emitStateChange(from, CLOSED);
    this.#emit(this.#resetListeners, undefined, 'CircuitBreaker onReset listener');
  }

  #recordFailure(generation: number, error: unknown): void {
    if (generation !== this.#generation) return; // began before the latest state change
    const isFailure = this.config.isFailure;
    if (isFailure !== undefined && !this.#countsAsFailure(isFailure, error)) {
      if (this.#state === HALF_OPEN && this.#halfOpenCalls > 0) this.#halfOpenCalls--;
      return;
    }
    const now = this.#clock();
    this.#failureCount++;
    this.#lastFailureAt = now;
    if (this.#state === HALF_OPEN || this.#failureCount >= this.config.failureThreshold) {
      const from = this.#state;
      const recovery = this.config.recoveryTimeoutMs;
      this.#state = OPEN;
      this.#openedAt = now;
      this.#halfOpenCalls = 0;
      this.#generation++;
      this.#emitStateChange(from, OPEN);
      if (this.#breakListeners.length > 0) {
        this.#emit(
          this.#breakListeners,
          {
            error,
            failureCount: this.#failureCount,
            recoveryTime: new Date(now + recovery),
            retryAfterMs: recovery,
          },
          'CircuitBreaker onBreak listener',
        );
      }
    }
  }

  #countsAsFailure(isFailure: (error: unknown) => boolean, error: unknown): boolean {
    try {
      return isFailure(error) !== false;
    } catch (predicateError) {
      safeReport(this.#onListenerError, predicateError, 'CircuitBreakerConfig.isFailure');
      return true;
    }
  }

  #emitStateChange(from: CircuitState, to: CircuitState): void {
    if (this.#stateListeners.length > 0) {
      this.#emit(this.#stateListeners, { from, to }, 'CircuitBreaker onStateChange listener');
    }
  }

  #emit<E>(listeners: Listener<E>[], event: E, source: string): void {
    if (listeners.length === 0) return;
    for (const listener of listeners.slice()) {
      try {
        listener(event);
      } catch (error) {
        safeReport(this.#onListenerError, error, source);
      }
    }
  }

  static {
    breakerInternals.admit = (breaker) =>
      breaker.#state === CLOSED ? breaker.#generation : breaker.#admit();
    breakerInternals.rejection = (breaker, operationName) => breaker.#rejection(operationName);
    breakerInternals.success = (breaker, generation) => breaker.#recordSuccess(generation);
    breakerInternals.failure = (breaker, generation, error) =>
      breaker.#recordFailure(generation, error);
  }
}

function subscribe<E>(listeners: Listener<E>[], listener: Listener<E>, field: string): () => void {
  if (typeof listener !== 'function') {
    throw new InvalidConfigError(field, 'must be a function', listener);
  }
  listeners.push(listener);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    const index = listeners.indexOf(listener);
    if (index >= 0) listeners.splice(index, 1);
  };
}
