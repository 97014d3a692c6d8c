/**
 * A fixed-capacity FIFO that drops its oldest item when full.
 *
 * @internal
 * @module
 */

/** A ring buffer of at most `capacity` items; pushing onto a full buffer drops the oldest. */
export class BoundedBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private length = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  /** Number of items held. */
  get size(): number {
    return this.length;
  }

  /** Appends `item`, dropping the oldest when full (a capacity of 0 keeps nothing). */
  push(item: T): void {
    if (this.capacity === 0) return;
    if (this.length < this.capacity) {
      this.items[(this.start + this.length) % this.capacity] = item;
      this.length++;
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  /** A new array of the items, oldest first. */
  toArray(): T[] {
    const out = new Array<T>(this.length);
    for (let i = 0; i < this.length; i++) {
      out[i] = this.items[(this.start + i) % this.capacity] as T;
    }
    return out;
  }

  /** Removes every item. */
  clear(): void {
    this.items.fill(undefined);
    this.start = 0;
    this.length = 0;
  }
}
