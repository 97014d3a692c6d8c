import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareOrderKeys } from '../stream-order.js';
import { type OrderKey, StreamOrderIndex } from './stream-order-index.js';

const compare = (a: OrderKey, b: OrderKey) =>
  compareOrderKeys(
    a.streamId,
    a.streamPosition,
    a.firstFailedAtMs,
    a.id,
    b.streamId,
    b.streamPosition,
    b.firstFailedAtMs,
    b.id,
  );

const keyArbitrary = fc.record({
  streamId: fc.option(fc.constantFrom('a', 'B', 'b', 'ab', '😀', 'ｚ'), { nil: null }),
  streamPosition: fc.option(fc.nat(5), { nil: null }),
  firstFailedAtMs: fc.nat(5),
});

type Op = { kind: 'add'; key: Omit<OrderKey, 'id'> } | { kind: 'remove'; pick: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: keyArbitrary.map((key) => ({ kind: 'add' as const, key })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'remove' as const, pick })) },
);

describe('StreamOrderIndex', () => {
  it('behaves like a sorted array under random adds and removes', () => {
    fc.assert(
      fc.property(
        fc.array(opArbitrary, { maxLength: 80 }),
        fc.array(keyArbitrary, { maxLength: 5 }),
        (ops, cursors) => {
          const index = new StreamOrderIndex<OrderKey>();
          let model: OrderKey[] = [];
          let next = 1;
          for (const op of ops) {
            if (op.kind === 'add') {
              const record = { ...op.key, id: String(next++) };
              index.add(record);
              model.push(record);
            } else if (model.length > 0) {
              const victim = model[op.pick % model.length] as OrderKey;
              expect(index.remove(victim)).toBe(true);
              expect(index.remove(victim)).toBe(false);
              model = model.filter((r) => r !== victim);
            }
          }
          model.sort(compare);
          expect(index.size).toBe(model.length);
          expect([...index.values()]).toEqual(model);
          const streams = [
            ...new Set(model.map((r) => r.streamId).filter((s): s is string => s !== null)),
          ];
          expect(index.streamIds()).toEqual(streams);
          expect(index.oldestFirstFailedAtMs()).toBe(
            model.length === 0 ? null : Math.min(...model.map((r) => r.firstFailedAtMs)),
          );
          // Cursors are arbitrary keys and, as in keyset paging, records of the index itself.
          const fromModel = model.filter((_, i) => i % 3 === 0);
          for (const cursor of [...cursors.map((key) => ({ ...key, id: '3' })), ...fromModel]) {
            expect([...index.iterate(cursor, undefined)]).toEqual(
              model.filter((r) => compare(r, cursor) > 0),
            );
            for (const streamId of ['a', 'b', 'zz']) {
              expect([...index.iterate(cursor, streamId)]).toEqual(
                model.filter((r) => r.streamId === streamId && compare(r, cursor) > 0),
              );
              expect([...index.iterate(undefined, streamId)]).toEqual(
                model.filter((r) => r.streamId === streamId),
              );
            }
          }
        },
      ),
    );
  });

  it('recomputes the oldest timestamp lazily after the oldest record leaves', () => {
    const index = new StreamOrderIndex<OrderKey>();
    const old = { id: '1', streamId: 's', streamPosition: 1, firstFailedAtMs: 10 };
    const young = { id: '2', streamId: null, streamPosition: null, firstFailedAtMs: 20 };
    index.add(young);
    index.add(old);
    expect(index.oldestFirstFailedAtMs()).toBe(10);
    index.remove(old);
    expect(index.oldestFirstFailedAtMs()).toBe(20);
    index.remove(young);
    expect(index.oldestFirstFailedAtMs()).toBeNull();
    expect(index.streamIds()).toEqual([]);
  });
});
