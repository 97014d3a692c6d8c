/**
 * The error handler of a subscription: classifies a failure, decides what to do with the event,
 * dead-letters it when that is the decision, keeps statistics and notifies callbacks.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { DomainEvent, Position, StoredEvent } from '@es/core';
import { InvalidConfigError } from '@es/core';
import type { DLQRepository } from '@es/dlq';
import {
  defaultClassifier,
  ERROR_CATEGORIES,
  ERROR_SEVERITIES,
  ErrorCategory,
  ErrorClassification,
  type ErrorClassifier,
  ErrorSeverity,
} from '@es/resilience';
import { decideErrorAction, ErrorAction } from './error-action.js';
import { ErrorHandlingConfig, type ErrorHandlingConfigOptions } from './error-handling-config.js';
import { ErrorHandlingStrategy } from './error-handling-strategy.js';
import type { ErrorInfo } from './error-info.js';
import type { ErrorStats } from './error-stats.js';
import { type EventSerializer, toEventData } from './event-data.js';
import { BoundedBuffer } from './internal/bounded-buffer.js';
import { RollingWindowCounter } from './internal/rolling-window-counter.js';

/** A callback for handled errors. It may be async; it is awaited, and its failure is contained. */
export type ErrorCallback = (info: ErrorInfo) => void | PromiseLike<void>;

/** Removes the callback it was returned for. Calling it again does nothing. */
export type Unsubscribe = () => void;

/** Options of {@link SubscriptionErrorHandler}. */
export interface SubscriptionErrorHandlerOptions {
  /** The subscription (the DLQ's `projectionName`). Non-empty. */
  readonly subscriptionName: string;
  /** Strategy, limits, retry budget. An {@link ErrorHandlingConfig} or its options; default all defaults. */
  readonly config?: ErrorHandlingConfig | ErrorHandlingConfigOptions | undefined;
  /** Where `dlq` actions write. Without one, a `dlq` action cannot be carried out (see `handleError`). */
  readonly dlqRepo?: DLQRepository | undefined;
  /** Classifies errors. Default: `defaultClassifier` of `@es/resilience` (shared, like eventsource-py). */
  readonly classifier?: Pick<ErrorClassifier, 'classify'> | undefined;
  /** Milliseconds since the epoch; drives timestamps and the rolling error rate. Default `Date.now`. */
  readonly clock?: (() => number) | undefined;
  /** Turns the failing event into the DLQ entry's `eventData`. Default {@link toEventData}. */
  readonly serialize?: EventSerializer | undefined;
}

/** Input of {@link SubscriptionErrorHandler.handleError}. */
export interface HandleErrorInput {
  /** What the event handler threw (any value). */
  readonly error: unknown;
  /** The failing event. When both are given, `event` wins over `storedEvent.event`. */
  readonly event?: DomainEvent | undefined;
  /** The failing stored event: supplies the event (when `event` is absent) and `position`. */
  readonly storedEvent?: StoredEvent | undefined;
  /** Retries already made for this event: 0 on its first failure. Integer ≥ 0; default 0. */
  readonly retryCount?: number | undefined;
  /**
   * Writes this call's DLQ entry here instead of the handler's `dlqRepo`, for example a repository
   * bound to the current transaction (`UnitOfWork.dlqRepo`).
   */
  readonly dlqRepo?: DLQRepository | undefined;
}

/** The result of {@link SubscriptionErrorHandler.getHealthStatus}. */
export interface ErrorHandlerHealthStatus {
  /** False when any entry of `errors` is present. */
  readonly healthy: boolean;
  /** Conditions worth a look that do not make the handler unhealthy. */
  readonly warnings: readonly string[];
  /** Conditions that make the handler unhealthy. */
  readonly errors: readonly string[];
  /** The statistics at the time of the check. */
  readonly stats: ErrorStats;
  /** Number of errors held in `recentErrors`. */
  readonly recentErrorCount: number;
}

/** How long after a failed DLQ write the handler stays unhealthy (unless the last write failed). */
const DLQ_FAILURE_WINDOW_MS = 60_000;
/** Share of a limit from which the health check warns. */
const WARNING_RATIO = 0.8;

