import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedBuffer } from './bounded-buffer.js';

describe('BoundedBuffer', () => {
  it('drops the oldest item when full', () => {
    const buffer = new BoundedBuffer<number>(3);
    for (let i = 0; i < 5; i++) buffer.push(i);
    expect(buffer.toArray()).toEqual([2, 3, 4]);
    expect(buffer.size).toBe(3);
  });

  it('keeps nothing with capacity 0', () => {
    const buffer = new BoundedBuffer<number>(0);
    buffer.push(1);
    expect(buffer.toArray()).toEqual([]);
    expect(buffer.size).toBe(0);
  });

  it('clear empties it', () => {
    const buffer = new BoundedBuffer<number>(2);
    buffer.push(1);
    buffer.push(2);
    buffer.push(3);
    buffer.clear();
    expect(buffer.toArray()).toEqual([]);
    buffer.push(4);
    expect(buffer.toArray()).toEqual([4]);
  });

  it('always holds the last min(n, capacity) items in order (property)', () => {
    fc.assert(
      fc.property(fc.nat(10), fc.array(fc.integer()), (capacity, items) => {
        const buffer = new BoundedBuffer<number>(capacity);
        for (const item of items) buffer.push(item);
        expect(buffer.toArray()).toEqual(capacity === 0 ? [] : items.slice(-capacity));
      }),
    );
  });
});
