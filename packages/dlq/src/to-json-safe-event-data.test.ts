import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_EVENT_DATA_DEPTH,
  toJsonSafeEventData,
  UNSERIALIZABLE_MARKER_PREFIX,
} from './to-json-safe-event-data.js';

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

describe('toJsonSafeEventData', () => {
  it('equals JSON.parse(JSON.stringify(x)) for every JSON-serializable object', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        expect(toJsonSafeEventData(value)).toStrictEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('never throws, and always returns a deep-frozen object JSON can serialize', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withBoxedValues: true,
          withNullPrototype: true,
          withSparseArray: true,
        }),
        (value) => {
          const safe = toJsonSafeEventData(value);
          expect(typeof safe).toBe('object');
          expect(Array.isArray(safe)).toBe(false);
          expect(() => JSON.stringify(safe)).not.toThrow();
          expect(JSON.parse(JSON.stringify(safe))).toStrictEqual(safe);
          expect(isDeepFrozen(safe)).toBe(true);
        },
      ),
    );
  });

  it('follows JSON for dates, undefined, functions, symbols, non-finite numbers, -0 and sparse arrays', () => {
    const sparse: unknown[] = [1];
    sparse[3] = 4;
    expect(
      toJsonSafeEventData({
        at: new Date('2025-01-02T03:04:05.000Z'),
        invalidDate: new Date(Number.NaN),
        gone: undefined,
        fn: () => 1,
        sym: Symbol('s'),
        list: [undefined, () => 1, Number.NaN, Number.POSITIVE_INFINITY, -0],
        sparse,
        boxed: [Object(1), Object('s'), Object(false)],
        map: new Map([[1, 2]]),
      }),
    ).toStrictEqual({
      at: '2025-01-02T03:04:05.000Z',
      invalidDate: null,
      list: [null, null, null, null, 0],
      sparse: [1, null, null, 4],
      boxed: [1, 's', false],
      map: {},
    });
  });

  it('replaces bigints (plain and boxed) with a marker, unless BigInt.prototype.toJSON exists', () => {
    expect(toJsonSafeEventData({ big: 10n, boxed: Object(11n) })).toStrictEqual({
      big: `${UNSERIALIZABLE_MARKER_PREFIX}bigint 10]`,
      boxed: `${UNSERIALIZABLE_MARKER_PREFIX}bigint 11]`,
    });
    const proto = BigInt.prototype as { toJSON?: () => string };
    proto.toJSON = function (this: bigint) {
      return `${this.toString()}n`;
    };
    try {
      expect(toJsonSafeEventData({ big: 10n })).toStrictEqual({ big: '10n' });
    } finally {
      delete proto.toJSON;
    }
  });

  it('replaces a circular reference, but copies a shared one', () => {
    const shared = { n: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    cyclic.list = [cyclic, shared];
    expect(toJsonSafeEventData(cyclic)).toStrictEqual({
      shared: { n: 1 },
      again: { n: 1 },
      self: `${UNSERIALIZABLE_MARKER_PREFIX}circular reference]`,
      list: [`${UNSERIALIZABLE_MARKER_PREFIX}circular reference]`, { n: 1 }],
    });
  });

  it('honours toJSON with its key, and marks one that throws', () => {
    const keyed = { toJSON: (key: string) => `key=${key}` };
    expect(toJsonSafeEventData({ a: keyed, list: [keyed] })).toStrictEqual({
      a: 'key=a',
      list: ['key=0'],
    });
    const broken = {
      toJSON() {
        throw new Error('nope');
      },
    };
    expect(toJsonSafeEventData({ broken })).toStrictEqual({
      broken: `${UNSERIALIZABLE_MARKER_PREFIX}toJSON threw: nope]`,
    });
    const selfish = { toJSON: () => selfish, ok: 1 };
    expect(toJsonSafeEventData({ selfish })).toStrictEqual({ selfish: { ok: 1 } });
  });

  it('marks throwing getters and revoked proxies, keeping the rest', () => {
    const { proxy, revoke } = Proxy.revocable({ a: 1 }, {});
    revoke();
    const value = {
      ok: true,
      get broken(): never {
        throw new Error('getter');
      },
      proxy,
      keys: new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('no keys');
          },
        },
      ),
    };
    const safe = toJsonSafeEventData(value) as Record<string, unknown>;
    expect(safe.ok).toBe(true);
    expect(safe.broken).toBe(`${UNSERIALIZABLE_MARKER_PREFIX}reading "broken" threw: getter]`);
    expect(String(safe.proxy).startsWith(UNSERIALIZABLE_MARKER_PREFIX)).toBe(true);
    expect(safe.keys).toBe(`${UNSERIALIZABLE_MARKER_PREFIX}listing the keys threw: no keys]`);
  });

  it('cuts nesting deeper than MAX_EVENT_DATA_DEPTH', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const safe = toJsonSafeEventData({ deep });
    let cursor: unknown = (safe as { deep: unknown }).deep;
    let levels = 1;
    while (Array.isArray(cursor)) {
      cursor = cursor[0];
      levels++;
    }
    expect(levels).toBe(MAX_EVENT_DATA_DEPTH);
    expect(cursor).toBe(
      `${UNSERIALIZABLE_MARKER_PREFIX}nested deeper than ${MAX_EVENT_DATA_DEPTH} levels]`,
    );
  });

  it('keeps "__proto__" as a data key, as JSON.parse does', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<
      string,
      unknown
    >;
    const safe = toJsonSafeEventData(value);
    expect(Object.getPrototypeOf(safe)).toBe(Object.prototype);
    expect(Object.keys(safe)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps strings exactly, \\u0000 and lone surrogates included', () => {
    const text = 'a\u0000b\uD800c';
    expect(toJsonSafeEventData({ [text]: text })).toStrictEqual({ [text]: text });
  });

  it('wraps a value that is not a plain object as { value }', () => {
    expect(toJsonSafeEventData([1, 2])).toStrictEqual({ value: [1, 2] });
    expect(toJsonSafeEventData('text')).toStrictEqual({ value: 'text' });
    expect(toJsonSafeEventData(null)).toStrictEqual({ value: null });
    expect(toJsonSafeEventData(undefined)).toStrictEqual({ value: null });
    expect(toJsonSafeEventData(5n)).toStrictEqual({
      value: `${UNSERIALIZABLE_MARKER_PREFIX}bigint 5]`,
    });
  });

  it('replaces an absurdly long (sparse) array with a marker instead of walking it', () => {
    const huge: unknown[] = [];
    huge.length = 4_000_000_000;
    expect(toJsonSafeEventData({ huge })).toStrictEqual({
      huge: `${UNSERIALIZABLE_MARKER_PREFIX}array of 4000000000 items]`,
    });
  });
});
