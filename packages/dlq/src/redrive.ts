/**
 * Redrive: replays dead-lettered entries of a projection through a `process` function, in stream
 * order, on any {@link DLQRepository}.
 *
 * @module
 */
import { InvalidConfigError } from '@es/core';
import { describeFailure } from './describe-failure.js';
import { isUnresolvedDLQStatus } from './dlq-lifecycle.js';
import { resolveLeaseMs } from './dlq-limits.js';
import type { DLQEntry, DLQRepository, DLQStatus } from './dlq-repository.js';
import { UNRESOLVED_DLQ_STATUSES } from './dlq-repository.js';
import { RedriveError } from './errors.js';
import { compareCodePoints, compareStreamOrder } from './stream-order.js';

/** What happened to one entry in a redrive. */
export const RedriveOutcome = {
  /** `process` succeeded; the entry is `resolved`. */
  SUCCEEDED: 'succeeded',
  /** `process` failed; the entry is `failed` again with `retryCount + 1` and the new error. */
  FAILED: 'failed',
  /**
   * Not attempted, to keep stream order: an earlier entry of its stream failed in this run, or
   * (for a parked entry) an earlier unresolved entry of its stream is not part of this run.
   */
  SKIPPED_BEHIND_FAILURE: 'skipped_behind_failure',
  /**
   * Not attempted, or attempted without effect: the entry changed since it was listed (another
   * redrive claimed it, or it was settled), so this run could not claim it; or `process` declared
   * it already settled; or it was found settled after `process` failed (it is not requeued). The
   * rest of its stream is not attempted either.
   */
  SKIPPED_UNAVAILABLE: 'skipped_unavailable',
  /** Dry run: would be attempted (assuming every earlier attempt succeeds). */
  WOULD_PROCESS: 'would_process',
} as const;

/** One of the {@link RedriveOutcome} values. */
export type RedriveOutcome = (typeof RedriveOutcome)[keyof typeof RedriveOutcome];

/**
 * Default `leaseMs` of {@link redrive}: a claim expires 30 s after it was taken (Axon's default
 * `claimDuration`), so an entry left `retrying` by a crashed run is taken over by the next run.
 */
export const DEFAULT_REDRIVE_LEASE_MS = 30_000;
/** Default `pageSize` of {@link redrive}. */
export const DEFAULT_REDRIVE_PAGE_SIZE = 100;
/** Default `maxReportEntries` of {@link redrive}: the per-entry detail of a report is capped. */
export const DEFAULT_REDRIVE_REPORT_ENTRIES = 1_000;

/** The detail of one entry in a {@link RedriveReport}. */
export interface RedriveEntryResult {
  readonly id: string;
  readonly eventId: string;
  readonly streamId: string | null;
  readonly streamPosition: number | null;
  /** The entry's status when the run took it up (`failed`, `parked`, or `retrying`). */
  readonly status: DLQStatus;
  readonly outcome: RedriveOutcome;
  /** The new error of a `failed` outcome, null otherwise. */
  readonly errorMessage: string | null;
}

/**
 * The counters of a redrive. `selected` is the sum of the others: every entry the run took up,
 * whatever came of it.
 */
export interface RedriveCounts {
  readonly selected: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly skippedBehindFailure: number;
  readonly skippedUnavailable: number;
  /** Dry runs only: entries that would be attempted. */
  readonly wouldProcess: number;
}

/** Passed to `onProgress` after each entry. */
export interface RedriveProgress extends RedriveCounts {
  readonly projectionName: string;
  readonly dryRun: boolean;
  /** The entry just settled. */
  readonly entry: RedriveEntryResult;
}

/** The result of {@link redrive}. */
export interface RedriveReport extends RedriveCounts {
  readonly projectionName: string;
  readonly dryRun: boolean;
  /** Per-entry detail in processing order, at most `maxReportEntries` items. */
  readonly entries: readonly RedriveEntryResult[];
  /** True when more entries were taken up than `entries` lists (the counters are still exact). */
  readonly entriesTruncated: boolean;
  /** Requested `ids` that were not taken up: unknown, settled, of another projection or stream. */
  readonly ignoredIds: readonly string[];
  readonly durationMs: number;
}

