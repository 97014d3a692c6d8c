/**
 * The in-memory DLQ repository: a real backend (not a mock), for tests, demos and single-process
 * deployments that accept losing the DLQ on restart.
 *
 * @module
 */
import type { Position } from '@es/core';
import { InvalidConfigError } from '@es/core';
import {
  canMarkRetrying,
  canSettle,
  isUnresolvedDLQStatus,
  statusAfterUpsert,
} from './dlq-lifecycle.js';
import { type DLQLimits, resolveClaimLease, resolveDLQLimits } from './dlq-limits.js';
import {
  DAY_MS,
  resolveGetFailedEventsOptions,
  resolveListEntriesOptions,
  resolveOlderThanDays,
} from './dlq-query-options.js';
import type {
  AddFailedEventInput,
  BlockedStreamHead,
  DLQEntry,
  DLQRepository,
  DLQStats,
  DLQStatus,
  GetFailedEventsOptions,
  ListDLQEntriesOptions,
  MarkRetryingOptions,
  ProjectionFailureCount,
} from './dlq-repository.js';
import { DLQOverflowError } from './errors.js';
import { type OrderKey, StreamOrderIndex } from './internal/stream-order-index.js';
import { normalizeFailedEvent } from './normalize-failed-event.js';
import { compareCodePoints, compareOrderKeys } from './stream-order.js';

/** Options of {@link InMemoryDLQRepository}. */
export interface InMemoryDLQRepositoryOptions extends DLQLimits {
  /** Returns the current time in epoch milliseconds; default `Date.now`. */
  readonly clock?: (() => number) | undefined;
}

/** One stored entry. Never handed out: readers get frozen copies. */
interface DLQRecord extends OrderKey {
  readonly seq: number;
  readonly eventId: string;
  readonly projectionName: string;
  readonly eventType: string;
  /** Deep-frozen, so it is shared with the copies handed out. */
  readonly eventData: Readonly<Record<string, unknown>>;
  errorMessage: string;
  errorStacktrace: string | null;
  retryCount: number;
  lastFailedAtMs: number;
  status: DLQStatus;
  resolvedAtMs: number | null;
  resolvedBy: string | null;
  readonly position: Position | null;
  /** Lease end of a `retrying` claim in epoch ms; null without lease or when not retrying. */
  claimedUntilMs: number | null;
}

/** A stream-order index over all projections plus one per projection. */
class IndexFamily {
  readonly all = new StreamOrderIndex<DLQRecord>();
  readonly byProjection = new Map<string, StreamOrderIndex<DLQRecord>>();

  add(record: DLQRecord): void {
    this.all.add(record);
    let index = this.byProjection.get(record.projectionName);
    if (index === undefined) {
      index = new StreamOrderIndex<DLQRecord>();
      this.byProjection.set(record.projectionName, index);
    }
    index.add(record);
  }

  remove(record: DLQRecord): void {
    this.all.remove(record);
    const index = this.byProjection.get(record.projectionName);
    if (index?.remove(record) && index.size === 0) {
      this.byProjection.delete(record.projectionName);
    }
  }

  /** The index to read: all projections, or one (undefined when it has no records). */
  pick(projectionName: string | undefined): StreamOrderIndex<DLQRecord> | undefined {
    return projectionName === undefined ? this.all : this.byProjection.get(projectionName);
  }

  clear(): void {
    for (const record of [...this.all.values()]) this.all.remove(record);
    this.byProjection.clear();
  }
}

