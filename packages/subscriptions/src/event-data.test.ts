import type { DomainEvent } from '@es/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toEventData } from './event-data.js';
import { makeEvent } from './internal/test-support.js';

describe('toEventData', () => {
  it('equals the JSON round trip of a plain event', () => {
    const event = makeEvent({ tags: ['a', 'b'], nested: { at: new Date(1000), n: 1 } });
    expect(toEventData(event)).toEqual(JSON.parse(JSON.stringify(event)));
    expect(toEventData(event)).toMatchObject({
      occurredAt: '2025-01-02T03:04:05.678Z',
      nested: { at: '1970-01-01T00:00:01.000Z', n: 1 },
    });
  });

  it('matches JSON.parse(JSON.stringify(x)) for any JSON-compatible payload', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.date({ noInvalidDate: true }),
        (payload, at) => {
          const event = { ...payload, occurredAt: at } as unknown as DomainEvent;
          expect(toEventData(event)).toEqual(JSON.parse(JSON.stringify(event)));
        },
      ),
    );
  });

  it('is total: bigint, Map, Set, undefined, functions, symbols, non-finite numbers, bad dates', () => {
    const event = {
      big: 10n,
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, 'b'],
      ]),
      set: new Set([1, 2]),
      missing: undefined,
      fn: () => 1,
      sym: Symbol('s'),
      list: [undefined, () => 1, Number.NaN, Number.POSITIVE_INFINITY],
      badDate: new Date(Number.NaN),
      withToJSON: { toJSON: () => ({ replaced: true }) },
      throwingToJSON: {
        toJSON: () => {
          throw new Error('nope');
        },
      },
    } as unknown as DomainEvent;
    expect(toEventData(event)).toEqual({
      big: '10',
      map: { a: 1, 2: 'b' },
      set: [1, 2],
      list: [null, null, null, null],
      badDate: null,
      withToJSON: { replaced: true },
      throwingToJSON: null,
    });
  });

  it('replaces circular references and keeps shared ones', () => {
    const shared = { x: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    expect(toEventData(cyclic as unknown as DomainEvent)).toEqual({
      shared: { x: 1 },
      again: { x: 1 },
      self: '[Circular]',
    });
  });

  it('keeps a __proto__ key as data and survives throwing getters', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as DomainEvent;
    const out = toEventData(data);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__', 'ok']);

    const getter = {
      get boom(): never {
        throw new Error('getter');
      },
    } as unknown as DomainEvent;
    expect(toEventData(getter)).toEqual({});
  });

  it('wraps a non-object in { value }', () => {
    expect(toEventData([1, 2] as unknown as DomainEvent)).toEqual({ value: [1, 2] });
  });
});