/**
 * How `process` settled an entry itself (see {@link RedriveProcessContext.settled}):
 * `'resolved'` — it resolved the entry atomically with its effects; `'unavailable'` — it found the
 * entry already settled and applied nothing.
 */
export type RedriveSelfSettlement = 'resolved' | 'unavailable';

/**
 * The second argument of {@link RedriveOptions.process}. It lets `process` settle the entry
 * itself, in the transaction of its own effects, so that no crash can leave the effect committed
 * and the entry unresolved (which a recovery run would apply again): exactly-once redrive.
 */
export interface RedriveProcessContext {
  /** The run's `resolvedBy`: what `process` records when it resolves the entry itself. */
  readonly resolvedBy: string;
  /**
   * Declares that `process` settled the entry itself:
   *
   * - `'resolved'`: it called `markResolved(entry.id, resolvedBy)` on a repository bound to the
   *   transaction of its effects, and that transaction committed. The engine does not call
   *   `markResolved`; the outcome is `succeeded`.
   * - `'unavailable'`: its `markResolved` returned false — the entry was already settled (by a
   *   concurrent run, an operator, or an earlier attempt whose commit landed) — and it applied
   *   nothing. The outcome is `skipped_unavailable`; the rest of the stream is left for later.
   *
   * Honoured only when `process` resolves: when it rejects, its transaction rolled back and the
   * entry is requeued as usual. Without a declaration the engine resolves the entry itself after
   * `process` (at-least-once under a crash).
   */
  settled(how: RedriveSelfSettlement): void;
}

/** Options of {@link redrive}. */
export interface RedriveOptions {
  /** Where the entries are. */
  readonly dlqRepo: DLQRepository;
  /** The projection (subscription) whose entries are redriven. */
  readonly projectionName: string;
  /**
   * Re-handles one entry; resolve for success, reject for failure. Called one entry at a time, in
   * stream order, with the entry as listed. Never called in a dry run. A `process` that writes in
   * a transaction can resolve the entry in that same transaction and say so through `context`
   * (see {@link RedriveProcessContext}).
   */
  readonly process: (entry: DLQEntry, context: RedriveProcessContext) => Promise<void> | void;
  /**
   * Redrive only these entries (plus the parked entries queued behind them). Ids that cannot be
   * taken up are listed in {@link RedriveReport.ignoredIds}. An empty array selects nothing.
   */
  readonly ids?: readonly string[] | undefined;
  /**
   * Redrive only the entries it accepts (plus the parked entries queued behind them). It is asked
   * about the entries that head a selection, not about the parked entries released behind them.
   */
  readonly filter?: ((entry: DLQEntry) => boolean) | undefined;
  /** Redrive only this stream. */
  readonly streamId?: string | undefined;
  /** Report what would be processed, in order, without calling `process` or changing anything. */
  readonly dryRun?: boolean | undefined;
  /** Entries read per `listEntries` call; default 100. */
  readonly pageSize?: number | undefined;
  /** Recorded as `resolvedBy` on success; default `'redrive'`. */
  readonly resolvedBy?: string | undefined;
  /** Called after each entry; errors it throws are ignored. */
  readonly onProgress?: ((progress: RedriveProgress) => void) | undefined;
  /**
   * Stops the run before the next entry (an attempt in flight is finished and recorded first);
   * `redrive` then rejects with `signal.reason`.
   */
  readonly signal?: AbortSignal | undefined;
  /**
   * Operator recovery: also take up every entry left in `retrying` by a crashed or aborted run —
   * claimed without a lease, or inside its lease — processing it without a new claim. Only safe
   * when no other redrive of this projection is running (it overrides the claims). Not needed for
   * claims with a lease: without this flag a run takes an entry over once its lease expired, and
   * never touches one inside it.
   */
  readonly includeRetrying?: boolean | undefined;
  /**
   * How long each claim holds (`markRetrying(id, { leaseMs })`), in ms of the repository's clock;
   * default {@link DEFAULT_REDRIVE_LEASE_MS} (30 s). Once it expired, another run may take the
   * entry over: choose it longer than the slowest `process` call. `null`: claims without expiry
   * (the behaviour before leases; a crashed run's entries then need `includeRetrying`).
   */
  readonly leaseMs?: number | null | undefined;
  /** Cap of {@link RedriveReport.entries}; default 1000. */
  readonly maxReportEntries?: number | undefined;
  /** Milliseconds for `durationMs`; default `performance.now`. */
  readonly clock?: (() => number) | undefined;
}

