import { describe, expect, it } from 'vitest';
import {
  jsonHasNul,
  storableJson,
  textWithoutNul,
  toDate,
  toDateOrNull,
  toJsonObject,
  toNumber,
} from './values.js';

describe('storable values', () => {
  it('replaces NUL and lone surrogates in JSON keys and values by U+FFFD, nothing else', () => {
    const value = {
      'k\u0000ey': 'a\u0000b',
      lone: 'x\ud800y',
      low: '\udc00',
      pair: '🎉',
      text: '\\u0000',
    };
    const json = JSON.stringify(value);
    const stored = JSON.parse(storableJson(json)) as Record<string, string>;
    expect(stored).toEqual({
      'k\uFFFDey': 'a\uFFFDb',
      lone: 'x\uFFFDy',
      low: '\uFFFD',
      pair: '🎉',
      text: '\\u0000',
    });
    expect(storableJson('{"a":"plain"}')).toBe('{"a":"plain"}');
  });

  it('tells a NUL character from the escaped text \\u0000', () => {
    expect(jsonHasNul(JSON.stringify({ a: '\u0000' }))).toBe(true);
    expect(jsonHasNul(JSON.stringify({ a: '\\u0000' }))).toBe(false);
    expect(jsonHasNul(JSON.stringify({ a: '\\\u0000' }))).toBe(true);
    expect(jsonHasNul(JSON.stringify({ a: 'x' }))).toBe(false);
    // The regex is stateful; repeated calls must not flip.
    expect(jsonHasNul(JSON.stringify({ a: '\u0000' }))).toBe(true);
  });

  it('replaces NUL in text', () => {
    expect(textWithoutNul('a\u0000b\u0000')).toBe('a\uFFFDb\uFFFD');
    expect(textWithoutNul('abc')).toBe('abc');
  });

  it('normalises driver values', () => {
    expect(toNumber('12')).toBe(12);
    expect(toNumber(12n)).toBe(12);
    expect(toDate(1_700_000_000_123).toISOString()).toBe('2023-11-14T22:13:20.123Z');
    expect(toDateOrNull(null)).toBeNull();
    expect(toJsonObject('{"a":1}')).toEqual({ a: 1 });
    expect(toJsonObject({ a: 1 })).toEqual({ a: 1 });
  });
});