/**
 * The in-memory {@link DLQRepository}. It follows the shared DLQ lifecycle exactly (see
 * `dlq-lifecycle.ts` and the README): upsert on `(eventId, projectionName)`, `resolved` and
 * `discarded` terminal for the `mark*` methods, payloads stored as JSON-safe deep-frozen copies,
 * errors truncated, never live objects handed out.
 *
 * Every operation is atomic (nothing awaits inside), so concurrent adds of one key leave one
 * entry. `addFailedEvent` and the `mark*` methods are O(log n); `listEntries` pages in
 * O(log n + page) through per-projection, per-stream indexes of the unresolved entries;
 * `getBlockedStreams` and `getProjectionDepth` do not scan.
 *
 * @example
 * ```ts
 * const dlq = new InMemoryDLQRepository();
 * const id = await dlq.addFailedEvent({
 *   eventId: event.eventId,
 *   projectionName: 'task-list',
 *   eventType: event.eventType,
 *   eventData: { title: 'x' },
 *   error: new Error('boom'),
 *   retryCount: 3,
 * });
 * (await dlq.getFailedEvents()).length; // 1
 * await dlq.markResolved(id, 'ops@example.com');
 * ```
 */
export class InMemoryDLQRepository implements DLQRepository {
  readonly #clock: () => number;
  readonly #maxPerProjection: number | null;
  readonly #maxPerStream: number | null;
  #nextSeq = 1;
  readonly #byId = new Map<string, DLQRecord>();
  /** projectionName → eventId → record. */
  readonly #byKey = new Map<string, Map<string, DLQRecord>>();
  readonly #unresolved = new IndexFamily();
  readonly #settled = new IndexFamily();

  /**
   * @throws {InvalidConfigError} `ES_INVALID_CONFIG` (`InMemoryDLQRepository.clock`) when `clock`
   *   is given and is not a function; (`InMemoryDLQRepository.maxEntriesPerProjection`,
   *   `….maxEntriesPerStream`) for a limit that is not an integer ≥ 1.
   */
  constructor(options: InMemoryDLQRepositoryOptions = {}) {
    const clock = options.clock ?? Date.now;
    if (typeof clock !== 'function') {
      throw new InvalidConfigError('InMemoryDLQRepository.clock', 'must be a function', clock);
    }
    this.#clock = clock;
    const limits = resolveDLQLimits('InMemoryDLQRepository', options);
    this.#maxPerProjection = limits.maxEntriesPerProjection;
    this.#maxPerStream = limits.maxEntriesPerStream;
  }

  /**
   * Records a failed (or parked) event; upsert on `(eventId, projectionName)`. See
   * {@link DLQRepository.addFailedEvent} and `statusAfterUpsert` for the status rules.
   *
   * @throws {InvalidConfigError} `ES_INVALID_CONFIG` for a bad key or bookkeeping field (see
   *   `normalizeFailedEvent`); never because of `eventData` or `error`.
   * @throws {DLQOverflowError} `ES_DLQ_OVERFLOW` when the entry is new and a configured limit is
   *   reached (nothing is written); an existing key is always updated.
   */
  async addFailedEvent(input: AddFailedEventInput): Promise<string> {
    const row = normalizeFailedEvent(input);
    const now = this.#now();
    let perProjection = this.#byKey.get(row.projectionName);
    const existing = perProjection?.get(row.eventId);
    if (existing !== undefined) {
      const wasSettled = !isUnresolvedDLQStatus(existing.status);
      existing.retryCount = row.retryCount;
      existing.lastFailedAtMs = now;
      existing.errorMessage = row.errorMessage;
      existing.errorStacktrace = row.errorStacktrace;
      existing.status = statusAfterUpsert(existing.status, row.status);
      if (existing.status !== 'retrying') existing.claimedUntilMs = null;
      existing.resolvedAtMs = null;
      existing.resolvedBy = null;
      if (wasSettled) {
        this.#settled.remove(existing);
        this.#unresolved.add(existing);
      }
      return existing.id;
    }
    this.#checkLimits(row.projectionName, row.streamId, row.eventId);
    const seq = this.#nextSeq++;
    const record: DLQRecord = {
      seq,
      id: String(seq),
      eventId: row.eventId,
      projectionName: row.projectionName,
      eventType: row.eventType,
      eventData: row.eventData,
      errorMessage: row.errorMessage,
      errorStacktrace: row.errorStacktrace,
      retryCount: row.retryCount,
      firstFailedAtMs: now,
      lastFailedAtMs: now,
      status: row.status,
      resolvedAtMs: null,
      resolvedBy: null,
      streamId: row.streamId,
      streamPosition: row.streamPosition,
      position: row.position,
      claimedUntilMs: null,
    };
    if (perProjection === undefined) {
      perProjection = new Map();
      this.#byKey.set(row.projectionName, perProjection);
    }
    perProjection.set(row.eventId, record);
    this.#byId.set(record.id, record);
    this.#unresolved.add(record);
    return record.id;
  }