/**
 * Redrives dead-lettered entries of one projection through `process`, in stream order.
 *
 * It takes up the unresolved `failed` entries of the projection — all of them, or those named by
 * `ids`, accepted by `filter`, or in `streamId` — and the `parked` entries queued behind them in
 * the same stream (a parked entry with no unresolved entry in front of it heads its stream and is
 * selected like a failed one). Streams are walked in stream order, entries within a stream by
 * `streamPosition`; entries without a stream are independent. For each entry: `markRetrying`
 * (the claim), `process(entry, context)`, then `markResolved(id, resolvedBy)` on success — unless
 * `process` declared through `context.settled` that it settled the entry itself, in the
 * transaction of its effects (exactly-once, see {@link RedriveProcessContext}) — or on failure
 * `addFailedEvent` with the same key, `retryCount + 1`, the new error and status `failed` (not
 * when the entry was settled meanwhile) — after which the rest of that stream is not attempted in
 * this run (other streams go on). An entry taken up in `retrying` (`includeRetrying`) is read
 * again first and skipped when it is no longer `retrying`. A parked
 * entry is only processed when every unresolved entry in front of it was processed successfully
 * in this run; otherwise it is counted as `skippedBehindFailure`.
 *
 * Redrive reads the DLQ page by page (`listEntries` keyset paging), never touches checkpoints,
 * and is safe to run concurrently with a live subscription and with another redrive (claims
 * exclude each other for the lease, `leaseMs`; handlers must still be idempotent, as delivery is
 * at least once). A `retrying` entry whose lease expired (its run crashed, or is slower than the
 * lease) is taken over like a failed one; one inside its lease is never touched.
 *
 * @returns the report: counts, bounded per-entry detail, duration.
 * @throws {InvalidConfigError} `ES_INVALID_CONFIG` (`redrive.pageSize`, …) for bad options.
 * @throws {RedriveError} `ES_DLQ_REDRIVE` when the repository or `filter` throws, or the
 *   repository breaks the keyset-paging contract; carries the partial report.
 * @throws the `signal`'s reason when it aborts.
 * @example
 * ```ts
 * const report = await redrive({
 *   dlqRepo,
 *   projectionName: 'task-list',
 *   process: async (entry) => projection.handle(deserializeEvent(entry.eventData)),
 *   filter: (entry) => entry.eventType === 'TaskCreated',
 * });
 * console.log(`${report.succeeded}/${report.selected} redriven`);
 * ```
 */
export async function redrive(options: RedriveOptions): Promise<RedriveReport> {
  return new RedriveRun(resolveRedriveOptions(options)).execute();
}

