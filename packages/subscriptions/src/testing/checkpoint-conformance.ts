/**
 * The conformance kit of the checkpoint port: one vitest suite that every
 * {@link CheckpointRepository} implementation (in memory, PostgreSQL, yours) must pass.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Position } from '@es/core';
import { CheckpointError } from '@es/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckpointData, CheckpointRepository } from '../checkpoint-repository.js';

/** Options of {@link describeCheckpointRepositoryConformance}. */
export interface CheckpointConformanceOptions {
  /** Runs after each test with the repository the factory made (close it, delete its rows…). */
  readonly teardown?: ((repo: CheckpointRepository) => void | Promise<void>) | undefined;
  /** Number of concurrent saves in the concurrency tests. Default 25. */
  readonly concurrency?: number | undefined;
  /** Number of random operations in the model test. Default 150. */
  readonly modelSteps?: number | undefined;
  /** Seed of the model test's random operations. Default 20_251_126. */
  readonly seed?: number | undefined;
  /** Allowed difference between `lastProcessedAt` and this process's clock. Default 5 minutes. */
  readonly clockToleranceMs?: number | undefined;
}

/**
 * Registers the checkpoint conformance suite with vitest (`describe`/`it`), run against the
 * repositories `factory` makes (a new one per test, or a shared one: every test uses its own,
 * unique subscription ids, so a shared database works without cleanup).
 *
 * What it checks: compare-and-set that never moves backwards (an equal position is accepted),
 * numeric order for numbers and lexicographic (code-unit) order for strings, one position kind
 * per subscription (a mixed save rejects with a `CheckpointError` and writes nothing), position 0
 * and `Number.MAX_SAFE_INTEGER` round-trips, `eventsProcessed` counting successful saves, reset,
 * `getAllCheckpoints` sorted by id in code-unit order (`COLLATE "C"` on PostgreSQL), copies rather
 * than live objects, concurrent saves ending at the maximum, fenced saves (`expected`: a true
 * compare-and-set on the previous position, exactly one winner among concurrent saves with the
 * same `expected`), and a seeded random sequence of operations against a reference model.
 *
 * Needs `vitest` (an optional peer dependency of `@es/subscriptions`).
 *
 * @example
 * ```ts
 * // checkpoint-repository.test.ts
 * import { InMemoryCheckpointRepository } from '@es/subscriptions';
 * import { describeCheckpointRepositoryConformance } from '@es/subscriptions/testing';
 *
 * describeCheckpointRepositoryConformance('InMemoryCheckpointRepository', () => new InMemoryCheckpointRepository());
 * ```
 */
