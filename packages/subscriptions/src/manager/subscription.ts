/**
 * One running subscription: the catch-up → live loop, the failure path, checkpoints, per-stream
 * parking, redrive and health.
 *
 * @module
 */
import type { DomainEvent, EventStore, Position, ReadAllOptions, StoredEvent } from '@es/core';
import type {
  AddFailedEventInput,
  DLQEntry,
  DLQRepository,
  RedriveOptions,
  RedriveProcessContext,
  RedriveReport,
  RedriveSelfSettlement,
} from '@es/dlq';
import { redrive as redriveEntries } from '@es/dlq';
import {
  CircuitBreaker,
  CircuitBreakerConfig,
  calculateBackoff,
  type ErrorClassifier,
  isCircuitBreakerOpenError,
  type RetryConfig,
  TimeoutError,
} from '@es/resilience';
import type { CheckpointRepository, SavePositionInput } from '../checkpoint-repository.js';
import { CheckpointStrategy } from '../checkpoint-strategy.js';
import { comparePositions } from '../compare-positions.js';
import type { ErrorInfo } from '../error-info.js';
import {
  CheckpointConflictError,
  SubscriptionConfigError,
  SubscriptionStateError,
} from '../errors.js';
import type { EventSerializer } from '../event-data.js';
import { toEventData } from '../event-data.js';
import { Deadline } from '../internal/deadline.js';
import {
  type ErrorCallback,
  SubscriptionErrorHandler,
  type Unsubscribe,
} from '../subscription-error-handler.js';
import { SubscriptionState } from '../subscription-state.js';
import type { UnitOfWork, UnitOfWorkProvider } from '../unit-of-work.js';
import { HandlerWatchdog } from './handler-watchdog.js';
import type {
  ErrorSource,
  HealthStatus,
  SubscriptionCounts,
  SubscriptionHealth,
  SubscriptionLastError,
} from './health.js';
import type { SubscriptionLogger } from './logger.js';
import type { Projection, ProjectionContext, RedriveProjectionContext } from './projection.js';
import { Sleeper } from './sleeper.js';
import { DlqOrdering, type ResolvedSubscriptionConfig } from './subscription-config.js';

/**
 * What a manager shares with its subscriptions.
 *
 * @internal
 */
export interface SubscriptionRuntime {
  readonly eventStore: EventStore;
  readonly checkpointRepo: CheckpointRepository;
  readonly dlqRepo: DLQRepository | undefined;
  readonly unitOfWork: UnitOfWorkProvider | undefined;
  readonly classifier: Pick<ErrorClassifier, 'classify'>;
  readonly clock: () => number;
  readonly pollIntervalMs: number;
  readonly shutdownTimeoutMs: number;
  readonly logger: SubscriptionLogger;
  readonly infrastructureBreaker: CircuitBreakerConfig;
  readonly infrastructureRetry: RetryConfig;
  readonly serialize: EventSerializer;
  readonly deserialize: (data: Readonly<Record<string, unknown>>) => DomainEvent;
}

/**
 * Options of {@link Subscription.redrive}: the options of the `@es/dlq` redrive engine without
 * the ones the subscription supplies (`dlqRepo`, `projectionName`, `process`).
 */
export type SubscriptionRedriveOptions = Omit<
  RedriveOptions,
  'dlqRepo' | 'projectionName' | 'process'
>;

/** The mutable object behind every {@link ProjectionContext} of normal deliveries. */
interface MutableLiveContext {
  readonly subscriptionId: string;
  readonly redrive: false;
  storedEvent: StoredEvent;
  position: Position;
  attempt: number;
  signal: AbortSignal;
  transaction?: unknown;
}

/** A stream parked behind a failure: its first unresolved DLQ entry and that entry's stream position. */
interface BlockedStream {
  readonly head: string | null;
  readonly from: number;
}

/** The state the transactional path restores when a transaction rolls back. */
interface Snapshot {
  readonly cursor: Position | undefined;
  readonly cursorGlobal: number | undefined;
  readonly pending: boolean;
  readonly pendingPosition: Position | undefined;
  readonly pendingEventId: string | null;
  readonly pendingEventType: string | null;
  readonly counts: MutableCounts;
  readonly blocked: Map<string, BlockedStream> | null;
}

type MutableCounts = { -readonly [K in keyof SubscriptionCounts]: number };

/** What a guarded handler promise is `then`-ed with (see `Subscription.guard`). */
interface GuardCallbacks {
  readonly resolved: () => void;
  readonly rejected: (error: unknown) => void;
}

/**
 * The bounded infrastructure operation in flight (see `Subscription.bound`): what it is, its
 * watchdog call number and the reject function of the promise the loop awaits. Compared by
 * identity, so an abandoned operation settling late finds itself stale and touches nothing.
 */
interface InfraOperation {
  readonly what: string;
  readonly reject: (error: unknown) => void;
  callId: number;
}

/** `processEvent` results below 0; a result ≥ 0 is "defer: retry in a new transaction at this attempt". */
const SETTLED = -1;
const UNSETTLED = -2;
/** The "no error" result of a handler call (errors are returned, not thrown, on the hot path). */
const NO_ERROR: unique symbol = Symbol('no error');
/** Returned by infrastructure operations when the subscription halted while retrying. */
const HALTED: unique symbol = Symbol('halted');
/** Thrown by a transaction or savepoint callback that starts after it was abandoned (never escapes). */
const ABANDONED: unique symbol = Symbol('abandoned');
/** Thrown inside a savepoint to roll back a failed DLQ write (never escapes). */
const DLQ_WRITE_FAILED: unique symbol = Symbol('dlq write failed');

const INFRASTRUCTURE_CATEGORIES: ReadonlySet<string> = new Set(['transient', 'infrastructure']);
/**
 * Codes of a stored event that cannot be turned into an event (an unknown type, an invalid
 * envelope or payload): waiting never fixes them, so a read that meets one stops the subscription.
 */
const UNREADABLE_EVENT_CODES: ReadonlySet<string> = new Set([
  'ES_EVENT_TYPE_NOT_FOUND',
  'ES_SERIALIZATION',
]);

/** The part of a store's read-horizon report health uses (`PostgresEventStore.getHorizonStatus`). */
interface HorizonReport {
  readonly heldBackEvents: number;
  readonly oldestTransactionAgeMs: number | null;
  readonly stalled: boolean;
}

/** A store that reports its read horizon (duck-typed: `PostgresEventStore` does). */
interface HorizonAware {
  getHorizonStatus(stallThresholdMs?: number): Promise<HorizonReport>;
}

/**
 * A subscription of a projection to the event store, created by `SubscriptionManager.subscribe`.
 * It catches up from its start position in batches, then goes live on the same cursor (woken by
 * the event bus or by polling), runs every handler failure through its
 * {@link SubscriptionErrorHandler}, parks the later events of a dead-lettered stream, and saves its
 * checkpoint by its strategy — never past an event whose fate is still open.
 *
 * @example
 * ```ts
 * const subscription = manager.subscribe(projection, { startFrom: 'beginning' });
 * await manager.start();
 * await subscription.whenIdle();
 * console.log(subscription.state, (await subscription.health()).lag);
 * ```
 */
export class Subscription<TTransaction = unknown> {
  /** The subscription id: checkpoint key and the DLQ's `projectionName`. */
  readonly id: string;
  /** The projection it feeds. */
  readonly projection: Projection<DomainEvent, TTransaction>;
  /** The validated configuration. */
  readonly config: ResolvedSubscriptionConfig;
  /** The subscription's error handler: statistics, recent errors, callbacks. */
  readonly errorHandler: SubscriptionErrorHandler;

  private readonly rt: SubscriptionRuntime;
  private readonly dlqAvailable: boolean;
  private readonly perStream: boolean;
  private readonly infraBreaker: CircuitBreaker;
  private readonly handlerBreaker: CircuitBreaker | undefined;
  private readonly sleeper = new Sleeper();
  private readonly watchdog: HandlerWatchdog | undefined;
  /** Enforces `infrastructureTimeoutMs` (undefined when disabled). */
  private readonly infraWatchdog: HandlerWatchdog | undefined;
  /** The bounded infrastructure operation in flight, if any. */
  private infraOp: InfraOperation | undefined;
  /** The last infrastructure `TimeoutError` raised: told apart from other errors by identity. */
  private infraTimeout: TimeoutError | undefined;
  /** Numbers the reads, so a read abandoned after a timeout cannot mark a later one as cut. */
  private readNumber = 0;
  private readonly ctx: MutableLiveContext;
  private readonly countsData: MutableCounts = {
    processed: 0,
    deadLettered: 0,
    parked: 0,
    skipped: 0,
    retries: 0,
    failures: 0,
    timeouts: 0,
  };

  private phase: SubscriptionState = SubscriptionState.STARTING;
  private paused = false;
  private stopRequested = false;
  private errored = false;
  private stopped = false;
  private abandoned = false;
  private started = false;
  private runPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  private abort = new AbortController();

  private cursor: Position | undefined;
  /**
   * The highest global position of the events settled so far (or of a numeric start position):
   * where health measures "stored but not readable" lag from; undefined when unknown.
   */
  private cursorGlobal: number | undefined;
  /** The last read ended early at an event the store could not read (see `readBatch`). */
  private readCut = false;
  private pending = false;
  private pendingPosition: Position | undefined;
  private pendingEventId: string | null = null;
  private pendingEventType: string | null = null;
  private savedPosition: Position | null = null;
  private lastSaveAt = 0;
  private saving = false;