interface ResolvedRedriveOptions {
  readonly dlqRepo: DLQRepository;
  readonly projectionName: string;
  readonly process: (entry: DLQEntry, context: RedriveProcessContext) => Promise<void> | void;
  readonly ids: readonly string[] | undefined;
  readonly filter: ((entry: DLQEntry) => boolean) | undefined;
  readonly streamId: string | undefined;
  readonly dryRun: boolean;
  readonly pageSize: number;
  readonly resolvedBy: string;
  readonly onProgress: ((progress: RedriveProgress) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  readonly includeRetrying: boolean;
  readonly leaseMs: number | null;
  readonly maxReportEntries: number;
  readonly clock: () => number;
}

const REPOSITORY_METHODS = [
  'listEntries',
  'getFailedEventById',
  'markRetrying',
  'markResolved',
  'addFailedEvent',
] as const;

function resolveRedriveOptions(options: RedriveOptions): ResolvedRedriveOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidConfigError('redrive.options', 'must be an object', options);
  }
  const o = options;
  const repo = o.dlqRepo as unknown;
  if (
    typeof repo !== 'object' ||
    repo === null ||
    !REPOSITORY_METHODS.every((m) => typeof (repo as Record<string, unknown>)[m] === 'function')
  ) {
    throw new InvalidConfigError('redrive.dlqRepo', 'must be a DLQRepository', repo);
  }
  if (typeof o.projectionName !== 'string' || o.projectionName === '') {
    throw new InvalidConfigError(
      'redrive.projectionName',
      'must be a non-empty string',
      o.projectionName,
    );
  }
  const dryRun = o.dryRun ?? false;
  if (typeof dryRun !== 'boolean') {
    throw new InvalidConfigError('redrive.dryRun', 'must be a boolean', dryRun);
  }
  if (typeof o.process !== 'function' && !(dryRun && o.process === undefined)) {
    throw new InvalidConfigError('redrive.process', 'must be a function', o.process);
  }
  if (
    o.ids !== undefined &&
    (!Array.isArray(o.ids) || !o.ids.every((id) => typeof id === 'string'))
  ) {
    throw new InvalidConfigError('redrive.ids', 'must be an array of strings', o.ids);
  }
  optionalFunction('redrive.filter', o.filter);
  optionalFunction('redrive.onProgress', o.onProgress);
  optionalFunction('redrive.clock', o.clock);
  if (o.streamId !== undefined && typeof o.streamId !== 'string') {
    throw new InvalidConfigError('redrive.streamId', 'must be a string', o.streamId);
  }
  const pageSize = o.pageSize ?? DEFAULT_REDRIVE_PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new InvalidConfigError('redrive.pageSize', 'must be an integer >= 1', pageSize);
  }
  const resolvedBy = o.resolvedBy ?? 'redrive';
  if (typeof resolvedBy !== 'string') {
    throw new InvalidConfigError('redrive.resolvedBy', 'must be a string', resolvedBy);
  }
  const signal = o.signal;
  if (
    signal !== undefined &&
    (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')
  ) {
    throw new InvalidConfigError('redrive.signal', 'must be an AbortSignal', signal);
  }
  const includeRetrying = o.includeRetrying ?? false;
  if (typeof includeRetrying !== 'boolean') {
    throw new InvalidConfigError('redrive.includeRetrying', 'must be a boolean', includeRetrying);
  }
  const leaseMs =
    o.leaseMs === undefined
      ? DEFAULT_REDRIVE_LEASE_MS
      : resolveLeaseMs('redrive.leaseMs', o.leaseMs);
  const maxReportEntries = o.maxReportEntries ?? DEFAULT_REDRIVE_REPORT_ENTRIES;
  if (!Number.isSafeInteger(maxReportEntries) || maxReportEntries < 0) {
    throw new InvalidConfigError(
      'redrive.maxReportEntries',
      'must be an integer >= 0',
      maxReportEntries,
    );
  }
  return {
    dlqRepo: o.dlqRepo,
    projectionName: o.projectionName,
    process: o.process,
    ids: o.ids,
    filter: o.filter,
    streamId: o.streamId,
    dryRun,
    pageSize,
    resolvedBy,
    onProgress: o.onProgress,
    signal,
    includeRetrying,
    leaseMs,
    maxReportEntries,
    clock: o.clock ?? (() => performance.now()),
  };
}

function optionalFunction(field: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidConfigError(field, 'must be a function', value);
  }
}

/** Where a run stands in the stream it is walking. */
interface StreamState {
  readonly streamId: string | null;
  /** Every unresolved entry so far in this stream was processed successfully in this run. */
  gateOpen: boolean;
  /** An attempt in this stream failed (or could not be claimed) in this run. */
  failedInRun: boolean;
  /** Some entry of this stream was taken up: parked entries behind it are released. */
  anyTaken: boolean;
  /** The last entry seen in this stream (the straggler check lists after it). */
  last: DLQEntry | null;
}

function newStream(streamId: string | null): StreamState {
  return { streamId, gateOpen: true, failedInRun: false, anyTaken: false, last: null };
}

