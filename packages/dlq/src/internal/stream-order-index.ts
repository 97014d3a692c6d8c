/**
 * A set of DLQ records kept in stream order, grouped by stream, so that keyset paging, "which
 * streams are blocked" and "how deep is the queue" cost O(log n + page), not a scan and a sort.
 *
 * @module
 */
import { compareCodePoints, compareOrderKeys } from '../stream-order.js';

/** The stream-order key of a record (`firstFailedAt` in epoch milliseconds). */
export interface OrderKey {
  readonly id: string;
  readonly streamId: string | null;
  readonly streamPosition: number | null;
  readonly firstFailedAtMs: number;
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

/** Index of the first element of `sorted` that is greater than `key`. */
function upperBound<R extends OrderKey>(sorted: readonly R[], key: OrderKey): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareKeys(sorted[mid] as R, key) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Index of the first element of `sorted` that is not less than `key`. */
function lowerBound<R extends OrderKey>(sorted: readonly R[], key: OrderKey): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareKeys(sorted[mid] as R, key) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Index of the first stream id that is not less than `streamId`. */
function lowerBoundStream(sorted: readonly string[], streamId: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareCodePoints(sorted[mid] as string, streamId) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Records in stream order. The order key of a record must not change while it is in the index
 * (remove it, change it, add it again).
 */
export class StreamOrderIndex<R extends OrderKey> {
  readonly #streams = new Map<string, R[]>();
  /** The keys of {@link StreamOrderIndex.#streams}, in code point order. */
  readonly #streamIds: string[] = [];
  readonly #streamless: R[] = [];
  #size = 0;
  #oldest = Number.POSITIVE_INFINITY;
  #oldestStale = false;

  /** Number of records. */
  get size(): number {
    return this.#size;
  }

  /** Number of records of one stream (0 when it has none). */
  streamSize(streamId: string): number {
    return this.#streams.get(streamId)?.length ?? 0;
  }

  /** Adds a record that is not in the index yet. */
  add(record: R): void {
    let bucket: R[];
    if (record.streamId === null) {
      bucket = this.#streamless;
    } else {
      const existing = this.#streams.get(record.streamId);
      if (existing === undefined) {
        bucket = [];
        this.#streams.set(record.streamId, bucket);
        this.#streamIds.splice(
          lowerBoundStream(this.#streamIds, record.streamId),
          0,
          record.streamId,
        );
      } else {
        bucket = existing;
      }
    }
    bucket.splice(upperBound(bucket, record), 0, record);
    this.#size++;
    if (!this.#oldestStale && record.firstFailedAtMs < this.#oldest) {
      this.#oldest = record.firstFailedAtMs;
    }
  }

  /** Removes a record; false when it was not in the index. */
  remove(record: R): boolean {
    const bucket = record.streamId === null ? this.#streamless : this.#streams.get(record.streamId);
    if (bucket === undefined) return false;
    const index = lowerBound(bucket, record);
    if (bucket[index] !== record) return false;
    bucket.splice(index, 1);
    this.#size--;
    if (bucket.length === 0 && record.streamId !== null) {
      this.#streams.delete(record.streamId);
      this.#streamIds.splice(lowerBoundStream(this.#streamIds, record.streamId), 1);
    }
    if (this.#size === 0) {
      this.#oldest = Number.POSITIVE_INFINITY;
      this.#oldestStale = false;
    } else if (record.firstFailedAtMs === this.#oldest) {
      this.#oldestStale = true;
    }
    return true;
  }

  /** The stream ids that have at least one record, in code point order (a copy). */
  streamIds(): string[] {
    return this.#streamIds.slice();
  }

  /** The smallest `firstFailedAtMs` of all records, or null when empty. */
  oldestFirstFailedAtMs(): number | null {
    if (this.#size === 0) return null;
    if (this.#oldestStale) {
      let oldest = Number.POSITIVE_INFINITY;
      for (const record of this.values()) {
        if (record.firstFailedAtMs < oldest) oldest = record.firstFailedAtMs;
      }
      this.#oldest = oldest;
      this.#oldestStale = false;
    }
    return this.#oldest;
  }

  /** Every record, in stream order. */
  values(): Generator<R> {
    return this.iterate(undefined, undefined);
  }

  /**
   * Records in stream order that come strictly after `after` (all when undefined), limited to one
   * stream when `streamId` is given. The index must not change while the iterator is in use.
   */
  *iterate(after: OrderKey | undefined, streamId: string | undefined): Generator<R> {
    if (streamId !== undefined) {
      const bucket = this.#streams.get(streamId);
      if (bucket === undefined) return;
      let start = 0;
      if (after !== undefined) {
        if (after.streamId === null) return; // the cursor is past every stream
        const order = compareCodePoints(after.streamId, streamId);
        if (order > 0) return;
        if (order === 0) start = upperBound(bucket, after);
      }
      for (let i = start; i < bucket.length; i++) yield bucket[i] as R;
      return;
    }
    if (after === undefined || after.streamId !== null) {
      let streamIndex = 0;
      if (after !== undefined && after.streamId !== null) {
        streamIndex = lowerBoundStream(this.#streamIds, after.streamId);
        if (this.#streamIds[streamIndex] === after.streamId) {
          const bucket = this.#streams.get(after.streamId) as R[];
          for (let i = upperBound(bucket, after); i < bucket.length; i++) yield bucket[i] as R;
          streamIndex++;
        }
      }
      for (; streamIndex < this.#streamIds.length; streamIndex++) {
        const bucket = this.#streams.get(this.#streamIds[streamIndex] as string) as R[];
        for (const record of bucket) yield record;
      }
    }
    const start =
      after !== undefined && after.streamId === null ? upperBound(this.#streamless, after) : 0;
    for (let i = start; i < this.#streamless.length; i++) yield this.#streamless[i] as R;
  }
}