  /**
   * Entries of one status (default `failed`), newest `firstFailedAt` first, ties newest id first.
   *
   * @throws {InvalidConfigError} `ES_INVALID_CONFIG` for a bad `limit`, `status` or `projectionName`.
   */
  async getFailedEvents(options?: GetFailedEventsOptions): Promise<DLQEntry[]> {
    const { projectionName, status, limit } = resolveGetFailedEventsOptions(options);
    if (limit === 0) return [];
    const family = isUnresolvedDLQStatus(status) ? this.#unresolved : this.#settled;
    const index = family.pick(projectionName);
    if (index === undefined) return [];
    const matches: DLQRecord[] = [];
    for (const record of index.values()) {
      if (record.status === status) matches.push(record);
    }
    matches.sort((a, b) => b.firstFailedAtMs - a.firstFailedAtMs || b.seq - a.seq);
    if (matches.length > limit) matches.length = limit;
    return matches.map(toEntry);
  }

  /**
   * One entry by id, or null.
   *
   * @throws {InvalidConfigError} `ES_INVALID_CONFIG` when `id` is not a string.
   */
  async getFailedEventById(id: string): Promise<DLQEntry | null> {
    const record = this.#byId.get(checkId('getFailedEventById.id', id));
    return record === undefined ? null : toEntry(record);
  }

  /**
   * The claim: `failed` or `parked` → `retrying`, or the takeover of a `retrying` entry whose
   * lease expired (`claimedUntil <= now`). Sets `claimedUntil = now + leaseMs` (null without a
   * lease). False when unknown, settled, or `retrying` inside its lease or without expiry.
   *
   * @throws {InvalidConfigError} `ES_INVALID_CONFIG` when `id` is not a string or the options are
   *   invalid (see `resolveClaimLease`).
   */
  async markRetrying(id: string, options?: MarkRetryingOptions): Promise<boolean> {
    const record = this.#byId.get(checkId('markRetrying.id', id));
    const leaseMs = resolveClaimLease(options);
    if (record === undefined) return false;
    const takeover = record.status === 'retrying' && record.claimedUntilMs !== null;
    if (!canMarkRetrying(record.status) && !takeover) return false;
    const now = takeover || leaseMs !== null ? this.#now() : 0;
    if (takeover && (record.claimedUntilMs as number) > now) return false;
    record.status = 'retrying';
    record.claimedUntilMs = leaseMs === null ? null : now + leaseMs;
    return true;
  }

  /**
   * Any unresolved status → `resolved`, with `resolvedAt = now` and `resolvedBy`.
   *
   * @throws {InvalidConfigError} `ES_INVALID_CONFIG` when `id` or `resolvedBy` is not a string.
   */
  async markResolved(id: string, resolvedBy: string): Promise<boolean> {
    return this.#settle('markResolved', id, resolvedBy, 'resolved');
  }

  /**
   * Any unresolved status → `discarded`; `resolvedAt`/`resolvedBy` record when and by whom.
   *
   * @throws {InvalidConfigError} `ES_INVALID_CONFIG` when `id` or `discardedBy` is not a string.
   */
  async markDiscarded(id: string, discardedBy: string): Promise<boolean> {
    return this.#settle('markDiscarded', id, discardedBy, 'discarded');
  }

