import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RollingWindowCounter } from './rolling-window-counter.js';

describe('RollingWindowCounter', () => {
  it('counts events of the last 60 one-second buckets', () => {
    const counter = new RollingWindowCounter();
    counter.add(1_000);
    counter.add(1_999, 2);
    counter.add(30_500);
    expect(counter.count(1_999)).toBe(3);
    expect(counter.count(60_999)).toBe(4);
    expect(counter.count(61_000)).toBe(1); // bucket 1 is 60 buckets old
    expect(counter.count(90_999)).toBe(0);
  });

  it('reuses a slot when its bucket comes round again', () => {
    const counter = new RollingWindowCounter();
    counter.add(5_000, 10);
    counter.add(65_000); // same slot, new bucket
    expect(counter.count(65_000)).toBe(1);
  });

  it('ignores events stamped after now (a clock that went back)', () => {
    const counter = new RollingWindowCounter();
    counter.add(100_000);
    expect(counter.count(50_000)).toBe(0);
  });

  it('handles negative times', () => {
    const counter = new RollingWindowCounter();
    counter.add(-1);
    expect(counter.count(0)).toBe(1);
  });

  it('reset forgets everything', () => {
    const counter = new RollingWindowCounter();
    counter.add(1_000, 5);
    counter.reset();
    expect(counter.count(1_000)).toBe(0);
  });

  it('agrees with a naive list of timestamps (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 200 }), (gaps) => {
        const counter = new RollingWindowCounter();
        const stamps: number[] = [];
        let now = 1_700_000_000_000;
        for (const gap of gaps) {
          now += gap * 10;
          counter.add(now);
          stamps.push(now);
          const nowBucket = Math.floor(now / 1000);
          const expected = stamps.filter((t) => nowBucket - Math.floor(t / 1000) < 60).length;
          expect(counter.count(now)).toBe(expected);
        }
      }),
    );
  });
});
