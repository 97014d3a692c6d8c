import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, compareEntryIds, compareStreamOrder } from './stream-order.js';

function byCodePoints(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) as number);
  const y = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  }
  return x.length - y.length;
}

describe('compareCodePoints', () => {
  it('orders like code points (PostgreSQL COLLATE "C"), not UTF-16 units', () => {
    expect(Math.sign(compareCodePoints('\uFF61', '😀'))).toBe(-1); // U+FF61 < U+1F600
    expect('\uFF61' < '😀').toBe(false); // while UTF-16 units say otherwise
    expect(['b', 'a', 'B', 'a-1'].sort(compareCodePoints)).toEqual(['B', 'a', 'a-1', 'b']);
  });

  it('agrees in sign with a code point comparison for any well-formed strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(byCodePoints(a, b)));
      }),
    );
  });
});

describe('compareEntryIds', () => {
  it('compares decimal ids numerically, whatever their length', () => {
    expect(['10', '9', '100', '1'].sort(compareEntryIds)).toEqual(['1', '9', '10', '100']);
    expect(compareEntryIds('12345678901234567890', '12345678901234567891')).toBeLessThan(0);
    expect(compareEntryIds('007', '7')).not.toBe(0);
  });

  it('puts decimal ids before other ids, which compare by code point', () => {
    expect(['b', '2', 'a', '10'].sort(compareEntryIds)).toEqual(['2', '10', 'a', 'b']);
  });
});

describe('compareStreamOrder', () => {
  const key = (id: string, streamId: string | null, streamPosition: number | null, at: number) => ({
    id,
    streamId,
    streamPosition,
    firstFailedAt: new Date(at),
  });

  it('orders by stream, position (missing last), firstFailedAt, id; streamless entries last', () => {
    const entries = [
      key('7', null, null, 1),
      key('6', null, null, 0),
      key('5', 'b', 1, 5),
      key('4', 'a', null, 0),
      key('3', 'a', 2, 0),
      key('2', 'a', 1, 9),
      key('10', 'a', 1, 9),
      key('1', 'a', 1, 8),
      key('0', 'B', 7, 0),
    ];
    expect(entries.sort(compareStreamOrder).map((e) => e.id)).toEqual([
      '0',
      '1',
      '2',
      '10',
      '3',
      '4',
      '5',
      '6',
      '7',
    ]);
  });
});