  /** Figures over the unresolved entries (parked ones counted apart). */
  async getFailureStats(): Promise<DLQStats> {
    let totalFailed = 0;
    let totalRetrying = 0;
    let totalParked = 0;
    let oldest = Number.POSITIVE_INFINITY;
    const projections = new Set<string>();
    for (const record of this.#unresolved.all.values()) {
      if (record.status === 'parked') {
        totalParked++;
        continue;
      }
      if (record.status === 'failed') totalFailed++;
      else totalRetrying++;
      projections.add(record.projectionName);
      if (record.firstFailedAtMs < oldest) oldest = record.firstFailedAtMs;
    }
    return {
      totalFailed,
      totalRetrying,
      totalParked,
      affectedProjections: projections.size,
      oldestFailure: oldest === Number.POSITIVE_INFINITY ? null : new Date(oldest),
    };
  }

  /** Failed + retrying entries per projection, most first (ties by projection name). */
  async getProjectionFailureCounts(): Promise<ProjectionFailureCount[]> {
    const counts: ProjectionFailureCount[] = [];
    for (const [projectionName, index] of this.#unresolved.byProjection) {
      let failureCount = 0;
      let oldest = Number.POSITIVE_INFINITY;
      let mostRecent = Number.NEGATIVE_INFINITY;
      for (const record of index.values()) {
        if (record.status === 'parked') continue;
        failureCount++;
        if (record.firstFailedAtMs < oldest) oldest = record.firstFailedAtMs;
        if (record.lastFailedAtMs > mostRecent) mostRecent = record.lastFailedAtMs;
      }
      if (failureCount === 0) continue;
      counts.push({
        projectionName,
        failureCount,
        oldestFailure: new Date(oldest),
        mostRecentFailure: new Date(mostRecent),
      });
    }
    return counts.sort(
      (a, b) =>
        b.failureCount - a.failureCount || compareCodePoints(a.projectionName, b.projectionName),
    );
  }

  /**
   * Deletes `resolved` entries whose `resolvedAt` is at or before `now − olderThanDays × 24 h`
   * (default 30 days; 0 deletes every resolved entry). Unresolved and discarded entries stay.
   *
   * @throws {InvalidConfigError} `ES_INVALID_CONFIG` unless `olderThanDays` is a finite number ≥ 0.
   */
  async deleteResolvedEvents(olderThanDays?: number): Promise<number> {
    const days = resolveOlderThanDays(olderThanDays);
    const cutoff = this.#now() - days * DAY_MS;
    const doomed: DLQRecord[] = [];
    for (const record of this.#settled.all.values()) {
      if (
        record.status === 'resolved' &&
        record.resolvedAtMs !== null &&
        record.resolvedAtMs <= cutoff
      ) {
        doomed.push(record);
      }
    }
    for (const record of doomed) {
      this.#settled.remove(record);
      this.#byId.delete(record.id);
      const perProjection = this.#byKey.get(record.projectionName);
      perProjection?.delete(record.eventId);
      if (perProjection?.size === 0) this.#byKey.delete(record.projectionName);
    }
    return doomed.length;
  }