const SEVERITY_RANK: Readonly<Record<string, number>> = {
  [ErrorSeverity.LOW]: 0,
  [ErrorSeverity.MEDIUM]: 1,
  [ErrorSeverity.HIGH]: 2,
  [ErrorSeverity.CRITICAL]: 3,
};

interface Registration {
  readonly callback: ErrorCallback;
}

/**
 * The error handler of one subscription (CONTRACT §6). For each failure it:
 *
 * 1. classifies the error (category, severity, retryable);
 * 2. decides the action from the strategy table (see {@link decideErrorAction}); the action is
 *    also `stop` once the error count reaches `maxErrorsBeforeStop`;
 * 3. updates the statistics (every failure counts, retried attempts included);
 * 4. for a `dlq` action, writes the DLQ entry (`sentToDlq`, `dlqId`); a failed write is never
 *    thrown: it is reported in `ErrorInfo.dlqError`, in `stats.dlqFailures`, in the health check
 *    and through the callbacks;
 * 5. notifies the callbacks whose severity gate passes (`severity ≥ notifyOnSeverity` on the
 *    ordered scale low < medium < high < critical), or all matching ones when the DLQ write failed;
 *    callbacks run one after another and are awaited; one that throws or rejects is counted in
 *    `stats.callbackFailures` and the next still runs.
 *
 * The handler never retries, waits or stops anything itself: the returned `action` tells the
 * caller (the `SubscriptionManager`, or a hand-written loop) what to do.
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG from the constructor for an empty
 * `subscriptionName`, a non-function `clock`/`serialize`, or an invalid config.
 * @example
 * ```ts
 * const handler = new SubscriptionErrorHandler({
 *   subscriptionName: 'TaskProjection',
 *   config: { strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ, errorRateThreshold: 10 },
 *   dlqRepo: new InMemoryDLQRepository(),
 * });
 * handler.onError((info) => console.error(`${info.errorType}: ${info.errorMessage}`));
 *
 * try {
 *   await projection.handle(event);
 * } catch (error) {
 *   const info = await handler.handleError({ error, event, retryCount });
 *   if (info.action === 'stop' || !handler.shouldContinue()) throw new Error('stopping projection');
 * }
 * ```
 */
export class SubscriptionErrorHandler {
  /** The subscription this handler belongs to. */
  readonly subscriptionName: string;
  /** The validated configuration. */
  readonly config: ErrorHandlingConfig;
  /** The classifier in use. */
  readonly classifier: Pick<ErrorClassifier, 'classify'>;
  /** The DLQ repository `dlq` actions write to, if any. */
  readonly dlqRepo: DLQRepository | undefined;

  private readonly clock: () => number;
  private readonly serialize: EventSerializer;
  private readonly notifyRank: number;

  private generalCallbacks: readonly Registration[] = [];
  private categoryCallbacks = new Map<string, readonly Registration[]>();
  private severityCallbacks = new Map<string, readonly Registration[]>();
  private callbackCount = 0;

  private readonly recent: BoundedBuffer<ErrorInfo>;
  private readonly rate = new RollingWindowCounter();
  private totalErrors = 0;
  private transientErrors = 0;
  private dlqCount = 0;
  private dlqFailures = 0;
  private callbackFailures = 0;
  private errorsByType = new Map<string, number>();
  private errorsByCategory = new Map<string, number>();
  private errorsByAction = { retry: 0, dlq: 0, skip: 0, stop: 0 };
  private firstErrorAt: number | null = null;
  private lastErrorAt: number | null = null;
  private stoppedBy: string | null = null;
  private lastDlqFailure: { at: number; message: string } | null = null;
  private lastDlqWriteFailed = false;
  private lastCallbackFailure: string | null = null;

