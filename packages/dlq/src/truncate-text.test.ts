import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { truncateText, truncationMarker } from './truncate-text.js';

describe('truncateText', () => {
  it('returns a text that fits unchanged, including one of exactly the limit', () => {
    expect(truncateText('', 0)).toBe('');
    expect(truncateText('abc', 3)).toBe('abc');
    expect(truncateText('abc', 100)).toBe('abc');
  });

  it('keeps the beginning and ends with a marker counting the cut code units', () => {
    const result = truncateText('x'.repeat(100), 40);
    expect(result).toBe(`${'x'.repeat(18)}… [truncated 82 chars]`);
    expect(result).toHaveLength(40);
  });

  it('never returns more than maxLength code units, and accounts for every cut unit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.nat(320), (text, max) => {
        const result = truncateText(text, max);
        expect(result.length).toBeLessThanOrEqual(max);
        if (text.length <= max) {
          expect(result).toBe(text);
          return;
        }
        const match = /… \[truncated (\d+) chars\]$/.exec(result);
        if (match === null) {
          // No room for a marker: a hard cut of the beginning.
          expect(text.startsWith(result)).toBe(true);
          expect(max).toBeLessThan(truncationMarker(text.length).length + 1);
          return;
        }
        const kept = result.slice(0, match.index);
        expect(text.startsWith(kept)).toBe(true);
        expect(kept.length + Number(match[1])).toBe(text.length);
      }),
    );
  });

  it('does not split a surrogate pair', () => {
    const text = `${'a'.repeat(17)}${'😀'.repeat(30)}`;
    const result = truncateText(text, 40);
    const kept = result.slice(0, result.indexOf('…'));
    expect(kept).toBe(`${'a'.repeat(17)}`);
    expect(result.length).toBeLessThanOrEqual(40);
    const odd = truncateText(`${'a'.repeat(18)}😀${'b'.repeat(50)}`, 40);
    expect(odd.startsWith(`${'a'.repeat(18)}…`)).toBe(true);
  });

  it('cuts hard when even the marker does not fit', () => {
    expect(truncateText('abcdefghij', 4)).toBe('abcd');
    expect(truncateText('abc😀def', 4)).toBe('abc');
  });

  it('rejects a bad maxLength with ES_INVALID_CONFIG', () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(() => truncateText('x', bad)).toThrow(
        expect.objectContaining({ code: 'ES_INVALID_CONFIG', field: 'truncateText.maxLength' }),
      );
    }
  });
});