  /**
   * Entries in stream order, keyset-paged with `after` (see {@link ListDLQEntriesOptions}).
   *
   * @throws {InvalidConfigError} `ES_INVALID_CONFIG` for bad options.
   */
  async listEntries(options?: ListDLQEntriesOptions): Promise<DLQEntry[]> {
    const o = resolveListEntriesOptions(options);
    if (o.limit === 0 || o.statuses.length === 0) return [];
    const statuses = new Set<DLQStatus>(o.statuses);
    const after = o.after === undefined ? undefined : orderKeyOf(o.after);
    const matches = (record: DLQRecord): boolean =>
      statuses.has(record.status) &&
      (o.projectionName === undefined || record.projectionName === o.projectionName) &&
      (o.streamId === undefined || record.streamId === o.streamId) &&
      (o.eventType === undefined || record.eventType === o.eventType);

    if (o.ids !== undefined) {
      const picked = new Set<DLQRecord>();
      for (const id of o.ids) {
        const record = this.#byId.get(id);
        if (
          record !== undefined &&
          matches(record) &&
          (after === undefined || compareKeys(record, after) > 0)
        ) {
          picked.add(record);
        }
      }
      const sorted = [...picked].sort(compareKeys);
      if (sorted.length > o.limit) sorted.length = o.limit;
      return sorted.map(toEntry);
    }

    const sources: Iterator<DLQRecord>[] = [];
    for (const family of [this.#unresolved, this.#settled]) {
      const wanted = o.statuses.some(
        (status) => isUnresolvedDLQStatus(status) === (family === this.#unresolved),
      );
      const index = wanted ? family.pick(o.projectionName) : undefined;
      if (index !== undefined) sources.push(index.iterate(after, o.streamId));
    }
    const result: DLQEntry[] = [];
    for (const record of mergeInOrder(sources)) {
      if (!matches(record)) continue;
      result.push(toEntry(record));
      if (result.length === o.limit) break;
    }
    return result;
  }

  /**
   * Streams of the projection with an unresolved entry, in code point order.
   *
   * @throws {InvalidConfigError} `ES_INVALID_CONFIG` when `projectionName` is not a string.
   */
  async getBlockedStreams(projectionName: string): Promise<string[]> {
    const index = this.#unresolved.pick(
      checkId('getBlockedStreams.projectionName', projectionName),
    );
    return index === undefined ? [] : index.streamIds();
  }

  /**
   * Each blocked stream of the projection with its first unresolved entry, in stream order.
   *
   * @throws {InvalidConfigError} `ES_INVALID_CONFIG` when `projectionName` is not a string.
   */
  async getBlockedStreamHeads(projectionName: string): Promise<BlockedStreamHead[]> {
    const index = this.#unresolved.pick(
      checkId('getBlockedStreamHeads.projectionName', projectionName),
    );
    if (index === undefined) return [];
    const heads: BlockedStreamHead[] = [];
    for (const streamId of index.streamIds()) {
      const first = index.iterate(undefined, streamId).next();
      if (first.done === true) continue;
      heads.push({ streamId, entryId: first.value.id, streamPosition: first.value.streamPosition });
    }
    return heads;
  }