  constructor(options: SubscriptionErrorHandlerOptions) {
    if (typeof options?.subscriptionName !== 'string' || options.subscriptionName.length === 0) {
      throw new InvalidConfigError(
        'SubscriptionErrorHandler.subscriptionName',
        'must be a non-empty string',
        options?.subscriptionName,
      );
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidConfigError(
        'SubscriptionErrorHandler.clock',
        'must be a function returning milliseconds',
        options.clock,
      );
    }
    if (options.serialize !== undefined && typeof options.serialize !== 'function') {
      throw new InvalidConfigError(
        'SubscriptionErrorHandler.serialize',
        'must be a function',
        options.serialize,
      );
    }
    if (options.classifier !== undefined && typeof options.classifier?.classify !== 'function') {
      throw new InvalidConfigError(
        'SubscriptionErrorHandler.classifier',
        'must have a classify(error) method',
        options.classifier,
      );
    }
    this.subscriptionName = options.subscriptionName;
    this.config = ErrorHandlingConfig.from(options.config);
    this.classifier = options.classifier ?? defaultClassifier;
    this.dlqRepo = options.dlqRepo;
    this.clock = options.clock ?? Date.now;
    this.serialize = options.serialize ?? toEventData;
    this.notifyRank = SEVERITY_RANK[this.config.notifyOnSeverity] ?? 0;
    this.recent = new BoundedBuffer(this.config.maxRecentErrors);
  }

  /**
   * Handles one failure of the subscription's event handler and tells the caller what to do next
   * (`info.action`). Never rejects because of the DLQ or a callback.
   *
   * Without an event (neither `event` nor `storedEvent`), `eventId` is a fresh UUID, `eventType`
   * is `'Unknown'` and a DLQ entry gets `eventData: {}`.
   *
   * When the action is `dlq` but the event could not be written (the repository failed, the
   * serializer threw, or there is no repository), `sentToDlq` is false and `dlqError` says why:
   * the caller must not move past the event (the manager stops before it).
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `retryCount` is not an integer ≥ 0.
   * @example
   * ```ts
   * const info = await handler.handleError({ error, storedEvent, retryCount: 2 });
   * if (info.action === 'retry') await sleep(calculateBackoff(2, handler.config.retry));
   * ```
   */
  async handleError(input: HandleErrorInput): Promise<ErrorInfo> {
    const { error, storedEvent } = input;
    const retryCount = input.retryCount ?? 0;
    if (!Number.isSafeInteger(retryCount) || retryCount < 0) {
      throw new InvalidConfigError('handleError.retryCount', 'must be an integer >= 0', retryCount);
    }
    const now = this.clock();
    const event = input.event ?? storedEvent?.event;
    const classification = this.classify(error);
    const errorType = errorTypeOf(error);
    const errorMessage = errorMessageOf(error);

    let action = decideErrorAction({
      strategy: this.config.strategy,
      retryable: classification.retryable === true,
      retryCount,
      maxRetries: this.config.retry.maxRetries,
      dlqEnabled: this.config.dlqEnabled,
    });
    const limit = this.config.maxErrorsBeforeStop;
    if (limit !== undefined && this.totalErrors + 1 >= limit) action = ErrorAction.STOP;

    // Counted before the DLQ write, so concurrent callers see the error at once.
    this.record(now, errorType, classification.category, action);
    if (action === ErrorAction.STOP && this.stoppedBy === null) {
      this.stoppedBy =
        this.config.strategy === ErrorHandlingStrategy.STOP
          ? `Stopped by the STOP strategy after ${errorType}: ${errorMessage}`
          : `Error limit reached: ${this.totalErrors}/${limit}`;
    }

    const eventId = event?.eventId ?? randomUUID();
    const eventType = event?.eventType ?? 'Unknown';
    const position: Position | null = storedEvent?.position ?? null;
    let sentToDlq = false;
    let dlqId: string | null = null;
    let dlqFailed = false;
    let dlqError: unknown;

    if (action === ErrorAction.DLQ) {
      const repo = input.dlqRepo ?? this.dlqRepo;
      try {
        if (repo === undefined) {
          throw new InvalidConfigError(
            'SubscriptionErrorHandler.dlqRepo',
            'is required to dead-letter events (or set dlqEnabled: false)',
            undefined,
          );
        }
        dlqId = await repo.addFailedEvent({
          eventId,
          projectionName: this.subscriptionName,
          eventType,
          eventData: event === undefined ? {} : this.serialize(event),
          error,
          retryCount,
          streamId: event?.aggregateId ?? null,
          streamPosition: event?.aggregateVersion ?? null,
          position,
        });
        sentToDlq = true;
        this.dlqCount++;
        this.lastDlqWriteFailed = false;
      } catch (failure) {
        dlqFailed = true;
        dlqError = failure;
        dlqId = null;
        this.dlqFailures++;
        this.lastDlqWriteFailed = true;
        this.lastDlqFailure = {
          at: this.clock(),
          message: `event ${eventId} (${eventType}): ${errorMessageOf(failure)}`,
        };
      }
    }

    const info: ErrorInfo = Object.freeze({
      eventId,
      eventType,
      position,
      errorType,
      errorMessage,
      errorStacktrace: error instanceof Error ? (error.stack ?? null) : null,
      classification,
      timestamp: new Date(now),
      subscriptionName: this.subscriptionName,
      retryCount,
      sentToDlq,
      dlqId,
      action,
      error,
      ...(dlqFailed ? { dlqError } : {}),
    });
    this.recent.push(info);

    if (
      this.callbackCount > 0 &&
      (dlqFailed || (SEVERITY_RANK[classification.severity] ?? 0) >= this.notifyRank)
    ) {
      await this.notify(info);
    }
    return info;
  }