class RedriveRun {
  readonly #o: ResolvedRedriveOptions;
  readonly #ids: ReadonlySet<string> | undefined;
  readonly #startedAt: number;
  readonly #entries: RedriveEntryResult[] = [];
  readonly #ignoredIds: string[] = [];
  #entriesTruncated = false;
  #current: string | null = null;
  #selected = 0;
  #succeeded = 0;
  #failed = 0;
  #skippedBehindFailure = 0;
  #skippedUnavailable = 0;
  #wouldProcess = 0;

  constructor(options: ResolvedRedriveOptions) {
    this.#o = options;
    this.#ids = options.ids === undefined ? undefined : new Set(options.ids);
    this.#startedAt = options.clock();
  }

  async execute(): Promise<RedriveReport> {
    const { signal } = this.#o;
    try {
      this.#checkAbort();
      if (this.#ids === undefined) {
        await this.#walk(this.#o.streamId);
      } else {
        await this.#walkIds(this.#ids);
      }
    } catch (error) {
      if (signal?.aborted === true && error === signal.reason) throw error;
      if (error instanceof RedriveError) throw error;
      const where = this.#current === null ? '' : ` at entry ${this.#current}`;
      throw new RedriveError(
        `Redrive of ${this.#o.projectionName} stopped${where}: ${describeFailure(error).errorMessage}`,
        this.#report(),
        this.#current,
        { cause: error },
      );
    }
    return this.#report();
  }