  /**
   * Unresolved entries of the projection and the oldest `firstFailedAt` among them.
   *
   * @throws {InvalidConfigError} `ES_INVALID_CONFIG` when `projectionName` is not a string.
   */
  async getProjectionDepth(
    projectionName: string,
  ): Promise<{ depth: number; oldest: Date | null }> {
    const index = this.#unresolved.pick(
      checkId('getProjectionDepth.projectionName', projectionName),
    );
    const oldest = index?.oldestFirstFailedAtMs() ?? null;
    return { depth: index?.size ?? 0, oldest: oldest === null ? null : new Date(oldest) };
  }

  /** Removes every entry and restarts the id counter (tests and demos). */
  async clear(): Promise<void> {
    this.#byId.clear();
    this.#byKey.clear();
    this.#unresolved.clear();
    this.#settled.clear();
    this.#nextSeq = 1;
  }

  #settle(
    method: 'markResolved' | 'markDiscarded',
    id: string,
    by: string,
    status: 'resolved' | 'discarded',
  ): boolean {
    const record = this.#byId.get(checkId(`${method}.id`, id));
    if (typeof by !== 'string') {
      throw new InvalidConfigError(
        `${method}.${method === 'markResolved' ? 'resolvedBy' : 'discardedBy'}`,
        'must be a string',
        by,
      );
    }
    if (record === undefined || !canSettle(record.status)) return false;
    const now = this.#now();
    this.#unresolved.remove(record);
    record.status = status;
    record.claimedUntilMs = null;
    record.resolvedAtMs = now;
    record.resolvedBy = by;
    this.#settled.add(record);
    return true;
  }

  /** Throws when a new entry of `(projectionName, streamId)` would exceed a limit. */
  #checkLimits(projectionName: string, streamId: string | null, eventId: string): void {
    const maxPerProjection = this.#maxPerProjection;
    const maxPerStream = this.#maxPerStream;
    if (maxPerProjection === null && maxPerStream === null) return;
    const index = this.#unresolved.byProjection.get(projectionName);
    if (maxPerProjection !== null && (index?.size ?? 0) >= maxPerProjection) {
      throw new DLQOverflowError(
        'maxEntriesPerProjection',
        maxPerProjection,
        projectionName,
        null,
        eventId,
      );
    }
    if (
      maxPerStream !== null &&
      streamId !== null &&
      (index?.streamSize(streamId) ?? 0) >= maxPerStream
    ) {
      throw new DLQOverflowError(
        'maxEntriesPerStream',
        maxPerStream,
        projectionName,
        streamId,
        eventId,
      );
    }
  }

  #now(): number {
    const now = this.#clock();
    if (typeof now !== 'number' || !Number.isFinite(now)) {
      throw new InvalidConfigError(
        'InMemoryDLQRepository.clock',
        'must return a finite number of milliseconds',
        now,
      );
    }
    return now;
  }
}

function checkId(field: string, value: string): string {
  if (typeof value !== 'string') throw new InvalidConfigError(field, 'must be a string', value);
  return value;
}

function compareKeys(a: OrderKey, b: OrderKey): number {
  return compareOrderKeys(
    a.streamId,
    a.streamPosition,
    a.firstFailedAtMs,
    a.id,
    b.streamId,
    b.streamPosition,
    b.firstFailedAtMs,
    b.id,
  );
}

function orderKeyOf(entry: DLQEntry): OrderKey {
  return {
    id: entry.id,
    streamId: entry.streamId,
    streamPosition: entry.streamPosition,
    firstFailedAtMs: entry.firstFailedAt.getTime(),
  };
}

/** Merges iterators that each yield in stream order into one stream-ordered sequence. */
function* mergeInOrder(sources: readonly Iterator<DLQRecord>[]): Generator<DLQRecord> {
  if (sources.length === 1) {
    const only = sources[0] as Iterator<DLQRecord>;
    for (let next = only.next(); !next.done; next = only.next()) yield next.value;
    return;
  }
  const heads = sources.map((source) => source.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i] as IteratorResult<DLQRecord>;
      if (head.done) continue;
      if (
        best < 0 ||
        compareKeys(head.value, (heads[best] as IteratorYieldResult<DLQRecord>).value) < 0
      ) {
        best = i;
      }
    }
    if (best < 0) return;
    yield (heads[best] as IteratorYieldResult<DLQRecord>).value;
    heads[best] = (sources[best] as Iterator<DLQRecord>).next();
  }
}

function toEntry(record: DLQRecord): DLQEntry {
  return Object.freeze({
    id: record.id,
    eventId: record.eventId,
    projectionName: record.projectionName,
    eventType: record.eventType,
    eventData: record.eventData,
    errorMessage: record.errorMessage,
    errorStacktrace: record.errorStacktrace,
    retryCount: record.retryCount,
    firstFailedAt: new Date(record.firstFailedAtMs),
    lastFailedAt: new Date(record.lastFailedAtMs),
    status: record.status,
    resolvedAt: record.resolvedAtMs === null ? null : new Date(record.resolvedAtMs),
    resolvedBy: record.resolvedBy,
    streamId: record.streamId,
    streamPosition: record.streamPosition,
    position: record.position,
    claimedUntil: record.claimedUntilMs === null ? null : new Date(record.claimedUntilMs),
  });
}
