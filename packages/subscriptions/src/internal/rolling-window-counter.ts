/**
 * A counter of events in a rolling time window, in fixed memory.
 *
 * @internal
 * @module
 */

/**
 * Counts events over the last `windowMs` milliseconds with `buckets` buckets (default: 60
 * one-second buckets). Memory is fixed whatever the event rate; `add` and `count` are O(buckets)
 * at worst and allocate nothing. An event counts while its bucket is younger than the window, so
 * with 1-second buckets an event stays counted for between 59 and 60 seconds.
 */
export class RollingWindowCounter {
  private readonly bucketMs: number;
  private readonly counts: Float64Array;
  /** The bucket number (time / bucketMs, floored) each slot currently holds; NaN when empty. */
  private readonly stamps: Float64Array;

  constructor(
    readonly windowMs = 60_000,
    readonly buckets = 60,
  ) {
    this.bucketMs = windowMs / buckets;
    this.counts = new Float64Array(buckets);
    this.stamps = new Float64Array(buckets).fill(Number.NaN);
  }

  /** Records `n` events at `nowMs`. */
  add(nowMs: number, n = 1): void {
    const bucket = Math.floor(nowMs / this.bucketMs);
    const slot = ((bucket % this.buckets) + this.buckets) % this.buckets;
    if (this.stamps[slot] !== bucket) {
      this.stamps[slot] = bucket;
      this.counts[slot] = n;
    } else {
      this.counts[slot] = (this.counts[slot] ?? 0) + n;
    }
  }

  /** Events recorded in the window ending at `nowMs` (buckets `now − buckets + 1 … now`). */
  count(nowMs: number): number {
    const bucket = Math.floor(nowMs / this.bucketMs);
    let total = 0;
    for (let slot = 0; slot < this.buckets; slot++) {
      const age = bucket - (this.stamps[slot] ?? Number.NaN);
      if (age >= 0 && age < this.buckets) total += this.counts[slot] ?? 0;
    }
    return total;
  }

  /** Forgets every event. */
  reset(): void {
    this.counts.fill(0);
    this.stamps.fill(Number.NaN);
  }
}