export function describeCheckpointRepositoryConformance(
  name: string,
  factory: () => CheckpointRepository | Promise<CheckpointRepository>,
  options: CheckpointConformanceOptions = {},
): void {
  const concurrency = options.concurrency ?? 25;
  const modelSteps = options.modelSteps ?? 150;
  const seed = options.seed ?? 20_251_126;
  const toleranceMs = options.clockToleranceMs ?? 5 * 60_000;

  describe(`CheckpointRepository conformance: ${name}`, () => {
    let repo: CheckpointRepository;
    let prefix: string;
    /** A subscription id unique to this test run. */
    const id = (suffix: string): string => `${prefix}${suffix}`;

    beforeEach(async () => {
      repo = await factory();
      prefix = `conf-${randomUUID().slice(0, 8)}-`;
    });

    afterEach(async () => {
      await options.teardown?.(repo);
    });

    describe('reading', () => {
      it('returns null for a subscription without a checkpoint', async () => {
        expect(await repo.getPosition(id('none'))).toBeNull();
        expect(await repo.getCheckpoint(id('none'))).toBeNull();
      });
    });

    describe('number positions', () => {
      it('saves the first position and reads it back with its details', async () => {
        const before = Date.now();
        expect(
          await repo.savePosition(id('a'), {
            position: 5,
            eventId: 'evt-5',
            eventType: 'TaskCreated',
          }),
        ).toBe(true);
        const after = Date.now();
        expect(await repo.getPosition(id('a'))).toBe(5);
        const checkpoint = await repo.getCheckpoint(id('a'));
        expect(checkpoint).toMatchObject({
          subscriptionId: id('a'),
          position: 5,
          lastEventId: 'evt-5',
          lastEventType: 'TaskCreated',
          eventsProcessed: 1,
        });
        expectPlausibleDate(checkpoint?.lastProcessedAt, before - toleranceMs, after + toleranceMs);
      });

      it('stores position 0 and reads it back as 0, not null', async () => {
        expect(await repo.savePosition(id('zero'), { position: 0 })).toBe(true);
        expect(await repo.getPosition(id('zero'))).toBe(0);
        expect((await repo.getCheckpoint(id('zero')))?.position).toBe(0);
      });

      it('moves forward and counts every successful save in eventsProcessed', async () => {
        for (const [i, position] of [1, 2, 10, 11].entries()) {
          expect(await repo.savePosition(id('a'), { position, eventId: `e${position}` })).toBe(
            true,
          );
          const checkpoint = await repo.getCheckpoint(id('a'));
          expect(checkpoint?.position).toBe(position);
          expect(checkpoint?.lastEventId).toBe(`e${position}`);
          expect(checkpoint?.eventsProcessed).toBe(i + 1);
        }
      });

      it('compares numbers numerically (9 < 10)', async () => {
        await repo.savePosition(id('a'), { position: 9 });
        expect(await repo.savePosition(id('a'), { position: 10 })).toBe(true);
        expect(await repo.savePosition(id('a'), { position: 9 })).toBe(false);
        expect(await repo.getPosition(id('a'))).toBe(10);
      });

      it('never moves backwards: returns false and writes nothing', async () => {
        await repo.savePosition(id('a'), { position: 100, eventId: 'e100', eventType: 'T100' });
        const before = await repo.getCheckpoint(id('a'));
        expect(
          await repo.savePosition(id('a'), { position: 99, eventId: 'e99', eventType: 'T99' }),
        ).toBe(false);
        expect(await repo.savePosition(id('a'), { position: 0 })).toBe(false);
        const after = await repo.getCheckpoint(id('a'));
        expect(snapshot(after)).toEqual(snapshot(before));
        expect(await repo.getPosition(id('a'))).toBe(100);
      });

      it('accepts an equal position: true, counted, event details replaced', async () => {
        await repo.savePosition(id('a'), { position: 7, eventId: 'first', eventType: 'A' });
        expect(
          await repo.savePosition(id('a'), { position: 7, eventId: 'second', eventType: 'B' }),
        ).toBe(true);
        expect(await repo.getCheckpoint(id('a'))).toMatchObject({
          position: 7,
          lastEventId: 'second',
          lastEventType: 'B',
          eventsProcessed: 2,
        });
      });

      it('stores a missing eventId and eventType as null', async () => {
        await repo.savePosition(id('a'), { position: 1, eventId: 'e1', eventType: 'T' });
        await repo.savePosition(id('a'), { position: 2 });
        expect(await repo.getCheckpoint(id('a'))).toMatchObject({
          position: 2,
          lastEventId: null,
          lastEventType: null,
        });
      });

      it('round-trips Number.MAX_SAFE_INTEGER as a number', async () => {
        const big = Number.MAX_SAFE_INTEGER;
        expect(await repo.savePosition(id('big'), { position: big - 1 })).toBe(true);
        expect(await repo.savePosition(id('big'), { position: big })).toBe(true);
        const position = await repo.getPosition(id('big'));
        expect(typeof position).toBe('number');
        expect(position).toBe(big);
        expect(await repo.savePosition(id('big'), { position: big - 1 })).toBe(false);
      });
    });

    describe('string positions', () => {
      it('saves and reads strings back as strings', async () => {
        expect(await repo.savePosition(id('s'), { position: '0000000001:0000000007' })).toBe(true);
        const position = await repo.getPosition(id('s'));
        expect(typeof position).toBe('string');
        expect(position).toBe('0000000001:0000000007');
      });

      it("compares strings lexicographically, not numerically ('9' > '10')", async () => {
        await repo.savePosition(id('s'), { position: '10' });
        expect(await repo.savePosition(id('s'), { position: '9' })).toBe(true);
        expect(await repo.savePosition(id('s'), { position: '10' })).toBe(false);
        expect(await repo.getPosition(id('s'))).toBe('9');
      });

      it('treats a prefix as smaller and an equal string as equal', async () => {
        await repo.savePosition(id('s'), { position: 'abc' });
        expect(await repo.savePosition(id('s'), { position: 'ab' })).toBe(false);
        expect(await repo.savePosition(id('s'), { position: 'abc', eventId: 'again' })).toBe(true);
        expect(await repo.savePosition(id('s'), { position: 'abd' })).toBe(true);
        expect(await repo.getCheckpoint(id('s'))).toMatchObject({
          position: 'abd',
          eventsProcessed: 3,
        });
      });

      it('follows an order-preserving (transaction id, position) encoding', async () => {
        const cursors = [
          [1, 9],
          [2, 3],
          [2, 10],
          [10, 1],
          [123_456, 42],
        ].map(([tx, pos]) => cursor(tx as number, pos as number));
        for (const position of cursors) {
          expect(await repo.savePosition(id('s'), { position })).toBe(true);
        }
        for (const position of cursors.slice(0, -1)) {
          expect(await repo.savePosition(id('s'), { position })).toBe(false);
        }
        expect(await repo.getPosition(id('s'))).toBe(cursors.at(-1));
      });

      it('never moves backwards: returns false and writes nothing', async () => {
        await repo.savePosition(id('s'), { position: 'm', eventId: 'em', eventType: 'T' });
        const before = await repo.getCheckpoint(id('s'));
        expect(await repo.savePosition(id('s'), { position: 'l', eventId: 'el' })).toBe(false);
        expect(await repo.savePosition(id('s'), { position: '' })).toBe(false);
        expect(snapshot(await repo.getCheckpoint(id('s')))).toEqual(snapshot(before));
      });
    });

    describe('position kinds', () => {
      it('rejects a string over a number with a CheckpointError and writes nothing', async () => {
        await repo.savePosition(id('k'), { position: 5, eventId: 'e5' });
        const before = await repo.getCheckpoint(id('k'));
        await expect(repo.savePosition(id('k'), { position: '6' })).rejects.toBeInstanceOf(
          CheckpointError,
        );
        expect(snapshot(await repo.getCheckpoint(id('k')))).toEqual(snapshot(before));
      });

      it('rejects a number over a string with a CheckpointError and writes nothing', async () => {
        await repo.savePosition(id('k'), { position: 'b', eventId: 'eb' });
        const before = await repo.getCheckpoint(id('k'));
        await expect(repo.savePosition(id('k'), { position: 1 })).rejects.toBeInstanceOf(
          CheckpointError,
        );
        expect(snapshot(await repo.getCheckpoint(id('k')))).toEqual(snapshot(before));
      });

      it('allows the other kind after a reset', async () => {
        await repo.savePosition(id('k'), { position: 5 });
        await repo.resetCheckpoint(id('k'));
        expect(await repo.savePosition(id('k'), { position: 'a' })).toBe(true);
        expect(await repo.getPosition(id('k'))).toBe('a');
      });
    });

    describe('reset', () => {
      it('deletes the checkpoint, so a lower position can be saved and counting restarts', async () => {
        await repo.savePosition(id('r'), { position: 50 });
        await repo.savePosition(id('r'), { position: 60 });
        await repo.resetCheckpoint(id('r'));
        expect(await repo.getPosition(id('r'))).toBeNull();
        expect(await repo.getCheckpoint(id('r'))).toBeNull();
        expect(await repo.savePosition(id('r'), { position: 3 })).toBe(true);
        expect(await repo.getCheckpoint(id('r'))).toMatchObject({
          position: 3,
          eventsProcessed: 1,
        });
      });

      it('is a no-op for a subscription without a checkpoint', async () => {
        await expect(repo.resetCheckpoint(id('absent'))).resolves.toBeUndefined();
        expect(await repo.getPosition(id('absent'))).toBeNull();
      });

      it('leaves other subscriptions alone', async () => {
        await repo.savePosition(id('r1'), { position: 1 });
        await repo.savePosition(id('r2'), { position: 2 });
        await repo.resetCheckpoint(id('r1'));
        expect(await repo.getPosition(id('r2'))).toBe(2);
      });
    });

    describe('isolation and listing', () => {
      it('keeps subscriptions independent', async () => {
        await repo.savePosition(id('x'), { position: 10 });
        expect(await repo.savePosition(id('y'), { position: 1 })).toBe(true);
        expect(await repo.getPosition(id('x'))).toBe(10);
        expect(await repo.getPosition(id('y'))).toBe(1);
      });

      it('lists every checkpoint sorted by id in code-unit order', async () => {
        const suffixes = ['b', 'a', 'B', 'a-1', 'c', 'A', '_', 'aa', '0'];
        for (const [i, suffix] of suffixes.entries()) {
          await repo.savePosition(id(suffix), { position: i + 1, eventId: `e-${suffix}` });
        }
        const all = await repo.getAllCheckpoints();
        const ids = all.map((c) => c.subscriptionId);
        expect(ids).toEqual([...ids].sort(codeUnitOrder));
        const ours = all.filter((c) => c.subscriptionId.startsWith(prefix));
        expect(ours.map((c) => c.subscriptionId)).toEqual(suffixes.map(id).sort(codeUnitOrder));
        const b = ours.find((c) => c.subscriptionId === id('b'));
        expect(b).toMatchObject({ position: 1, lastEventId: 'e-b', eventsProcessed: 1 });
        expect(b?.lastProcessedAt).toBeInstanceOf(Date);
      });

      it('returns copies, not live objects', async () => {
        await repo.savePosition(id('c'), { position: 1, eventId: 'e1' });
        const one = await repo.getCheckpoint(id('c'));
        const [listed] = (await repo.getAllCheckpoints()).filter(
          (c) => c.subscriptionId === id('c'),
        );
        await repo.savePosition(id('c'), { position: 2, eventId: 'e2' });
        expect(one).toMatchObject({ position: 1, lastEventId: 'e1', eventsProcessed: 1 });
        expect(listed).toMatchObject({ position: 1, lastEventId: 'e1', eventsProcessed: 1 });
        tryToMutate(one);
        tryToMutate(listed);
        const fresh = await repo.getCheckpoint(id('c'));
        expect(fresh).toMatchObject({ position: 2, lastEventId: 'e2', eventsProcessed: 2 });
        expect(fresh?.lastProcessedAt.getTime()).not.toBe(0);
      });
    });

    describe('concurrency', () => {
      it('concurrent saves of shuffled number positions end at the maximum', async () => {
        const positions = shuffle(
          Array.from({ length: concurrency }, (_, i) => (i + 1) * 3),
          seed,
        );
        const results = await Promise.all(
          positions.map((position) =>
            repo.savePosition(id('cc'), { position, eventId: `e${position}` }),
          ),
        );
        const max = Math.max(...positions);
        expect(await repo.getPosition(id('cc'))).toBe(max);
        expect(results[positions.indexOf(max)]).toBe(true);
        const checkpoint = await repo.getCheckpoint(id('cc'));
        expect(checkpoint?.lastEventId).toBe(`e${max}`);
        expect(checkpoint?.eventsProcessed).toBe(results.filter(Boolean).length);
      });

      it('concurrent saves of shuffled string positions end at the maximum', async () => {
        const positions = shuffle(
          Array.from({ length: concurrency }, (_, i) => cursor(1 + (i % 5), i * 7)),
          seed + 1,
        );
        const results = await Promise.all(
          positions.map((position) => repo.savePosition(id('cs'), { position })),
        );
        const max = [...positions].sort(codeUnitOrder).at(-1) as string;
        expect(await repo.getPosition(id('cs'))).toBe(max);
        expect(results[positions.indexOf(max)]).toBe(true);
        expect((await repo.getCheckpoint(id('cs')))?.eventsProcessed).toBe(
          results.filter(Boolean).length,
        );
      });

      it('concurrent saves to many subscriptions do not interfere', async () => {
        const work = Array.from({ length: concurrency }, (_, i) => i);
        await Promise.all(
          work.flatMap((i) => [
            repo.savePosition(id(`m${i}`), { position: i + 2 }),
            repo.savePosition(id(`m${i}`), { position: i + 1 }),
          ]),
        );
        for (const i of work) expect(await repo.getPosition(id(`m${i}`))).toBe(i + 2);
      });
    });

    describe('fenced saves (expected previous position)', () => {
      it('expected null inserts only when there is no checkpoint', async () => {
        expect(
          await repo.savePosition(id('f'), { position: 3, eventId: 'e3', expected: null }),
        ).toBe(true);
        const before = await repo.getCheckpoint(id('f'));
        expect(before).toMatchObject({ position: 3, lastEventId: 'e3', eventsProcessed: 1 });
        expect(await repo.savePosition(id('f'), { position: 9, expected: null })).toBe(false);
        expect(snapshot(await repo.getCheckpoint(id('f')))).toEqual(snapshot(before));
      });

      it('writes when the stored position is the expected one, and counts it', async () => {
        await repo.savePosition(id('f'), { position: 3 });
        expect(
          await repo.savePosition(id('f'), {
            position: 7,
            eventId: 'e7',
            eventType: 'T7',
            expected: 3,
          }),
        ).toBe(true);
        expect(await repo.getCheckpoint(id('f'))).toMatchObject({
          position: 7,
          lastEventId: 'e7',
          lastEventType: 'T7',
          eventsProcessed: 2,
        });
        expect(await repo.savePosition(id('f'), { position: 7, expected: 7 })).toBe(true);
        expect((await repo.getCheckpoint(id('f')))?.eventsProcessed).toBe(3);
      });

      it('refuses a stale expected position even when the new position is ahead (a zombie)', async () => {
        await repo.savePosition(id('f'), { position: 3 });
        // The owner moves on from 3 to 10; the zombie, which loaded 3, tries to save 12.
        expect(await repo.savePosition(id('f'), { position: 10, expected: 3 })).toBe(true);
        const before = await repo.getCheckpoint(id('f'));
        expect(await repo.savePosition(id('f'), { position: 12, expected: 3 })).toBe(false);
        expect(await repo.savePosition(id('f'), { position: 10, expected: 3 })).toBe(false);
        expect(snapshot(await repo.getCheckpoint(id('f')))).toEqual(snapshot(before));
      });

      it('refuses a save behind the expected position, and any expected position when none is stored', async () => {
        await repo.savePosition(id('f'), { position: 5 });
        expect(await repo.savePosition(id('f'), { position: 4, expected: 5 })).toBe(false);
        expect(await repo.getPosition(id('f'))).toBe(5);
        expect(await repo.savePosition(id('none'), { position: 8, expected: 5 })).toBe(false);
        expect(await repo.getCheckpoint(id('none'))).toBeNull();
        await repo.resetCheckpoint(id('f'));
        expect(await repo.savePosition(id('f'), { position: 6, expected: 5 })).toBe(false);
        expect(await repo.getCheckpoint(id('f'))).toBeNull();
      });

      it('compares expected strings exactly (a prefix or a longer string is not a match)', async () => {
        const at = cursor(2, 10);
        await repo.savePosition(id('fs'), { position: at });
        expect(
          await repo.savePosition(id('fs'), { position: cursor(3, 1), expected: at.slice(0, -1) }),
        ).toBe(false);
        expect(
          await repo.savePosition(id('fs'), { position: cursor(3, 1), expected: `${at}0` }),
        ).toBe(false);
        expect(await repo.savePosition(id('fs'), { position: cursor(3, 1), expected: at })).toBe(
          true,
        );
        expect(await repo.getPosition(id('fs'))).toBe(cursor(3, 1));
      });

      it('rejects a kind mismatch with the stored position with a CheckpointError', async () => {
        await repo.savePosition(id('fk'), { position: 5 });
        await expect(
          repo.savePosition(id('fk'), { position: 'a', expected: 'a' }),
        ).rejects.toBeInstanceOf(CheckpointError);
        await expect(
          repo.savePosition(id('fk'), { position: 'a', expected: null }),
        ).rejects.toBeInstanceOf(CheckpointError);
        expect(await repo.getPosition(id('fk'))).toBe(5);
      });

      it('rejects an expected position of the other kind with ES_INVALID_CONFIG and writes nothing', async () => {
        await repo.savePosition(id('fk'), { position: 5 });
        await expect(
          repo.savePosition(id('fk'), { position: 6, expected: '5' }),
        ).rejects.toMatchObject({ code: 'ES_INVALID_CONFIG' });
        expect(await repo.getPosition(id('fk'))).toBe(5);
      });

      it(`of ${concurrency} concurrent saves with the same expected position exactly one writes`, async () => {
        await repo.savePosition(id('fc'), { position: 1 });
        const positions = Array.from({ length: concurrency }, (_, i) => 2 + i);
        const results = await Promise.all(
          positions.map((position) =>
            repo.savePosition(id('fc'), { position, eventId: `e${position}`, expected: 1 }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = positions[results.indexOf(true)];
        const checkpoint = await repo.getCheckpoint(id('fc'));
        expect(checkpoint).toMatchObject({
          position: winner,
          lastEventId: `e${winner}`,
          eventsProcessed: 2,
        });
      });

      it(`of ${concurrency} concurrent first saves (expected null) exactly one writes`, async () => {
        const positions = Array.from({ length: concurrency }, (_, i) => cursor(1, i));
        const results = await Promise.all(
          positions.map((position) => repo.savePosition(id('fn'), { position, expected: null })),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await repo.getPosition(id('fn'))).toBe(positions[results.indexOf(true)]);
        expect((await repo.getCheckpoint(id('fn')))?.eventsProcessed).toBe(1);
      });
    });

    describe('model', () => {
      it(`matches a reference model over ${modelSteps} seeded random operations`, async () => {
        const random = mulberry32(seed);
        const ids = ['p', 'q', 'r'];
        const model = new Map<string, { position: Position; count: number }>();
        for (let step = 0; step < modelSteps; step++) {
          const sid = id(ids[Math.floor(random() * ids.length)] as string);
          const roll = random();
          if (roll < 0.08) {
            await repo.resetCheckpoint(sid);
            model.delete(sid);
          } else {
            const position: Position =
              roll < 0.7 ? Math.floor(random() * 40) : cursor(Math.floor(random() * 4), step);
            const current = model.get(sid);
            const context = `step ${step}: save ${JSON.stringify(position)} to ${sid} over ${JSON.stringify(current?.position ?? null)}`;
            if (current !== undefined && typeof current.position !== typeof position) {
              await expect(repo.savePosition(sid, { position }), context).rejects.toBeInstanceOf(
                CheckpointError,
              );
            } else {
              // Half of the saves are fenced: on the stored position, or on a stale one.
              const fence = random();
              let input: { position: Position; expected?: Position | null } = { position };
              let fenceHolds = true;
              if (fence < 0.25) {
                input = { position, expected: current?.position ?? null };
              } else if (fence < 0.5) {
                const stale: Position | null =
                  typeof position === 'number' ? Math.floor(random() * 40) : cursor(0, step);
                input = { position, expected: stale };
                fenceHolds = current !== undefined && current.position === stale;
              }
              const expected =
                fenceHolds && (current === undefined || !(position < current.position));
              expect(
                await repo.savePosition(sid, input),
                `${context} expecting ${JSON.stringify(input.expected)}`,
              ).toBe(expected);
              if (expected) {
                model.set(sid, { position, count: (current?.count ?? 0) + 1 });
              }
            }
          }
          const expected = model.get(sid);
          const actual = await repo.getCheckpoint(sid);
          expect(
            actual === null ? null : { position: actual.position, count: actual.eventsProcessed },
            `step ${step}`,
          ).toEqual(expected === undefined ? null : expected);
        }
      });
    });
  });
}

/** A zero-padded, order-preserving `(transaction id, position)` cursor. */
function cursor(transactionId: number, position: number): string {
  return `${String(transactionId).padStart(16, '0')}:${String(position).padStart(16, '0')}`;
}

function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function snapshot(checkpoint: CheckpointData | null): unknown {
  if (checkpoint === null) return null;
  return { ...checkpoint, lastProcessedAt: checkpoint.lastProcessedAt.getTime() };
}

function expectPlausibleDate(value: unknown, min: number, max: number): void {
  expect(value).toBeInstanceOf(Date);
  const time = (value as Date).getTime();
  expect(Number.isNaN(time)).toBe(false);
  expect(time).toBeGreaterThanOrEqual(min);
  expect(time).toBeLessThanOrEqual(max);
}

function tryToMutate(checkpoint: CheckpointData | null | undefined): void {
  if (checkpoint == null) return;
  try {
    (checkpoint as { position: Position }).position = 999_999;
    (checkpoint as { eventsProcessed: number }).eventsProcessed = 999_999;
    checkpoint.lastProcessedAt.setTime(0);
  } catch {
    // Frozen copies are fine too.
  }
}

function shuffle<T>(items: T[], seed: number): T[] {
  const random = mulberry32(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A small seeded PRNG (mulberry32), so failures reproduce. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