  /**
   * False once the handler says stop: an error was handled under the `STOP` strategy, or the
   * error count reached `maxErrorsBeforeStop`, or the rolling error rate is above
   * `errorRateThreshold` (true again when the rate falls back). `reset()` clears the first two.
   */
  shouldContinue(): boolean {
    return this.stopReason() === null;
  }

  /** Why {@link SubscriptionErrorHandler.shouldContinue} is false, or null when it is true. */
  stopReason(): string | null {
    if (this.stoppedBy !== null) return this.stoppedBy;
    const limit = this.config.maxErrorsBeforeStop;
    if (limit !== undefined && this.totalErrors >= limit) {
      return `Error limit reached: ${this.totalErrors}/${limit}`;
    }
    const threshold = this.config.errorRateThreshold;
    if (threshold !== undefined) {
      const rate = this.rate.count(this.clock());
      if (rate > threshold) return rateMessage(rate, threshold);
    }
    return null;
  }

  /**
   * Calls `callback` for every handled error that passes the severity gate. Returns a function
   * that removes it. Callbacks are awaited one after another inside `handleError`, so keep them
   * short (hand slow work off); one that throws or rejects is counted, never propagated.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `callback` is not a function.
   *
   * @example
   * ```ts
   * const off = handler.onError(async (info) => alerting.send(info.errorMessage));
   * off();
   * ```
   */
  onError(callback: ErrorCallback): Unsubscribe {
    const registration = this.register(callback, 'onError');
    this.generalCallbacks = [...this.generalCallbacks, registration];
    return this.unsubscriber(() => {
      this.generalCallbacks = this.generalCallbacks.filter((r) => r !== registration);
    });
  }

  /**
   * Calls `callback` for handled errors of exactly this category that pass the severity gate.
   * Returns a function that removes it.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for an unknown category or a non-function.
   */
  onCategory(category: ErrorCategory, callback: ErrorCallback): Unsubscribe {
    assertOneOf('SubscriptionErrorHandler.onCategory.category', category, ERROR_CATEGORIES);
    return this.registerKeyed(this.categoryCallbacks, category, callback, 'onCategory');
  }

  /**
   * Calls `callback` for handled errors of exactly this severity that pass the severity gate
   * (so `onSeverity('low', cb)` needs `notifyOnSeverity: 'low'`). Returns a function that removes it.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for an unknown severity or a non-function.
   * @example
   * ```ts
   * handler.onSeverity(ErrorSeverity.CRITICAL, (info) => pager.page(info.errorMessage));
   * ```
   */
  onSeverity(severity: ErrorSeverity, callback: ErrorCallback): Unsubscribe {
    assertOneOf('SubscriptionErrorHandler.onSeverity.severity', severity, ERROR_SEVERITIES);
    return this.registerKeyed(this.severityCallbacks, severity, callback, 'onSeverity');
  }

  /** A snapshot of the error statistics (see {@link ErrorStats}). */
  get stats(): ErrorStats {
    return this.snapshot(this.clock());
  }

