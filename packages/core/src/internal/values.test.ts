import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CyclicValueError,
  deepFreezeCopy,
  isPlainObject,
  kindOf,
  toJsonValue,
  UnserializableValueError,
} from './values.js';

describe('isPlainObject', () => {
  it('accepts {} and null-prototype objects only', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(new Date())).toBe(false);
    expect(isPlainObject(new Map())).toBe(false);
    expect(isPlainObject(null)).toBe(false);
    expect(isPlainObject('x')).toBe(false);
    expect(isPlainObject(new (class {})())).toBe(false);
  });
});

describe('deepFreezeCopy', () => {
  it('copies and freezes plain objects and arrays deeply', () => {
    const source = { a: [1, { b: 2 }], c: { d: 'e' } };
    const copy = deepFreezeCopy(source) as typeof source;
    expect(copy).toEqual(source);
    expect(copy).not.toBe(source);
    expect(copy.a).not.toBe(source.a);
    expect(Object.isFrozen(copy)).toBe(true);
    expect(Object.isFrozen(copy.a)).toBe(true);
    expect(Object.isFrozen(copy.a[1])).toBe(true);
    expect(Object.isFrozen(source)).toBe(false);
  });

  it('copies dates and keeps other objects by reference', () => {
    const date = new Date(5);
    const map = new Map();
    const copy = deepFreezeCopy({ date, map }) as { date: Date; map: Map<unknown, unknown> };
    expect(copy.date).not.toBe(date);
    expect(copy.date.getTime()).toBe(5);
    expect(copy.map).toBe(map);
  });

  it('allows shared (non-cyclic) references and rejects cycles', () => {
    const shared = { x: 1 };
    expect(deepFreezeCopy({ a: shared, b: [shared, shared] })).toEqual({
      a: { x: 1 },
      b: [{ x: 1 }, { x: 1 }],
    });
    const cyclic: unknown[] = [];
    cyclic.push({ back: cyclic });
    expect(() => deepFreezeCopy(cyclic)).toThrow(CyclicValueError);
  });

  it('returns primitives unchanged', () => {
    for (const value of [1, 'a', true, null, undefined, 1n])
      expect(deepFreezeCopy(value)).toBe(value);
  });
});

describe('toJsonValue', () => {
  it('equals JSON.parse(JSON.stringify(value)) for arbitrary values', () => {
    const anything = fc.anything({
      withBigInt: false,
      withDate: true,
      withMap: true,
      withSet: true,
      withBoxedValues: true,
      withNullPrototype: true,
      withTypedArray: true,
      withSparseArray: true,
      withObjectString: true,
    });
    fc.assert(
      fc.property(anything, (value) => {
        const text = JSON.stringify(value);
        const expected = text === undefined ? undefined : JSON.parse(text);
        expect(toJsonValue(value)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('passes the property key to toJSON', () => {
    const keys: string[] = [];
    const spy = { toJSON: (key: string) => keys.push(key) };
    toJsonValue({ first: spy, list: [spy] });
    expect(keys).toEqual(['first', '0']);
  });

  it('rejects bigints and cycles', () => {
    expect(() => toJsonValue({ n: 1n })).toThrow(UnserializableValueError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = { again: cyclic };
    expect(() => toJsonValue(cyclic)).toThrow(CyclicValueError);
  });

  it('turns -0 into 0', () => {
    expect(Object.is(toJsonValue(-0), 0)).toBe(true);
  });
});

describe('kindOf', () => {
  it('names value kinds', () => {
    expect([null, [], new Date(), 'x', 1, undefined, {}].map(kindOf)).toEqual([
      'null',
      'array',
      'Date',
      'string',
      'number',
      'undefined',
      'object',
    ]);
  });
});