  /** Walks the projection (or one stream of it) in stream order. */
  async #walk(streamId: string | undefined): Promise<void> {
    let stream: StreamState | null = null;
    for await (const entry of this.#pages(streamId, undefined)) {
      if (stream === null || entry.streamId === null || entry.streamId !== stream.streamId) {
        if (stream !== null) await this.#finishStream(stream);
        stream = newStream(entry.streamId);
      }
      await this.#handle(stream, entry);
    }
    if (stream !== null) await this.#finishStream(stream);
  }

  /** Looks the ids up, then walks each of their streams; entries without a stream go last. */
  async #walkIds(ids: ReadonlySet<string>): Promise<void> {
    const streams = new Set<string>();
    const streamless: DLQEntry[] = [];
    for (const id of ids) {
      this.#checkAbort();
      const entry = await this.#o.dlqRepo.getFailedEventById(id);
      if (
        entry === null ||
        entry.projectionName !== this.#o.projectionName ||
        !isUnresolvedDLQStatus(entry.status) ||
        (this.#o.streamId !== undefined && entry.streamId !== this.#o.streamId)
      ) {
        this.#ignoredIds.push(id);
      } else if (entry.streamId === null) {
        streamless.push(entry);
      } else {
        streams.add(entry.streamId);
      }
    }
    for (const streamId of [...streams].sort(compareCodePoints)) await this.#walk(streamId);
    for (const entry of streamless.sort(compareStreamOrder)) {
      await this.#handle(newStream(null), entry);
    }
  }

  /** The unresolved entries of the projection (or one stream), page by page, in stream order. */
  async *#pages(
    streamId: string | undefined,
    from: DLQEntry | undefined,
  ): AsyncGenerator<DLQEntry> {
    let after = from;
    for (;;) {
      this.#checkAbort();
      const page = await this.#o.dlqRepo.listEntries({
        projectionName: this.#o.projectionName,
        statuses: UNRESOLVED_DLQ_STATUSES,
        limit: this.#o.pageSize,
        ...(streamId === undefined ? {} : { streamId }),
        ...(after === undefined ? {} : { after }),
      });
      for (const entry of page) {
        if (after !== undefined && compareStreamOrder(after, entry) >= 0) {
          throw new RedriveError(
            `Redrive of ${this.#o.projectionName} stopped: listEntries returned entry ${entry.id} out of stream order (keyset paging contract broken)`,
            this.#report(),
            null,
          );
        }
        after = entry;
        if (entry.projectionName !== this.#o.projectionName) continue;
        if (streamId !== undefined && entry.streamId !== streamId) continue;
        yield entry;
      }
      if (page.length < this.#o.pageSize) return;
    }
  }

  /**
   * A stream drained in this run gets one more look: entries parked behind it while the run was
   * busy elsewhere are released now rather than waiting for the next redrive.
   */
  async #finishStream(stream: StreamState): Promise<void> {
    if (
      this.#o.dryRun ||
      stream.streamId === null ||
      stream.last === null ||
      !stream.anyTaken ||
      !stream.gateOpen ||
      stream.failedInRun
    ) {
      return;
    }
    for await (const entry of this.#pages(stream.streamId, stream.last)) {
      await this.#handle(stream, entry);
    }
  }

  async #handle(stream: StreamState, entry: DLQEntry): Promise<void> {
    stream.last = entry;
    const status = entry.status;
    const headLike =
      status === 'failed' ||
      (status === 'retrying' && (this.#o.includeRetrying || this.#mayTakeOver(entry)));
    if (headLike) {
      if (!this.#matches(entry)) {
        stream.gateOpen = false;
      } else if (stream.failedInRun) {
        this.#record(entry, RedriveOutcome.SKIPPED_BEHIND_FAILURE, null);
      } else {
        await this.#attempt(stream, entry);
      }
      return;
    }
    if (status === 'parked') {
      if (!stream.anyTaken && !this.#matches(entry)) {
        stream.gateOpen = false;
      } else if (!stream.gateOpen) {
        this.#record(entry, RedriveOutcome.SKIPPED_BEHIND_FAILURE, null);
      } else {
        await this.#attempt(stream, entry);
      }
      return;
    }
    // `retrying`: claimed by another run (without a lease, or — in a dry run — possibly inside
    // it). Whatever queues behind it must wait.
    stream.gateOpen = false;
    if (this.#matches(entry)) this.#record(entry, RedriveOutcome.SKIPPED_UNAVAILABLE, null);
  }

  /**
   * A `retrying` entry claimed with a lease: the run tries to take it over (`markRetrying`, which
   * the repository grants only once the lease expired). Not in a dry run, which cannot know.
   */
  #mayTakeOver(entry: DLQEntry): boolean {
    return !this.#o.dryRun && entry.claimedUntil !== undefined && entry.claimedUntil !== null;
  }

  #matches(entry: DLQEntry): boolean {
    if (this.#ids !== undefined && !this.#ids.has(entry.id)) return false;
    const filter = this.#o.filter;
    if (filter === undefined) return true;
    this.#current = entry.id;
    const accepted = filter(entry);
    this.#current = null;
    return accepted === true;
  }

  async #attempt(stream: StreamState, entry: DLQEntry): Promise<void> {
    this.#checkAbort();
    stream.anyTaken = true;
    if (this.#o.dryRun) {
      this.#record(entry, RedriveOutcome.WOULD_PROCESS, null);
      return;
    }
    const repo = this.#o.dlqRepo;
    this.#current = entry.id;
    if (!(await this.#claim(entry))) {
      this.#unavailable(stream, entry);
      return;
    }
    const declared: { how: RedriveSelfSettlement | null } = { how: null };
    const context: RedriveProcessContext = {
      resolvedBy: this.#o.resolvedBy,
      settled: (how) => {
        if (how !== 'resolved' && how !== 'unavailable') {
          throw new InvalidConfigError(
            'redrive.process.settled',
            "must be 'resolved' or 'unavailable'",
            how,
          );
        }
        declared.how = how;
      },
    };
    let failure: { readonly error: unknown } | null = null;
    try {
      await this.#o.process(entry, context);
    } catch (error) {
      failure = { error };
    }
    if (failure === null) {
      if (declared.how === 'unavailable') {
        this.#unavailable(stream, entry);
        return;
      }
      if (declared.how === null) await repo.markResolved(entry.id, this.#o.resolvedBy);
      this.#current = null;
      this.#record(entry, RedriveOutcome.SUCCEEDED, null);
      return;
    }
    // Settled meanwhile (an operator, another run, or a commit of `process` whose answer was
    // lost): requeueing would revive a terminal entry, and a later run would apply it again.
    const now = await repo.getFailedEventById(entry.id);
    if (now !== null && !isUnresolvedDLQStatus(now.status)) {
      this.#unavailable(stream, entry);
      return;
    }
    await repo.addFailedEvent({
      eventId: entry.eventId,
      projectionName: entry.projectionName,
      eventType: entry.eventType,
      eventData: entry.eventData,
      error: failure.error,
      retryCount: entry.retryCount + 1,
      status: 'failed',
      streamId: entry.streamId,
      streamPosition: entry.streamPosition,
      position: entry.position,
    });
    this.#current = null;
    stream.gateOpen = false;
    stream.failedInRun = true;
    this.#record(entry, RedriveOutcome.FAILED, describeFailure(failure.error).errorMessage);
  }

  /**
   * Claims an entry for this run: `markRetrying` (with the run's lease) for a failed or parked
   * entry, and for a `retrying` entry claimed with a lease (a takeover, granted by the repository
   * only once that lease expired). An entry taken up in `retrying` by an operator's recovery run
   * (`includeRetrying`) is not claimed; it is read again instead, so that an entry settled since
   * it was listed (a concurrent run finished it) is not applied again.
   */
  async #claim(entry: DLQEntry): Promise<boolean> {
    const repo = this.#o.dlqRepo;
    if (entry.status === 'retrying' && this.#o.includeRetrying) {
      const now = await repo.getFailedEventById(entry.id);
      return now !== null && now.status === 'retrying';
    }
    const leaseMs = this.#o.leaseMs;
    return leaseMs === null
      ? repo.markRetrying(entry.id)
      : repo.markRetrying(entry.id, { leaseMs });
  }

  /** Records an entry this run could not (or need not) process; its stream waits. */
  #unavailable(stream: StreamState, entry: DLQEntry): void {
    this.#current = null;
    stream.gateOpen = false;
    stream.failedInRun = true;
    this.#record(entry, RedriveOutcome.SKIPPED_UNAVAILABLE, null);
  }

  #record(entry: DLQEntry, outcome: RedriveOutcome, errorMessage: string | null): void {
    this.#selected++;
    switch (outcome) {
      case RedriveOutcome.SUCCEEDED:
        this.#succeeded++;
        break;
      case RedriveOutcome.FAILED:
        this.#failed++;
        break;
      case RedriveOutcome.SKIPPED_BEHIND_FAILURE:
        this.#skippedBehindFailure++;
        break;
      case RedriveOutcome.SKIPPED_UNAVAILABLE:
        this.#skippedUnavailable++;
        break;
      case RedriveOutcome.WOULD_PROCESS:
        this.#wouldProcess++;
        break;
    }
    const result: RedriveEntryResult = Object.freeze({
      id: entry.id,
      eventId: entry.eventId,
      streamId: entry.streamId,
      streamPosition: entry.streamPosition,
      status: entry.status,
      outcome,
      errorMessage,
    });
    if (this.#entries.length < this.#o.maxReportEntries) this.#entries.push(result);
    else this.#entriesTruncated = true;
    const onProgress = this.#o.onProgress;
    if (onProgress === undefined) return;
    try {
      onProgress({
        ...this.#counts(),
        projectionName: this.#o.projectionName,
        dryRun: this.#o.dryRun,
        entry: result,
      });
    } catch {
      // A progress callback must not break the run (the DLQ would be left half-done).
    }
  }

  #counts(): RedriveCounts {
    return {
      selected: this.#selected,
      succeeded: this.#succeeded,
      failed: this.#failed,
      skippedBehindFailure: this.#skippedBehindFailure,
      skippedUnavailable: this.#skippedUnavailable,
      wouldProcess: this.#wouldProcess,
    };
  }

  #report(): RedriveReport {
    return Object.freeze({
      projectionName: this.#o.projectionName,
      dryRun: this.#o.dryRun,
      ...this.#counts(),
      entries: Object.freeze(this.#entries.slice()),
      entriesTruncated: this.#entriesTruncated,
      ignoredIds: Object.freeze(this.#ignoredIds.slice()),
      durationMs: Math.max(0, this.#o.clock() - this.#startedAt),
    });
  }

  #checkAbort(): void {
    const signal = this.#o.signal;
    if (signal?.aborted === true) throw signal.reason;
  }
}