  /** The most recent errors (at most `maxRecentErrors`), oldest first. A copy. */
  get recentErrors(): ErrorInfo[] {
    return this.recent.toArray();
  }

  /**
   * The handler's health.
   *
   * Unhealthy (`errors`) when: the rolling error rate is above `errorRateThreshold`; the error
   * count reached `maxErrorsBeforeStop`; an error was handled under the `STOP` strategy; the last
   * DLQ write failed, or one failed in the last 60 seconds.
   *
   * Warnings when: the error count is at 80 % of `maxErrorsBeforeStop` or more; the error rate is
   * at 80 % of `errorRateThreshold` or more (and above 0); events were dead-lettered (`dlqCount`);
   * DLQ writes failed earlier (outside the unhealthy window); callbacks failed.
   */
  getHealthStatus(): ErrorHandlerHealthStatus {
    const now = this.clock();
    const stats = this.snapshot(now);
    const warnings: string[] = [];
    const errors: string[] = [];
    const { errorRateThreshold: threshold, maxErrorsBeforeStop: limit } = this.config;
    const rate = stats.errorRatePerMinute;

    if (threshold !== undefined) {
      if (rate > threshold) errors.push(rateMessage(rate, threshold));
      else if (rate > 0 && rate >= threshold * WARNING_RATIO) {
        warnings.push(`Error rate ${rate}/min approaching threshold ${threshold}/min`);
      }
    }
    if (limit !== undefined) {
      if (stats.totalErrors >= limit) {
        errors.push(`Error limit reached: ${stats.totalErrors}/${limit}`);
      } else if (stats.totalErrors >= limit * WARNING_RATIO) {
        warnings.push(`Approaching error limit: ${stats.totalErrors}/${limit}`);
      }
    }
    if (this.stoppedBy !== null && this.config.strategy === ErrorHandlingStrategy.STOP) {
      errors.push(this.stoppedBy);
    }
    if (this.lastDlqFailure !== null) {
      const { at, message } = this.lastDlqFailure;
      const text = `${stats.dlqFailures} DLQ write(s) failed, last at ${isoOf(at)}: ${message}`;
      if (this.lastDlqWriteFailed || now - at < DLQ_FAILURE_WINDOW_MS) errors.push(text);
      else warnings.push(text);
    }
    if (stats.dlqCount > 0) {
      warnings.push(`DLQ received ${stats.dlqCount} event(s) from this subscription`);
    }
    if (stats.callbackFailures > 0) {
      warnings.push(
        `${stats.callbackFailures} error callback(s) failed, last: ${this.lastCallbackFailure}`,
      );
    }
    return {
      healthy: errors.length === 0,
      warnings,
      errors,
      stats,
      recentErrorCount: this.recent.size,
    };
  }

  /**
   * Clears the statistics, the recent errors, the error-rate window and the stop state
   * (`shouldContinue()` is true again). Callbacks stay registered.
   */
  reset(): void {
    this.recent.clear();
    this.rate.reset();
    this.totalErrors = 0;
    this.transientErrors = 0;
    this.dlqCount = 0;
    this.dlqFailures = 0;
    this.callbackFailures = 0;
    this.errorsByType = new Map();
    this.errorsByCategory = new Map();
    this.errorsByAction = { retry: 0, dlq: 0, skip: 0, stop: 0 };
    this.firstErrorAt = null;
    this.lastErrorAt = null;
    this.stoppedBy = null;
    this.lastDlqFailure = null;
    this.lastDlqWriteFailed = false;
    this.lastCallbackFailure = null;
  }

  private classify(error: unknown): ErrorClassification {
    try {
      return this.classifier.classify(error);
    } catch (failure) {
      return new ErrorClassification({
        category: ErrorCategory.UNKNOWN,
        severity: ErrorSeverity.MEDIUM,
        retryable: false,
        description: `Classifier failed: ${errorMessageOf(failure)}`,
      });
    }
  }

  private record(now: number, errorType: string, category: string, action: ErrorAction): void {
    this.totalErrors++;
    if (category === ErrorCategory.TRANSIENT) this.transientErrors++;
    this.errorsByType.set(errorType, (this.errorsByType.get(errorType) ?? 0) + 1);
    this.errorsByCategory.set(category, (this.errorsByCategory.get(category) ?? 0) + 1);
    this.errorsByAction[action]++;
    this.rate.add(now);
    this.firstErrorAt ??= now;
    this.lastErrorAt = now;
  }