  /** Blocked streams (per-stream DLQ ordering) → the DLQ id of their head entry, when known. */
  private blocked = new Map<string, BlockedStream>();
  private infraFailures = 0;
  private lastErrorData: SubscriptionLastError | null = null;
  private tx: UnitOfWork | undefined;
  private retryDelay = 0;
  private deferDelay = 0;
  /**
   * The guarded handler call in flight (see {@link Subscription.guard}): its watchdog call number
   * and the settle functions of the promise the loop awaits; `guardReject` undefined when none.
   */
  private guardCallId = 0;
  private guardResolve: (() => void) | undefined;
  private guardReject: ((error: unknown) => void) | undefined;
  /**
   * The callbacks attached to guarded handler promises. They serve every call until one times
   * out; then they are replaced, so the abandoned call settling late finds itself stale and
   * touches nothing.
   */
  private guardCallbacks: GuardCallbacks;
  private breakerEvent: StoredEvent | undefined;
  private breakerAttempt = 0;

  private readSeq = 0;
  private idleWaiters: { readonly minSeq: number; readonly resolve: () => void }[] = [];
  private pauseWaiters: (() => void)[] = [];
  private startWaiters: (() => void)[] = [];
  private quiet = false;
  private loopRunning = false;
  private resyncRequested = false;
  private resyncWaiters: (() => void)[] = [];

  private readonly readBatch = async (): Promise<StoredEvent[]> => {
    const options: { -readonly [K in keyof ReadAllOptions]: ReadAllOptions[K] } = {
      limit: this.config.batchSize,
    };
    if (this.cursor !== undefined) options.fromPosition = this.cursor;
    if (this.config.eventTypes !== undefined) options.eventTypes = this.config.eventTypes;
    this.readCut = false;
    const read = ++this.readNumber;
    const iterable = this.rt.eventStore.readAll(options);
    if (Array.isArray(iterable)) return iterable as StoredEvent[];
    const batch: StoredEvent[] = [];
    try {
      for await (const stored of iterable) batch.push(stored);
    } catch (error) {
      // The events before one the store cannot read are good: deliver them. The next read starts
      // at the bad one and meets its error first (then fatal: the subscription stops before it).
      if (batch.length === 0 || !isUnreadableEvent(error)) throw error;
      if (read === this.readNumber) this.readCut = true;
    }
    return batch;
  };

  /** The input of the save in flight (see {@link Subscription.savePending}). */
  private saveInput: SavePositionInput | undefined;
  private readonly savePending = (): Promise<boolean> =>
    this.rt.checkpointRepo.savePosition(this.id, this.saveInput as SavePositionInput);

  private readonly invokeThrowing = async (): Promise<void> => {
    const error = await this.invoke(this.breakerEvent as StoredEvent, this.breakerAttempt);
    if (error !== NO_ERROR) throw error;
  };

  /** Takes the settle functions of a guard promise (the executor of every guard's `new Promise`). */
  private readonly captureGuard = (resolve: () => void, reject: (error: unknown) => void): void => {
    this.guardResolve = resolve;
    this.guardReject = reject;
  };

  private readonly onHandlerTimeout = (callId: number, elapsedMs: number): void => {
    const reject = this.guardReject;
    if (reject === undefined || this.guardCallId !== callId) return;
    this.guardResolve = undefined;
    this.guardReject = undefined;
    this.guardCallbacks = this.newGuardCallbacks();
    this.countsData.timeouts++;
    const error = new TimeoutError(
      `Handler of subscription '${this.id}' did not finish within ${this.config.processingTimeoutMs} ms (${Math.round(elapsedMs)} ms)`,
      { timeoutMs: this.config.processingTimeoutMs, operationName: `${this.id}.handle` },
    );
    const controller = this.abort;
    this.abort = new AbortController();
    controller.abort(error);
    reject(error);
  };

  private readonly onInfraTimeout = (callId: number, elapsedMs: number): void => {
    const op = this.infraOp;
    if (op === undefined || op.callId !== callId) return;
    this.infraOp = undefined;
    const timeoutMs = this.config.infrastructureTimeoutMs;
    const error = new TimeoutError(
      `Infrastructure operation '${op.what}' of subscription '${this.id}' did not finish within ${timeoutMs} ms (${Math.round(elapsedMs)} ms); abandoned`,
      { timeoutMs, operationName: `${this.id}.${op.what}` },
    );
    this.infraTimeout = error;
    op.reject(error);
  };

  /** @internal Created by `SubscriptionManager.subscribe`. */
  constructor(
    projection: Projection<DomainEvent, TTransaction>,
    config: ResolvedSubscriptionConfig,
    runtime: SubscriptionRuntime,
  ) {
    this.id = config.id;
    this.projection = projection;
    this.config = config;
    this.rt = runtime;
    this.dlqAvailable = runtime.dlqRepo !== undefined || runtime.unitOfWork !== undefined;
    this.perStream = config.dlqOrdering === DlqOrdering.PER_STREAM && this.dlqAvailable;
    this.errorHandler = new SubscriptionErrorHandler({
      subscriptionName: config.id,
      config: config.errorHandling,
      dlqRepo: runtime.dlqRepo,
      classifier: runtime.classifier,
      clock: runtime.clock,
      serialize: runtime.serialize,
    });
    this.infraBreaker = new CircuitBreaker(runtime.infrastructureBreaker, {
      clock: runtime.clock,
      name: `${config.id}:infrastructure`,
    });
    const handlerBreaker = config.handlerBreaker;
    this.handlerBreaker =
      handlerBreaker === false
        ? undefined
        : new CircuitBreaker(
            handlerBreaker.isFailure !== undefined
              ? handlerBreaker
              : new CircuitBreakerConfig({
                  ...handlerBreaker.toJSON(),
                  isFailure: countsAsHandlerOutage(runtime.classifier),
                }),
            { clock: runtime.clock, name: `${config.id}:handler` },
          );
    this.watchdog =
      config.processingTimeoutMs > 0
        ? new HandlerWatchdog(config.processingTimeoutMs, runtime.clock, this.onHandlerTimeout)
        : undefined;
    this.infraWatchdog =
      config.infrastructureTimeoutMs > 0
        ? new HandlerWatchdog(config.infrastructureTimeoutMs, runtime.clock, this.onInfraTimeout)
        : undefined;
    this.guardCallbacks = this.newGuardCallbacks();
    this.ctx = {
      subscriptionId: config.id,
      redrive: false,
      storedEvent: undefined as unknown as StoredEvent,
      position: 0,
      attempt: 0,
      signal: this.abort.signal,
    };
  }

  /** The current state (see {@link SubscriptionState}). */
  get state(): SubscriptionState {
    if (this.errored) return SubscriptionState.ERROR;
    if (this.stopped || this.stopRequested) return SubscriptionState.STOPPED;
    if (this.paused) return SubscriptionState.PAUSED;
    return this.phase;
  }

  /** The cursor: the position of the last event whose fate is recorded, or null before the first. */
  get position(): Position | null {
    return this.cursor ?? null;
  }

  /** The last checkpoint saved (or loaded at start), or null. */
  get checkpoint(): Position | null {
    return this.savedPosition;
  }

  /** What the subscription did so far (a copy). */
  get counts(): SubscriptionCounts {
    return { ...this.countsData };
  }

  /** The last error met (handler, read, checkpoint, DLQ…), or null. */
  get lastError(): SubscriptionLastError | null {
    return this.lastErrorData;
  }

  /**
   * Calls `callback` for handled handler errors that pass the error handler's severity gate
   * (shorthand for `subscription.errorHandler.onError`).
   *
   * @returns a function that removes the callback
   */
  onError(callback: ErrorCallback): Unsubscribe {
    return this.errorHandler.onError(callback);
  }

