import { InvalidConfigError } from '@es/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePositions, isPosition } from './compare-positions.js';

describe('comparePositions', () => {
  it('compares numbers numerically and strings lexicographically', () => {
    expect(comparePositions(9, 10)).toBeLessThan(0);
    expect(comparePositions(10, 10)).toBe(0);
    expect(comparePositions('9', '10')).toBeGreaterThan(0);
    expect(comparePositions('ab', 'abc')).toBeLessThan(0);
    expect(comparePositions('', '')).toBe(0);
  });

  it('rejects mixed kinds and NaN', () => {
    expect(() => comparePositions(1, '1')).toThrow(InvalidConfigError);
    expect(() => comparePositions('1', 1)).toThrow(InvalidConfigError);
    expect(() => comparePositions(Number.NaN, 1)).toThrow(InvalidConfigError);
  });

  it('is antisymmetric and agrees with < (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.tuple(fc.string(), fc.string()),
          fc.tuple(fc.double({ noNaN: true }), fc.double({ noNaN: true })),
        ),
        ([a, b]) => {
          const c = comparePositions(a, b);
          expect(Math.sign(c)).toBe(-Math.sign(comparePositions(b, a)) || 0);
          expect(c < 0).toBe(a < b);
        },
      ),
    );
  });
});

describe('isPosition', () => {
  it('accepts strings and finite numbers >= 0', () => {
    expect(isPosition(0)).toBe(true);
    expect(isPosition('x')).toBe(true);
    expect(isPosition(-1)).toBe(false);
    expect(isPosition(Number.POSITIVE_INFINITY)).toBe(false);
    expect(isPosition(null)).toBe(false);
    expect(isPosition(1n)).toBe(false);
  });
});