  private snapshot(now: number): ErrorStats {
    return Object.freeze({
      totalErrors: this.totalErrors,
      transientErrors: this.transientErrors,
      permanentErrors: this.totalErrors - this.transientErrors,
      retriedErrors: this.errorsByAction.retry,
      dlqCount: this.dlqCount,
      dlqFailures: this.dlqFailures,
      callbackFailures: this.callbackFailures,
      errorRatePerMinute: this.rate.count(now),
      errorsByType: Object.freeze(Object.fromEntries(this.errorsByType)),
      errorsByCategory: Object.freeze(Object.fromEntries(this.errorsByCategory)),
      errorsByAction: Object.freeze({ ...this.errorsByAction }),
      firstErrorAt: this.firstErrorAt === null ? null : new Date(this.firstErrorAt),
      lastErrorAt: this.lastErrorAt === null ? null : new Date(this.lastErrorAt),
    });
  }

  private async notify(info: ErrorInfo): Promise<void> {
    await this.run(this.generalCallbacks, info);
    const byCategory = this.categoryCallbacks.get(info.classification.category);
    if (byCategory !== undefined) await this.run(byCategory, info);
    const bySeverity = this.severityCallbacks.get(info.classification.severity);
    if (bySeverity !== undefined) await this.run(bySeverity, info);
  }

  private async run(registrations: readonly Registration[], info: ErrorInfo): Promise<void> {
    for (const { callback } of registrations) {
      try {
        const result = callback(info);
        if (result !== undefined && result !== null && typeof result.then === 'function') {
          await result;
        }
      } catch (failure) {
        this.callbackFailures++;
        this.lastCallbackFailure = errorMessageOf(failure);
      }
    }
  }

  private register(callback: ErrorCallback, method: string): Registration {
    if (typeof callback !== 'function') {
      throw new InvalidConfigError(
        `SubscriptionErrorHandler.${method}.callback`,
        'must be a function',
        callback,
      );
    }
    this.callbackCount++;
    return { callback };
  }

  private registerKeyed(
    map: Map<string, readonly Registration[]>,
    key: string,
    callback: ErrorCallback,
    method: string,
  ): Unsubscribe {
    const registration = this.register(callback, method);
    map.set(key, [...(map.get(key) ?? []), registration]);
    return this.unsubscriber(() => {
      const rest = (map.get(key) ?? []).filter((r) => r !== registration);
      if (rest.length === 0) map.delete(key);
      else map.set(key, rest);
    });
  }

  private unsubscriber(remove: () => void): Unsubscribe {
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      remove();
      this.callbackCount--;
    };
  }
}

function assertOneOf(field: string, value: unknown, allowed: readonly string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new InvalidConfigError(field, `must be one of ${allowed.join(', ')}`, value);
  }
}

function rateMessage(rate: number, threshold: number): string {
  return `Error rate ${rate}/min exceeds threshold ${threshold}/min`;
}

function isoOf(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

/** The class name of an error (`name`, or the subclass's constructor name), else its `typeof`. */
function errorTypeOf(error: unknown): string {
  if (error instanceof Error) {
    const constructorName = error.constructor?.name;
    if (error.name === 'Error' && constructorName && constructorName !== 'Error') {
      return constructorName;
    }
    return error.name || constructorName || 'Error';
  }
  if (error === null) return 'null';
  if (typeof error === 'object') {
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name.length > 0) return name;
    return (error as { constructor?: { name?: string } }).constructor?.name || 'Object';
  }
  return typeof error;
}

/** The message of an error, or the string form of any other value. Never throws. */
function errorMessageOf(error: unknown): string {
  try {
    if (error instanceof Error) return error.message;
    if (typeof error === 'string') return error;
    if (typeof error === 'object' && error !== null) {
      const message = (error as { message?: unknown }).message;
      if (typeof message === 'string') return message;
      return JSON.stringify(error) ?? String(error);
    }
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}