  /**
   * Resolves once the subscription has read everything stored when it was called (a read that
   * started after the call came back short and all its events have their fate) — or when it
   * stops or fails; check {@link Subscription.state} afterwards. A paused subscription resolves
   * after it is resumed and caught up.
   */
  whenIdle(): Promise<void> {
    if (this.halted || !this.started) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.idleWaiters.push({ minSeq: this.readSeq + 1, resolve });
      this.sleeper.notify();
    });
  }

  /**
   * Pauses the subscription: the handler call in flight finishes, a retry backoff is cut short,
   * no further event is handled, and the checkpoint is flushed. Resolves when the subscription is
   * quiet. Pausing a paused subscription does nothing.
   *
   * @throws {SubscriptionStateError} ES_SUBSCRIPTION_STATE when the subscription is stopped or failed.
   */
  pause(): Promise<void> {
    this.assertActive('pause');
    if (this.paused) {
      return this.started && !this.quiet && !this.halted ? this.quietPromise() : Promise.resolve();
    }
    this.paused = true;
    this.rt.logger.info('Subscription paused', { subscriptionId: this.id });
    this.sleeper.interrupt();
    if (!this.started) return Promise.resolve();
    return this.quietPromise();
  }

  /**
   * Resumes a paused subscription where it stopped. Resuming a running subscription does nothing.
   *
   * @throws {SubscriptionStateError} ES_SUBSCRIPTION_STATE when the subscription is stopped or failed.
   */
  resume(): void {
    this.assertActive('resume');
    if (!this.paused) return;
    this.paused = false;
    this.rt.logger.info('Subscription resumed', { subscriptionId: this.id });
    this.sleeper.interrupt();
  }

  /**
   * Stops the subscription: waits up to the manager's `shutdownTimeoutMs` for the handler call in
   * flight (then aborts its `context.signal` and leaves it behind), cuts any backoff short,
   * flushes the checkpoint and resolves. Idempotent; a failed subscription keeps the state `error`.
   */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  /**
   * Replays this subscription's DLQ entries through its projection (with `context.redrive`
   * true), in stream order, using the redrive engine of `@es/dlq`: all failed entries, or those
   * picked by `ids`/`filter`/`streamId`, each followed by the entries parked behind it. A success
   * resolves the entry; a failure records it again (`retryCount` + 1, status `failed`) and leaves
   * the rest of that stream for later. Never touches the checkpoint. Afterwards, streams without
   * unresolved entries are released, so their new events flow to the handler again.
   *
   * With a unit of work, each entry is resolved through the unit's DLQ repository in the same
   * transaction as the handler's writes, before the handler runs: a crash leaves either both
   * committed or neither, and an entry found already settled is not applied again (exactly once,
   * also for a recovery run with `includeRetrying`). The unit's DLQ must be the manager's
   * `dlqRepo` (the same table). Without a unit of work the entry is resolved after the handler
   * (at least once under a crash: make the handler idempotent).
   *
   * @throws {SubscriptionStateError} ES_SUBSCRIPTION_STATE when the manager has no DLQ repository.
   * @example
   * ```ts
   * const dry = await subscription.redrive({ dryRun: true });
   * const report = await subscription.redrive();
   * console.log(report.succeeded, report.failed);
   * ```
   */
  async redrive(options: SubscriptionRedriveOptions = {}): Promise<RedriveReport> {
    const dlqRepo = this.rt.dlqRepo;
    if (dlqRepo === undefined) {
      throw new SubscriptionStateError(
        `Subscription '${this.id}' cannot redrive: the manager has no dlqRepo`,
        { subscriptionName: this.id, state: this.state, operation: 'redrive' },
      );
    }
    const report = await redriveEntries({
      ...options,
      dlqRepo,
      projectionName: this.id,
      process: (entry: DLQEntry, context: RedriveProcessContext) =>
        this.redriveEntry(entry, context),
    });
    if (options.dryRun !== true && this.blocked.size > 0) await this.requestResync();
    return report;
  }

  /**
   * The subscription's health: state, lag, error rate, DLQ depth, breakers, last error, counts.
   * Reads the store (head position, oldest unprocessed event, its read horizon when it reports
   * one) and the DLQ, at once and within `healthTimeoutMs`: a read that fails or does not answer
   * in time shows as null fields and a warning (status `degraded`), never as a rejection or a
   * hang. Committed events held back by an open transaction count as lag; a hold longer than
   * `horizonStallMs` is reported as a stall (a warning).
   */
  async health(): Promise<SubscriptionHealth> {
    const now = this.rt.clock();
    const lagWarnings: string[] = [];
    const dlqWarnings: string[] = [];
    const errors: string[] = [];
    const state = this.state;
    // One timer per health call (never on the processing path), cleared when the reads are done.
    const deadline = new Deadline(this.config.healthTimeoutMs, `Health check of '${this.id}'`);
    let lag: SubscriptionHealth['lag'];
    let dlq: Awaited<ReturnType<Subscription['measureDlq']>>;
    try {
      [lag, dlq] = await Promise.all([
        this.measureLag(now, lagWarnings, deadline),
        this.measureDlq(now, dlqWarnings, deadline),
      ]);
    } finally {
      deadline.clear();
    }
    const warnings = lagWarnings.concat(dlqWarnings);
    const handlerHealth = this.errorHandler.getHealthStatus();
    const infrastructure = this.infraBreaker.state;
    const handler = this.handlerBreaker?.state ?? null;

    if (state === SubscriptionState.ERROR) {
      errors.push(
        `Subscription failed${this.lastErrorData ? `: ${this.lastErrorData.message}` : ''}`,
      );
    }
    if (infrastructure === 'open') errors.push('Infrastructure circuit breaker is open');
    else if (infrastructure === 'half_open')
      warnings.push('Infrastructure circuit breaker is half-open');
    if (this.infraFailures > 0) {
      warnings.push(
        `Retrying an infrastructure operation (${this.infraFailures} failure(s) in a row)`,
      );
    }
    if (handler === 'open') warnings.push('Handler circuit breaker is open: handler calls wait');
    else if (handler === 'half_open') warnings.push('Handler circuit breaker is half-open');
    if (dlq.depth !== null && dlq.depth > 0) {
      warnings.push(`${dlq.depth} unresolved DLQ entr${dlq.depth === 1 ? 'y' : 'ies'}`);
    }
    if (this.blocked.size > 0)
      warnings.push(`${this.blocked.size} stream(s) parked behind a failure`);
    for (const message of handlerHealth.errors) errors.push(`Error handler: ${message}`);

    const status: HealthStatus =
      errors.length > 0 ? 'unhealthy' : warnings.length > 0 ? 'degraded' : 'healthy';
    return {
      subscriptionId: this.id,
      projectionName: this.projection.name,
      state,
      status,
      healthy: status !== 'unhealthy',
      warnings,
      errors,
      position: this.cursor ?? null,
      checkpoint: this.savedPosition,
      lag,
      errorRatePerMinute: handlerHealth.stats.errorRatePerMinute,
      dlq: { ...dlq, blockedStreams: this.blocked.size },
      breakers: { infrastructure, handler },
      lastError: this.lastErrorData,
      counts: this.counts,
      errorHandler: handlerHealth,
      checkedAt: new Date(now),
    };
  }

  /**
   * Starts the loop. Resolves once the start position is resolved (or the subscription halted).
   *
   * @internal Called by the manager.
   */
  start(): Promise<void> {
    if (this.started || this.halted) return Promise.resolve();
    this.started = true;
    const started = new Promise<void>((resolve) => this.startWaiters.push(resolve));
    this.runPromise = this.run();
    return started;
  }

  /**
   * New events were appended: wakes the loop (unless none of them can match the filter).
   *
   * @internal Called by the manager's event-bus listener.
   */
  notify(events: readonly StoredEvent[]): void {
    const types = this.config.eventTypes;
    if (types !== undefined && events.length > 0) {
      let relevant = false;
      for (const stored of events) {
        if (types.includes(stored.event.eventType)) {
          relevant = true;
          break;
        }
      }
      if (!relevant) return;
    }
    this.sleeper.notify();
  }

  /** True once stopping or failed: the loop winds down. */
  private get halted(): boolean {
    return this.stopRequested || this.errored;
  }

  // ---------------------------------------------------------------------------------------------
  // The loop
  // ---------------------------------------------------------------------------------------------

  private async run(): Promise<void> {
    this.loopRunning = true;
    try {
      if (!(await this.initialize())) return;
      while (!this.halted) {
        if (this.resyncRequested) await this.resyncBlockedStreams();
        if (this.paused) {
          await this.waitWhilePaused();
          continue;
        }
        this.sleeper.dirty = false;
        const seq = ++this.readSeq;
        const batch = await this.infra(this.readBatch, 'read');
        if (batch === HALTED) break;
        const complete = batch.length === 0 || (await this.processBatch(batch));
        if (this.halted) break;
        if (!complete || this.readCut || batch.length >= this.config.batchSize) continue;
        if (this.phase !== SubscriptionState.LIVE) {
          this.phase = SubscriptionState.LIVE;
          this.rt.logger.info('Subscription is live', {
            subscriptionId: this.id,
            position: this.cursor ?? null,
          });
        }
        if (this.pending && this.periodicDue() && !(await this.saveCheckpoint())) {
          // Refused (lost ownership): the cursor was reloaded, read on from there.
          if (this.halted) break;
          continue;
        }
        this.resolveIdle(seq);
        if (!this.sleeper.dirty && !this.halted && !this.paused && !this.resyncRequested) {
          await this.sleeper.sleep(this.rt.pollIntervalMs, true);
        }
      }
    } catch (error) {
      this.fail('internal', error, null);
    } finally {
      await this.finish();
    }
  }

  private async initialize(): Promise<boolean> {
    const { checkpointRepo, eventStore } = this.rt;
    if (this.perStream && !(await this.loadBlockedStreams('start'))) return false;
    const stored = await this.infra(() => checkpointRepo.getPosition(this.id), 'start');
    if (stored === HALTED) return false;
    const startFrom = this.config.startFrom;
    if (startFrom === 'checkpoint') {
      this.cursor = stored ?? undefined;
      this.savedPosition = stored;
    } else if (startFrom === 'end') {
      const head = await this.infra(() => eventStore.getGlobalPosition(), 'start');
      if (head === HALTED) return false;
      this.cursor = head > 0 ? head : undefined;
      this.savedPosition = stored;
    } else {
      // 'beginning' or an explicit position: an explicit re-positioning replaces a checkpoint
      // that is ahead of it (or of another kind); otherwise compare-and-set would refuse every save.
      const target = startFrom === 'beginning' ? undefined : startFrom;
      if (stored !== null && (target === undefined || !isAtOrBefore(stored, target))) {
        const reset = await this.infra(async () => {
          await checkpointRepo.resetCheckpoint(this.id);
          return true;
        }, 'start');
        if (reset === HALTED) return false;
        this.rt.logger.info('Checkpoint reset for an explicit start position', {
          subscriptionId: this.id,
          previous: stored,
          startFrom,
        });
        this.savedPosition = null;
      } else {
        this.savedPosition = stored;
      }
      this.cursor = target;
    }
    if (typeof this.cursor === 'number') this.cursorGlobal = this.cursor;
    this.lastSaveAt = this.rt.clock();
    this.phase = SubscriptionState.CATCHING_UP;
    this.rt.logger.info('Subscription catching up', {
      subscriptionId: this.id,
      from: this.cursor ?? null,
      blockedStreams: this.blocked.size,
    });
    this.flushWaiters('start');
    return true;
  }

  /**
   * Loads the blocked streams of the per-stream ordering from the DLQ (replacing what was known).
   * False when the subscription halted meanwhile.
   */
  private async loadBlockedStreams(source: ErrorSource): Promise<boolean> {
    // Each blocked stream parks from its first unresolved entry on: events before it (met again
    // when the subscription is rebuilt from an earlier position) are handled as usual.
    const streams = await this.infra(
      () =>
        this.withDlq(async (dlq) => {
          const found: [string, BlockedStream][] = [];
          // One round trip when the repository can (the DLQ may hold thousands of blocked streams).
          if (typeof dlq.getBlockedStreamHeads === 'function') {
            for (const head of await dlq.getBlockedStreamHeads(this.id)) {
              found.push([head.streamId, { head: head.entryId, from: head.streamPosition ?? 0 }]);
            }
            return found;
          }
          for (const stream of await dlq.getBlockedStreams(this.id)) {
            const [first] = await dlq.listEntries({
              projectionName: this.id,
              streamId: stream,
              limit: 1,
            });
            found.push([stream, { head: first?.id ?? null, from: first?.streamPosition ?? 0 }]);
          }
          return found;
        }),
      source,
    );
    if (streams === HALTED) return false;
    this.blocked = new Map(streams);
    return true;
  }

  /** Processes one batch; true when every event got its fate. */
  private async processBatch(batch: readonly StoredEvent[]): Promise<boolean> {
    if (this.rt.unitOfWork !== undefined) return this.processBatchInTransactions(batch);
    const strategy = this.config.checkpointStrategy;
    const breaker = this.handlerBreaker;
    const counts = this.countsData;
    const length = batch.length;
    for (let i = 0; i < length; i++) {
      if (this.paused || this.halted) return false;
      const stored = batch[i] as StoredEvent;
      // The happy path, inline: what processEvent does for an event of a stream that is not
      // blocked, with the handler breaker closed and clean — one handler call, and an await only
      // when the handler returns a promise. Anything else (and a failure) goes through processEvent.
      if (
        (this.blocked.size === 0 || !this.parksBehindFailure(stored)) &&
        (breaker === undefined || (breaker.failureCount === 0 && breaker.isClosed))
      ) {
        let error: unknown = NO_ERROR;
        try {
          const pending = this.startCall(stored, 0);
          if (pending !== undefined) await pending;
        } catch (thrown) {
          error = thrown;
        }
        if (error === NO_ERROR) counts.processed++;
        else if ((await this.processEvent(stored, 0, error)) !== SETTLED) return false;
      } else if ((await this.processEvent(stored, 0)) !== SETTLED) {
        return false;
      }
      this.settle(stored);
      if (strategy === CheckpointStrategy.EVERY_EVENT) {
        if (!(await this.saveCheckpoint())) return false;
      } else if (strategy === CheckpointStrategy.PERIODIC && this.periodicDue()) {
        if (!(await this.saveCheckpoint())) return false;
      }
    }
    if (strategy === CheckpointStrategy.EVERY_BATCH && this.pending) return this.saveCheckpoint();
    return true;
  }

  /**
   * The unit-of-work path: events run in transactions that also carry their DLQ writes and the
   * checkpoint. A retry with a delay (or an open handler breaker, or a failed DLQ write) ends the
   * transaction after the events before it, waits outside any transaction, and continues in a new
   * one. A transaction that fails rolls back everything it did, in the store and here, and is
   * retried with backoff like any infrastructure failure.
   */
  private async processBatchInTransactions(batch: readonly StoredEvent[]): Promise<boolean> {
    const uow = this.rt.unitOfWork as UnitOfWorkProvider;
    let index = 0;
    let attempt = 0;
    while (index < batch.length) {
      if (this.halted || this.paused) return false;
      const snapshot = this.snapshot();
      const startIndex = index;
      const startAttempt = attempt;
      let deferred = false;
      let conflict: CheckpointConflictError | undefined;
      let saved = false;
      try {
        await this.runTransaction(uow, async (unit) => {
          this.tx = unit;
          this.ctx.transaction = unit.transaction;
          try {
            while (index < batch.length && !this.halted && !this.paused) {
              const stored = batch[index] as StoredEvent;
              const outcome = await this.processEvent(stored, attempt);
              if (outcome === UNSETTLED) break;
              if (outcome >= 0) {
                attempt = outcome;
                deferred = true;
                break;
              }
              this.settle(stored);
              index++;
              attempt = 0;
            }
            if (this.pending && !this.abandoned) {
              // The compare-and-set on the position this subscription last saved or loaded: a
              // refusal means another instance moved the checkpoint; throwing rolls back every
              // effect of this transaction.
              const input = this.pendingInput();
              if (
                !(await this.bound(unit.checkpointRepo.savePosition(this.id, input), 'checkpoint'))
              ) {
                conflict = this.conflictOf(input);
                throw conflict;
              }
              saved = true;
            }
          } finally {
            this.tx = undefined;
            delete this.ctx.transaction;
          }
        });
        if (saved) this.markSaved();
        if (index > startIndex && this.infraFailures > 0) this.infraRecovered();
      } catch (error) {
        this.restore(snapshot);
        index = startIndex;
        attempt = startAttempt;
        deferred = false;
        if (conflict !== undefined) {
          // The rest of this batch belongs to the owner: reload and read on from its checkpoint.
          await this.reloadAfterConflict(conflict);
          return false;
        }
        if (this.halted) return false;
        this.recordError('transaction', error, batch[index]?.event.eventId ?? null);
        if (this.isFatal(error)) {
          this.fail('transaction', error, null);
          return false;
        }
        if (!(await this.infraBackoff(error, 'transaction'))) return false;
        continue;
      }
      if (deferred && !(await this.waitMs(this.deferDelay))) return false;
    }
    return true;
  }

  /**
   * Gives one event its fate. Returns {@link SETTLED}, {@link UNSETTLED} (halted, or paused while
   * waiting), or — inside a transaction only — the attempt to continue with in a new transaction
   * after waiting {@link Subscription.deferDelay}.
   */
  private async processEvent(
    stored: StoredEvent,
    firstAttempt: number,
    firstError: unknown = NO_ERROR,
  ): Promise<number> {
    let failed = firstError;
    if (failed === NO_ERROR && this.blocked.size !== 0 && this.parksBehindFailure(stored)) {
      return this.park(stored);
    }
    let attempt = firstAttempt;
    for (;;) {
      const breaker = this.handlerBreaker;
      let error: unknown;
      if (failed !== NO_ERROR) {
        // The first call already ran (processBatch's happy path) and threw this.
        error = failed;
        failed = NO_ERROR;
        if (breaker !== undefined) await recordFailure(breaker, error);
      } else if (breaker === undefined || (breaker.failureCount === 0 && breaker.isClosed)) {
        error = await this.invoke(stored, attempt);
        if (error !== NO_ERROR && breaker !== undefined) await recordFailure(breaker, error);
      } else {
        this.breakerEvent = stored;
        this.breakerAttempt = attempt;
        error = NO_ERROR;
        try {
          await breaker.execute(this.invokeThrowing);
        } catch (thrown) {
          if (isCircuitBreakerOpenError(thrown)) {
            const wait = Math.max(1, thrown.retryAfterMs);
            if (this.tx !== undefined) {
              this.deferDelay = wait;
              return attempt;
            }
            if (!(await this.waitMs(wait))) return UNSETTLED;
            continue;
          }
          error = thrown;
        }
      }
      if (error === NO_ERROR) {
        this.countsData.processed++;
        return SETTLED;
      }
      if (this.abandoned) return UNSETTLED;
      const next = await this.onFailure(stored, error, attempt);
      if (next < 0) return next;
      const delay = this.retryDelay;
      if (delay > 0) {
        if (this.tx !== undefined) {
          this.deferDelay = delay;
          return next;
        }
        if (!(await this.waitMs(delay))) return UNSETTLED;
      } else if (this.halted) {
        return UNSETTLED;
      }
      attempt = next;
    }
  }

  /** Calls the handler once; returns {@link NO_ERROR} or what it threw. */
  private async invoke(stored: StoredEvent, attempt: number): Promise<unknown> {
    try {
      const tx = this.tx;
      if (tx !== undefined) {
        this.prepareContext(stored, attempt);
        await this.boundSavepoint(
          tx,
          'savepoint',
          () => this.callHandler(stored.event, this.ctx),
          true,
        );
      } else {
        const pending = this.startCall(stored, attempt);
        if (pending !== undefined) await pending;
      }
      return NO_ERROR;
    } catch (error) {
      // An infrastructure timeout (the savepoint) is not the handler's failure: it ends the transaction.
      if (this.isInfraTimeout(error)) throw error;
      return error;
    }
  }

  private prepareContext(stored: StoredEvent, attempt: number): void {
    const ctx = this.ctx;
    ctx.storedEvent = stored;
    ctx.position = stored.position;
    ctx.attempt = attempt;
    ctx.signal = this.abort.signal;
  }

  /**
   * Starts a handler call outside a transaction: returns what to await when the handler returned a
   * promise (guarded by the watchdog when `processingTimeoutMs` is set), undefined when it
   * finished synchronously; throws what a synchronous handler throws.
   */
  private startCall(stored: StoredEvent, attempt: number): PromiseLike<void> | undefined {
    this.prepareContext(stored, attempt);
    const result = this.projection.handle(
      stored.event,
      this.ctx as ProjectionContext<TTransaction>,
    );
    if (result === undefined || result === null || typeof result.then !== 'function') return;
    return this.watchdog === undefined ? result : this.guard(result);
  }

  private async callHandler(event: DomainEvent, ctx: MutableLiveContext): Promise<void> {
    const result = this.projection.handle(event, ctx as ProjectionContext<TTransaction>);
    if (result !== undefined && result !== null && typeof result.then === 'function') {
      await (this.watchdog === undefined ? result : this.guard(result));
    }
  }

  /**
   * Races a handler promise against the watchdog (only when `processingTimeoutMs` is set): the
   * returned promise settles as the handler's does, or rejects with a `TimeoutError` when the
   * watchdog reports the call. Allocates only that promise: the executor and the callbacks are
   * shared by all calls (one call is in flight at a time).
   */
  private guard(result: PromiseLike<void>): Promise<void> {
    this.guardCallId = (this.watchdog as HandlerWatchdog).begin();
    const promise = new Promise<void>(this.captureGuard);
    const callbacks = this.guardCallbacks;
    try {
      result.then(callbacks.resolved, callbacks.rejected);
    } catch (error) {
      // A thenable whose then() throws: the call failed.
      this.endGuard();
      throw error;
    }
    return promise;
  }

  /** A new set of {@link GuardCallbacks}; the previous set becomes stale. */
  private newGuardCallbacks(): GuardCallbacks {
    const callbacks: GuardCallbacks = {
      resolved: () => {
        if (this.guardCallbacks !== callbacks) return; // a call abandoned after a timeout
        const resolve = this.guardResolve;
        this.endGuard();
        resolve?.();
      },
      rejected: (error: unknown) => {
        if (this.guardCallbacks !== callbacks) return;
        const reject = this.guardReject;
        this.endGuard();
        reject?.(error);
      },
    };
    return callbacks;
  }

  private endGuard(): void {
    (this.watchdog as HandlerWatchdog).end();
    this.guardResolve = undefined;
    this.guardReject = undefined;
  }

  /**
   * Runs one failure through the error handler and carries out its action. Returns
   * {@link SETTLED}, {@link UNSETTLED}, or the next attempt number (with {@link retryDelay} set).
   */
  private async onFailure(stored: StoredEvent, error: unknown, attempt: number): Promise<number> {
    const eventId = stored.event.eventId;
    this.countsData.failures++;
    this.recordError('handler', error, eventId);
    let info: ErrorInfo;
    try {
      info = await this.handleError(stored, error, attempt);
    } catch (thrown) {
      if (this.tx !== undefined || !this.isInfraTimeout(thrown)) throw thrown;
      // The DLQ write outside a transaction hung and was abandoned: its outcome is unknown. Like a
      // failed write: infrastructure backoff, and the event runs again (the checkpoint stays before it).
      return this.dlqWriteFailed(eventId, thrown, attempt);
    }
    switch (info.action) {
      case 'retry':
        this.countsData.retries++;
        this.retryDelay = calculateBackoff(attempt, this.config.errorHandling.retry);
        return attempt + 1;
      case 'skip':
        this.countsData.skipped++;
        this.rt.logger.warn('Event skipped after a handler failure (error recorded)', {
          subscriptionId: this.id,
          eventId,
          error: info.errorMessage,
        });
        return SETTLED;
      case 'stop':
        this.fail('handler', error, eventId, 'Subscription stopped before the failing event');
        return UNSETTLED;
      default:
        break;
    }
    if (info.sentToDlq) {
      this.countsData.deadLettered++;
      if (this.perStream) {
        const stream = stored.event.aggregateId;
        const version = stored.event.aggregateVersion;
        const known = this.blocked.get(stream);
        if (known === undefined || version < known.from) {
          this.blocked.set(stream, { head: info.dlqId, from: version });
        }
      }
      this.rt.logger.warn('Event dead-lettered', {
        subscriptionId: this.id,
        eventId,
        dlqId: info.dlqId,
        streamId: stored.event.aggregateId,
      });
      return SETTLED;
    }
    if (!this.dlqAvailable) {
      this.fail(
        'dlq',
        new SubscriptionStateError(
          `Subscription '${this.id}' must dead-letter event ${eventId} but the manager has no dlqRepo; stopped before the event`,
          {
            subscriptionName: this.id,
            state: SubscriptionState.ERROR,
            operation: 'dlq',
            cause: error,
          },
        ),
        eventId,
      );
      return UNSETTLED;
    }
    // The DLQ write failed: the event's fate is still open. Treat it as an infrastructure
    // failure (breaker + backoff) and run the event again; the checkpoint stays before it.
    return this.dlqWriteFailed(eventId, info.dlqError, attempt);
  }

  /** A DLQ write of the failure path failed (or timed out): backoff, then the same attempt again. */
  private async dlqWriteFailed(
    eventId: string,
    dlqError: unknown,
    attempt: number,
  ): Promise<number> {
    this.recordError('dlq', dlqError, eventId);
    await recordFailure(this.infraBreaker, dlqError);
    this.retryDelay = Math.max(this.nextInfraDelay(), this.infraBreaker.retryAfterMs);
    this.rt.logger.error('DLQ write failed; the event stays unprocessed and will be retried', {
      subscriptionId: this.id,
      eventId,
      error: describe(dlqError),
      retryInMs: this.retryDelay,
    });
    return attempt;
  }

  private async handleError(
    stored: StoredEvent,
    error: unknown,
    retryCount: number,
  ): Promise<ErrorInfo> {
    const tx = this.tx;
    if (tx === undefined) {
      // Writes the DLQ (through the manager's repository) when the action is `dlq`.
      return this.bound(
        this.errorHandler.handleError({ error, storedEvent: stored, retryCount }),
        'dlq',
      );
    }
    let info: ErrorInfo | undefined;
    try {
      await this.boundSavepoint(
        tx,
        'dlq',
        async () => {
          info = await this.errorHandler.handleError({
            error,
            storedEvent: stored,
            retryCount,
            dlqRepo: tx.dlqRepo,
          });
          // Roll the savepoint back so a failed statement does not poison the transaction.
          if (info.action === 'dlq' && !info.sentToDlq) throw DLQ_WRITE_FAILED;
        },
        false,
      );
    } catch (thrown) {
      if (info === undefined || this.isInfraTimeout(thrown)) throw thrown;
      if (thrown !== DLQ_WRITE_FAILED) {
        if (info.action !== 'dlq') throw thrown;
        info = { ...info, sentToDlq: false, dlqId: null, dlqError: thrown };
      }
    }
    return info as ErrorInfo;
  }

  /**
   * True when the event's stream is blocked and the event is at or after the stream's first
   * unresolved DLQ entry (an event before it — met again when rebuilding — is handled as usual).
   */
  private parksBehindFailure(stored: StoredEvent): boolean {
    const blocked = this.blocked.get(stored.event.aggregateId);
    return blocked !== undefined && stored.event.aggregateVersion >= blocked.from;
  }

  /** Parks an event of a blocked stream in the DLQ behind the stream's failed entry. */
  private async park(stored: StoredEvent): Promise<number> {
    const event = stored.event;
    const stream = event.aggregateId;
    const head = this.blocked.get(stream)?.head ?? null;
    const input: AddFailedEventInput = {
      eventId: event.eventId,
      projectionName: this.id,
      eventType: event.eventType,
      eventData: this.serialize(event),
      error: `Parked behind ${head === null ? 'an unresolved DLQ entry' : `unresolved DLQ entry ${head}`} of stream ${stream} (per-stream ordering)`,
      retryCount: 0,
      status: 'parked',
      streamId: stream,
      streamPosition: event.aggregateVersion,
      position: stored.position,
    };
    const tx = this.tx;
    if (tx !== undefined) {
      try {
        await this.boundSavepoint(tx, 'dlq', () => tx.dlqRepo.addFailedEvent(input), false);
      } catch (error) {
        if (this.isInfraTimeout(error)) throw error; // ends the transaction
        this.recordError('dlq', error, event.eventId);
        await recordFailure(this.infraBreaker, error);
        this.deferDelay = Math.max(this.nextInfraDelay(), this.infraBreaker.retryAfterMs);
        return 0;
      }
    } else {
      const dlq = this.rt.dlqRepo as DLQRepository;
      const id = await this.infra(() => dlq.addFailedEvent(input), 'dlq');
      if (id === HALTED) return UNSETTLED;
    }
    this.countsData.parked++;
    return SETTLED;
  }

  private settle(stored: StoredEvent): void {
    this.cursor = stored.position;
    const global = stored.globalPosition;
    if (this.cursorGlobal === undefined || global > this.cursorGlobal) this.cursorGlobal = global;
    this.pending = true;
    this.pendingPosition = stored.position;
    this.pendingEventId = stored.event.eventId;
    this.pendingEventType = stored.event.eventType;
  }

  // ---------------------------------------------------------------------------------------------
  // Checkpoints
  // ---------------------------------------------------------------------------------------------

  /** The pending checkpoint, fenced on the position this subscription last saved or loaded. */
  private pendingInput(): SavePositionInput {
    return {
      position: this.pendingPosition as Position,
      eventId: this.pendingEventId,
      eventType: this.pendingEventType,
      expected: this.savedPosition,
    };
  }

  private periodicDue(): boolean {
    return (
      this.config.checkpointStrategy !== CheckpointStrategy.PERIODIC ||
      this.rt.clock() - this.lastSaveAt >= this.config.checkpointIntervalMs
    );
  }

  /** Saves the pending checkpoint (with infrastructure retries). False when the loop must end. */
  private async saveCheckpoint(): Promise<boolean> {
    if (this.abandoned) return false;
    if (!this.pending || this.saving) return true;
    this.saving = true;
    const input = this.pendingInput();
    this.saveInput = input;
    try {
      const saved = await this.infra(this.savePending, 'checkpoint');
      if (saved === HALTED) return false;
      if (!saved) {
        await this.reloadAfterConflict(this.conflictOf(input));
        return false;
      }
      // What is stored now, even when more events settled during the save (still pending).
      this.savedPosition = input.position;
      if (this.pendingPosition === input.position) this.markSaved();
      return true;
    } finally {
      this.saveInput = undefined;
      this.saving = false;
    }
  }

  private markSaved(): void {
    this.savedPosition = this.pendingPosition ?? this.savedPosition;
    this.pending = false;
    this.lastSaveAt = this.rt.clock();
  }

  private conflictOf(input: SavePositionInput): CheckpointConflictError {
    return new CheckpointConflictError(this.id, input.expected ?? null, input.position);
  }

  /**
   * A fenced save was refused: another instance (or a zombie of this one) moved the checkpoint,
   * or it was reset. The work since the last save is dropped (in a unit of work it was rolled
   * back), the error recorded, and the subscription continues from the stored checkpoint (from
   * the start when there is none) with the blocked streams as the DLQ has them now.
   */
  private async reloadAfterConflict(conflict: CheckpointConflictError): Promise<void> {
    this.recordError('checkpoint', conflict, null);
    this.pending = false;
    this.pendingPosition = undefined;
    this.pendingEventId = null;
    this.pendingEventType = null;
    const stored = await this.infra(
      () => this.rt.checkpointRepo.getPosition(this.id),
      'checkpoint',
    );
    if (stored === HALTED) return;
    if (this.perStream && !(await this.loadBlockedStreams('checkpoint'))) return;
    // Usually another instance; also an earlier attempt of this save whose outcome was unknown
    // (committed, then retried): either way the stored checkpoint is the truth.
    this.rt.logger.warn(
      'Checkpoint moved by another instance of the subscription; continuing from the stored checkpoint',
      {
        subscriptionId: this.id,
        expected: conflict.expected,
        refused: conflict.position,
        stored,
      },
    );
    this.cursor = stored ?? undefined;
    this.savedPosition = stored;
    this.lastSaveAt = this.rt.clock();
  }

  /**
   * The last checkpoint write when the loop ends (or when `stop()` gives up on a hung handler):
   * one direct attempt, failures reported.
   */
  private async flushFinal(force = false): Promise<void> {
    if (!this.pending || (this.abandoned && !force) || this.rt.unitOfWork !== undefined) return;
    try {
      const input = this.pendingInput();
      if (await this.bound(this.rt.checkpointRepo.savePosition(this.id, input), 'checkpoint')) {
        this.markSaved();
      } else {
        // Another instance moved the checkpoint: the events since our last save are its to save.
        const conflict = this.conflictOf(input);
        this.recordError('checkpoint', conflict, null);
        this.pending = false;
        this.rt.logger.warn('Final checkpoint refused: another instance moved the checkpoint', {
          subscriptionId: this.id,
          expected: conflict.expected,
          refused: conflict.position,
        });
      }
    } catch (error) {
      this.recordError('checkpoint', error, null);
      this.rt.logger.error(
        'Final checkpoint flush failed; events since the last checkpoint will be delivered again',
        {
          subscriptionId: this.id,
          error: describe(error),
        },
      );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Infrastructure operations, waits, pause
  // ---------------------------------------------------------------------------------------------

  /**
   * Runs a store/checkpoint/DLQ operation through the infrastructure breaker and retries it with
   * backoff until it succeeds, the subscription halts, or the error is fatal (an application
   * error such as a `TypeError`: the subscription fails). While the breaker is open it waits.
   */
  private async infra<T>(
    operation: () => Promise<T>,
    source: ErrorSource,
  ): Promise<T | typeof HALTED> {
    for (;;) {
      if (this.halted) return HALTED;
      try {
        const result = await this.infraBreaker.execute(() => this.bound(operation(), source));
        if (this.infraFailures !== 0) this.infraRecovered();
        return result;
      } catch (error) {
        if (isCircuitBreakerOpenError(error)) {
          if (!(await this.waitMs(Math.max(1, error.retryAfterMs)))) return HALTED;
          continue;
        }
        this.recordError(source, error, null);
        if (this.isFatal(error)) {
          this.fail(
            source,
            error,
            null,
            source === 'read' && isUnreadableEvent(error)
              ? 'Subscription stopped before a stored event it cannot read'
              : undefined,
          );
          return HALTED;
        }
        if (!(await this.infraBackoff(error, source))) return HALTED;
      }
    }
  }

  /**
   * Bounds an infrastructure operation by `infrastructureTimeoutMs`: the returned promise settles
   * as `operation` does, or rejects with a `TimeoutError` when the infrastructure watchdog reports
   * it (one timer per subscription, a clock read per operation). The abandoned operation keeps
   * running: its late result or rejection is caught here and ignored (never an unhandled
   * rejection), and it no longer counts as the operation in flight.
   */
  private bound<T>(operation: Promise<T>, what: string): Promise<T> {
    const watchdog = this.infraWatchdog;
    if (watchdog === undefined) return operation;
    return new Promise<T>((resolve, reject) => {
      const op: InfraOperation = { what, reject, callId: watchdog.begin() };
      this.infraOp = op;
      this.settleInfra(op, () => operation, resolve, reject);
    });
  }

  /**
   * {@link Subscription.bound} for a savepoint of the transaction in flight. A callback that
   * starts after the savepoint was abandoned does nothing (throws, rolling the savepoint back).
   * With `pause`, the budget is suspended while `body` runs (a handler call, which has its own
   * limit) and starts afresh for the release or rollback of the savepoint.
   */
  private boundSavepoint<T>(
    tx: UnitOfWork,
    what: string,
    body: () => Promise<T>,
    pause: boolean,
  ): Promise<T> {
    const watchdog = this.infraWatchdog;
    if (watchdog === undefined) return tx.savepoint(body);
    let op: InfraOperation | undefined;
    const run = async (): Promise<T> => {
      if (op === undefined || this.infraOp !== op) throw ABANDONED;
      if (!pause) return body();
      watchdog.end();
      try {
        return await body();
      } finally {
        if (this.infraOp === op) op.callId = watchdog.begin();
      }
    };
    return new Promise<T>((resolve, reject) => {
      const current: InfraOperation = { what, reject, callId: watchdog.begin() };
      op = current;
      this.infraOp = current;
      this.settleInfra(current, () => tx.savepoint(run), resolve, reject);
    });
  }

  /** Starts a bounded operation and settles its race as it settles (unless it was abandoned). */
  private settleInfra<T>(
    op: InfraOperation,
    start: () => Promise<T>,
    resolve: (value: T) => void,
    reject: (error: unknown) => void,
  ): void {
    let operation: Promise<T>;
    try {
      operation = start();
    } catch (error) {
      this.endInfra(op);
      reject(error);
      return;
    }
    operation.then(
      (value) => {
        this.endInfra(op);
        resolve(value);
      },
      (error: unknown) => {
        this.endInfra(op);
        reject(error);
      },
    );
  }

  /**
   * Runs a unit-of-work transaction bounded by `infrastructureTimeoutMs` outside `body` (the
   * begin, and the commit or rollback); `body` bounds its own operations. A timeout inside `body`
   * abandons the whole transaction at once (`body` rethrows it, so it can only roll back). A
   * `body` that starts after the transaction was abandoned throws before touching anything.
   */
  private runTransaction(
    uow: UnitOfWorkProvider,
    body: (unit: UnitOfWork) => Promise<void>,
  ): Promise<void> {
    const watchdog = this.infraWatchdog;
    if (watchdog === undefined) return uow.runInTransaction(body);
    return new Promise<void>((resolve, reject) => {
      const op: InfraOperation = { what: 'transaction', reject, callId: watchdog.begin() };
      this.infraOp = op;
      const inTransaction = async (unit: UnitOfWork): Promise<void> => {
        if (this.infraOp !== op) throw ABANDONED;
        watchdog.end();
        this.infraOp = undefined;
        try {
          await body(unit);
        } catch (error) {
          if (this.isInfraTimeout(error)) {
            // Do not wait for the rollback on a connection that hangs.
            reject(error);
          } else {
            this.resumeInfra(op);
          }
          throw error;
        }
        this.resumeInfra(op);
      };
      this.settleInfra(op, () => uow.runInTransaction(inTransaction), resolve, reject);
    });
  }

  /** The operation continues after a pause: a fresh budget from now. */
  private resumeInfra(op: InfraOperation): void {
    this.infraOp = op;
    op.callId = (this.infraWatchdog as HandlerWatchdog).begin();
  }

  /** `op` settled: it stops being watched, unless it was abandoned (then it is not ours to end). */
  private endInfra(op: InfraOperation): void {
    if (this.infraOp !== op) return;
    this.infraOp = undefined;
    (this.infraWatchdog as HandlerWatchdog).end();
  }

  /** True for the `TimeoutError` of an abandoned infrastructure operation. */
  private isInfraTimeout(error: unknown): boolean {
    return error !== undefined && error === this.infraTimeout;
  }

  private async infraBackoff(error: unknown, what: string): Promise<boolean> {
    const delay = this.nextInfraDelay();
    this.rt.logger.warn(`Infrastructure operation failed (${what}); retrying`, {
      subscriptionId: this.id,
      failures: this.infraFailures,
      retryInMs: delay,
      breaker: this.infraBreaker.state,
      error: describe(error),
    });
    return this.waitMs(delay);
  }

  private nextInfraDelay(): number {
    const delay = calculateBackoff(Math.min(this.infraFailures, 30), this.rt.infrastructureRetry);
    this.infraFailures++;
    return delay;
  }

  private infraRecovered(): void {
    this.rt.logger.info('Infrastructure recovered', {
      subscriptionId: this.id,
      failures: this.infraFailures,
    });
    this.infraFailures = 0;
  }

  /**
   * Errors that waiting will not fix: a stored event that cannot be read (`ES_EVENT_TYPE_NOT_FOUND`
   * — a type this process does not know —, `ES_SERIALIZATION`; by code, whatever the classifier
   * says), application errors (a `TypeError`…), invalid arguments (`ES_INVALID_CONFIG`, for
   * example a cursor of the wrong kind for the store) and a checkpoint of another position kind.
   */
  private isFatal(error: unknown): boolean {
    if (
      isUnreadableEvent(error) ||
      isCode(error, 'ES_CHECKPOINT_POSITION_KIND') ||
      isCode(error, 'ES_INVALID_CONFIG')
    )
      return true;
    try {
      return this.rt.classifier.classify(error).category === 'application';
    } catch {
      return false;
    }
  }

  /**
   * Waits `ms` (abortable). Pausing during the wait holds here until resumed (and then returns at
   * once); a stop ends it. Returns false when the subscription halted.
   */
  private async waitMs(ms: number): Promise<boolean> {
    const clock = this.rt.clock;
    const until = clock() + ms;
    let remaining = ms;
    for (;;) {
      if (this.halted) return false;
      if (this.paused) {
        await this.waitWhilePaused();
        return !this.halted;
      }
      if (this.resyncRequested && this.tx === undefined) await this.resyncBlockedStreams();
      if (remaining <= 0) return !this.halted;
      const reason = await this.sleeper.sleep(remaining, false);
      if (reason === 'timeout') return !this.halted;
      remaining = until - clock();
    }
  }

  private async waitWhilePaused(): Promise<void> {
    if (this.pending && !this.saving && this.tx === undefined && this.rt.unitOfWork === undefined) {
      await this.saveCheckpoint();
    }
    this.quiet = true;
    this.flushWaiters('pause');
    try {
      while (this.paused && !this.halted) {
        if (this.resyncRequested && this.tx === undefined) await this.resyncBlockedStreams();
        if (!this.paused || this.halted) break;
        await this.sleeper.sleep(Number.POSITIVE_INFINITY, false);
      }
    } finally {
      this.quiet = false;
    }
  }

  private quietPromise(): Promise<void> {
    return new Promise<void>((resolve) => this.pauseWaiters.push(resolve));
  }

  // ---------------------------------------------------------------------------------------------
  // Per-stream blocking and redrive
  // ---------------------------------------------------------------------------------------------

  private async redriveEntry(entry: DLQEntry, control: RedriveProcessContext): Promise<void> {
    const event = this.rt.deserialize(entry.eventData);
    const base = {
      subscriptionId: this.id,
      redrive: true as const,
      storedEvent: null,
      position: entry.position,
      attempt: 0,
      signal: this.abort.signal,
      dlqEntry: entry,
    };
    const uow = this.rt.unitOfWork;
    if (uow === undefined) {
      await this.withTimeout(this.projection.handle(event, base));
      return;
    }
    const settled = await uow.runInTransaction(async (unit): Promise<RedriveSelfSettlement> => {
      // Resolve first: on PostgreSQL the update locks the row until this transaction ends, so a
      // concurrent run taking over the same entry waits, then finds it settled.
      if (!(await unit.dlqRepo.markResolved(entry.id, control.resolvedBy))) {
        if ((await unit.dlqRepo.getFailedEventById(entry.id)) === null) {
          throw new SubscriptionConfigError(
            'unitOfWork',
            `must write to the manager's dlqRepo: its DLQ has no entry ${entry.id}`,
            undefined,
            { subscriptionName: this.id },
          );
        }
        return 'unavailable';
      }
      const context: RedriveProjectionContext<TTransaction> = {
        ...base,
        transaction: unit.transaction as TTransaction,
      };
      await this.withTimeout(this.projection.handle(event, context));
      return 'resolved';
    });
    control.settled(settled);
  }

  /** Applies `processingTimeoutMs` to a redrive call (one timer per call; redrive is not a hot path). */
  private async withTimeout(result: Promise<void> | void): Promise<void> {
    if (result === undefined || result === null || typeof result.then !== 'function') return;
    const timeoutMs = this.config.processingTimeoutMs;
    if (timeoutMs <= 0) return result;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TimeoutError(
              `Redrive of subscription '${this.id}' took longer than ${timeoutMs} ms`,
              {
                timeoutMs,
                operationName: `${this.id}.handle`,
              },
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([result, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Asks the loop to re-check its blocked streams against the DLQ at a safe point. */
  private requestResync(): Promise<void> {
    if (!this.loopRunning) return this.resyncBlockedStreams(false);
    return new Promise<void>((resolve) => {
      this.resyncWaiters.push(resolve);
      this.resyncRequested = true;
      this.sleeper.interrupt();
    });
  }

  /**
   * Releases blocked streams that have no unresolved DLQ entry any more. Runs only where no
   * event is being parked (the loop's safe points), so an event parked during a redrive keeps its
   * stream blocked.
   */
  private async resyncBlockedStreams(inLoop = true): Promise<void> {
    this.resyncRequested = false;
    const waiters = this.resyncWaiters;
    this.resyncWaiters = [];
    try {
      if (this.blocked.size === 0) return;
      const read = () => this.withDlq((dlq) => dlq.getBlockedStreams(this.id));
      // Outside the loop (not started, or ended) nothing is parked concurrently: one direct read.
      const streams: string[] | typeof HALTED = inLoop
        ? await this.infra(read, 'dlq')
        : await read().catch((): typeof HALTED => HALTED);
      if (streams === HALTED) return;
      const stillBlocked = new Set(streams);
      for (const stream of [...this.blocked.keys()]) {
        if (!stillBlocked.has(stream)) {
          this.blocked.delete(stream);
          this.rt.logger.info('Stream released after redrive', {
            subscriptionId: this.id,
            streamId: stream,
          });
        }
      }
    } finally {
      for (const resolve of waiters) resolve();
    }
  }

  /** Runs a read of the DLQ on the manager's repository, or in a transaction of the unit of work. */
  private withDlq<T>(read: (dlq: DLQRepository) => Promise<T>): Promise<T> {
    const dlq = this.rt.dlqRepo;
    if (dlq !== undefined) return read(dlq);
    const uow = this.rt.unitOfWork as UnitOfWorkProvider;
    return uow.runInTransaction((unit) => read(unit.dlqRepo));
  }

  // ---------------------------------------------------------------------------------------------
  // Stop, failure, bookkeeping
  // ---------------------------------------------------------------------------------------------

  private async doStop(): Promise<void> {
    if (this.stopped) return;
    this.stopRequested = true;
    this.sleeper.interrupt();
    const run = this.runPromise;
    if (run !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([
        run.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), this.rt.shutdownTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        this.abandoned = true;
        this.abort.abort(
          new SubscriptionStateError(
            `Subscription '${this.id}' stopped before the handler finished`,
            {
              subscriptionName: this.id,
              state: SubscriptionState.STOPPED,
              operation: 'stop',
            },
          ),
        );
        this.rt.logger.warn('Stop timed out; the handler call in flight was abandoned', {
          subscriptionId: this.id,
          shutdownTimeoutMs: this.rt.shutdownTimeoutMs,
        });
        // The pending checkpoint is before the abandoned event: save it now; the loop, if it
        // ever comes back, writes nothing more.
        if (!this.saving) await this.flushFinal(true);
      }
    }
    this.watchdog?.dispose();
    this.infraWatchdog?.dispose();
    this.stopped = true;
    this.flushWaiters('all');
    this.rt.logger.info('Subscription stopped', {
      subscriptionId: this.id,
      state: this.state,
      checkpoint: this.savedPosition,
    });
  }

  private async finish(): Promise<void> {
    this.loopRunning = false;
    await this.flushFinal();
    this.watchdog?.dispose();
    this.infraWatchdog?.dispose();
    this.flushWaiters('all');
  }

  private fail(
    source: ErrorSource,
    error: unknown,
    eventId: string | null,
    message?: string,
  ): void {
    this.recordError(source, error, eventId);
    if (this.errored) return;
    this.errored = true;
    this.rt.logger.error(message ?? 'Subscription failed', {
      subscriptionId: this.id,
      source,
      eventId,
      checkpoint: this.pendingPosition ?? this.savedPosition,
      error: describe(error),
    });
    this.sleeper.interrupt();
  }

  private recordError(source: ErrorSource, error: unknown, eventId: string | null): void {
    this.lastErrorData = {
      source,
      name: error instanceof Error ? error.name : typeof error,
      code: codeOf(error),
      message: describe(error),
      at: new Date(this.rt.clock()),
      eventId,
      error,
    };
  }

  private assertActive(operation: string): void {
    if (this.halted || this.stopped) {
      throw new SubscriptionStateError(
        `Cannot ${operation} subscription '${this.id}' in state ${this.state}`,
        { subscriptionName: this.id, state: this.state, operation },
      );
    }
  }

  private resolveIdle(seq: number): void {
    if (this.idleWaiters.length === 0) return;
    const waiting: { readonly minSeq: number; readonly resolve: () => void }[] = [];
    for (const waiter of this.idleWaiters) {
      if (waiter.minSeq <= seq) waiter.resolve();
      else waiting.push(waiter);
    }
    this.idleWaiters = waiting;
  }

  private flushWaiters(which: 'start' | 'pause' | 'all'): void {
    const lists: (() => void)[][] = [];
    if (which === 'start' || which === 'all') {
      lists.push(this.startWaiters);
      this.startWaiters = [];
    }
    if (which === 'pause' || which === 'all') {
      lists.push(this.pauseWaiters);
      this.pauseWaiters = [];
    }
    if (which === 'all') {
      lists.push(
        this.idleWaiters.map((waiter) => waiter.resolve),
        this.resyncWaiters,
      );
      this.idleWaiters = [];
      this.resyncWaiters = [];
    }
    for (const list of lists) for (const resolve of list) resolve();
  }

  private snapshot(): Snapshot {
    return {
      cursor: this.cursor,
      cursorGlobal: this.cursorGlobal,
      pending: this.pending,
      pendingPosition: this.pendingPosition,
      pendingEventId: this.pendingEventId,
      pendingEventType: this.pendingEventType,
      counts: { ...this.countsData },
      blocked: this.blocked.size === 0 ? null : new Map(this.blocked),
    };
  }

  private restore(snapshot: Snapshot): void {
    this.cursor = snapshot.cursor;
    this.cursorGlobal = snapshot.cursorGlobal;
    this.pending = snapshot.pending;
    this.pendingPosition = snapshot.pendingPosition;
    this.pendingEventId = snapshot.pendingEventId;
    this.pendingEventType = snapshot.pendingEventType;
    // Fates are rolled back with the transaction; attempts (retries, failures, timeouts) happened.
    const counts = this.countsData;
    counts.processed = snapshot.counts.processed;
    counts.deadLettered = snapshot.counts.deadLettered;
    counts.parked = snapshot.counts.parked;
    counts.skipped = snapshot.counts.skipped;
    this.blocked = snapshot.blocked ?? new Map();
  }

  private serialize(event: DomainEvent): Record<string, unknown> {
    try {
      return this.rt.serialize(event);
    } catch {
      return toEventData(event);
    }
  }

  /**
   * The lag: from the first readable event after the cursor when there is one; otherwise the
   * committed events the read horizon holds back (from the store's `getHorizonStatus` when it has
   * one, else the store's head beyond the highest global position settled).
   */
  private async measureLag(
    now: number,
    warnings: string[],
    deadline: Deadline,
  ): Promise<SubscriptionHealth['lag']> {
    const store = this.rt.eventStore;
    try {
      // The head first: an event at or below it that is not readable afterwards is held back.
      const head = await deadline.race(store.getGlobalPosition());
      const next = await deadline.race(this.firstUnprocessed());
      if (next !== undefined) {
        return {
          events: Math.max(1, head - next.globalPosition + 1),
          seconds: Math.max(0, (now - next.event.occurredAt.getTime()) / 1000),
        };
      }
      if (isHorizonAware(store)) {
        const horizon = await deadline.race(store.getHorizonStatus(this.config.horizonStallMs));
        const held = horizon.heldBackEvents;
        if (!(held > 0)) return { events: 0, seconds: 0 };
        if (horizon.stalled) {
          const age = horizon.oldestTransactionAgeMs;
          warnings.push(
            `${held} committed event(s) held back by an open transaction${age === null ? '' : ` (open for ${Math.round(age / 100) / 10} s)`}: the subscription waits for it`,
          );
        }
        // When they were appended is unknown until they can be read.
        return { events: held, seconds: null };
      }
      const behind = this.cursorGlobal === undefined ? 0 : head - this.cursorGlobal;
      // With a type filter the events beyond the cursor may all be of other types: no verdict.
      if (behind <= 0 || this.config.eventTypes !== undefined) return { events: 0, seconds: 0 };
      warnings.push(
        `${behind} stored event(s) after the cursor not readable yet: held back by an open transaction`,
      );
      return { events: behind, seconds: null };
    } catch (error) {
      warnings.push(
        deadline.isTimeout(error)
          ? `Lag unknown: the store did not answer within ${deadline.ms} ms`
          : `Lag unknown: the store could not be read (${describe(error)})`,
      );
      return { events: null, seconds: null };
    }
  }

  /** The first readable event after the cursor (of the projection's types), if any. */
  private async firstUnprocessed(): Promise<StoredEvent | undefined> {
    const options: { -readonly [K in keyof ReadAllOptions]: ReadAllOptions[K] } = { limit: 1 };
    if (this.cursor !== undefined) options.fromPosition = this.cursor;
    if (this.config.eventTypes !== undefined) options.eventTypes = this.config.eventTypes;
    for await (const stored of this.rt.eventStore.readAll(options)) return stored;
    return undefined;
  }

  private async measureDlq(
    now: number,
    warnings: string[],
    deadline: Deadline,
  ): Promise<{ depth: number | null; oldest: Date | null; oldestAgeMs: number | null }> {
    if (!this.dlqAvailable) return { depth: null, oldest: null, oldestAgeMs: null };
    try {
      const { depth, oldest } = await deadline.race(
        this.withDlq((dlq) => dlq.getProjectionDepth(this.id)),
      );
      return {
        depth,
        oldest,
        oldestAgeMs: oldest === null ? null : Math.max(0, now - oldest.getTime()),
      };
    } catch (error) {
      warnings.push(
        deadline.isTimeout(error)
          ? `DLQ depth unknown: the DLQ did not answer within ${deadline.ms} ms`
          : `DLQ depth unknown: the DLQ could not be read (${describe(error)})`,
      );
      return { depth: null, oldest: null, oldestAgeMs: null };
    }
  }
}

/** Records a failure in a breaker (and lets its `isFailure` predicate decide whether it counts). */
async function recordFailure(breaker: CircuitBreaker, error: unknown): Promise<void> {
  try {
    await breaker.execute(() => {
      throw error;
    });
  } catch {
    // The breaker rethrows (or refuses while open): the failure is recorded either way.
  }
}

/** True when `stored` is at or before `target` (false when the kinds differ). */
function isAtOrBefore(stored: Position, target: Position): boolean {
  if (typeof stored !== typeof target) return false;
  return comparePositions(stored, target) <= 0;
}

/** True for the errors of a stored event that cannot be turned into an event (by code). */
function isUnreadableEvent(error: unknown): boolean {
  const code = codeOf(error);
  return code !== null && UNREADABLE_EVENT_CODES.has(code);
}

/** True when the store reports its read horizon (`PostgresEventStore.getHorizonStatus`). */
function isHorizonAware(store: EventStore): store is EventStore & HorizonAware {
  return typeof (store as Partial<HorizonAware>).getHorizonStatus === 'function';
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function codeOf(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}

function describe(error: unknown): string {
  try {
    if (error instanceof Error) return error.message || error.name;
    return String(error);
  } catch {
    return typeof error;
  }
}

/** The handler breaker's default `isFailure`: only transient and infrastructure errors count. */
function countsAsHandlerOutage(classifier: Pick<ErrorClassifier, 'classify'>) {
  return (error: unknown): boolean => {
    try {
      return INFRASTRUCTURE_CATEGORIES.has(classifier.classify(error).category);
    } catch {
      return false;
    }
  };
}
