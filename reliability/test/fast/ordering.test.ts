/**
 * B6 (per-stream order with parallel workers) and B8 (the cursor codec) without a database.
 * B1–B5 and B7 are PostgreSQL interleavings (integration tier).
 */
import { InvalidConfigError } from '@es/core';
import { decodePosition, encodePosition } from '@es/store-postgres';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeResult } from '../../src/history/checker.js';
import { History } from '../../src/history/history.js';
import { figuresOf, recordFigures } from '../../src/support/figures.js';
import { memoryStack, memoryStored, recordingProjection } from '../../src/support/memory.js';
import { seededRandom, seedFromEnv, sleep, Writer } from '../../src/support/workload.js';

describe('B6: per-stream order with parallel workers', () => {
  it('4 subscriptions with random handler delays, appends racing them: every stream in version order everywhere', async () => {
    const seed = seedFromEnv();
    const random = seededRandom(seed);
    const stack = memoryStack();
    const history = new History();
    const writer = new Writer(stack.store, history);
    await writer.run({ events: 400, streams: 10, batch: 2 });
    const manager = stack.manager({ pollIntervalMs: 1 });
    const names = ['w1', 'w2', 'w3', 'w4'];
    for (const [i, name] of names.entries()) {
      manager.subscribe(
        recordingProjection(name, history, {
          before: () => (random() < 0.3 ? sleep(Math.floor(random() * 2)) : undefined),
        }),
        { batchSize: [1, 7, 50, 200][i] as number },
      );
    }
    await manager.start();
    await writer.run({
      events: 400,
      streams: 10,
      concurrency: 3,
      pauseMs: () => (random() < 0.1 ? 1 : 0),
    });
    await manager.whenIdle();
    await manager.stop();
    const result = history.check({ stored: await memoryStored(stack.store), subscribers: names });
    recordFigures(
      figuresOf('B6', 'memory', result, {
        faults: 0,
        notes: `4 parallel subscriptions (batch 1, 7, 50, 200), random handler delays, 3 concurrent appenders; figures summed over the 4; seed ${seed}`,
      }),
    );
    expect(result.anomalies, `seed ${seed}\n${describeResult(result)}`).toEqual([]);
  });
});

describe('B8: the PostgreSQL cursor codec', () => {
  const MAX_XID8 = 2n ** 64n - 1n;
  const tx = fc.bigInt({ min: 0n, max: MAX_XID8 });
  const gp = fc.maxSafeNat();

  it('round-trips every (transaction id, global position)', () => {
    fc.assert(
      fc.property(tx, gp, (t, p) => {
        const encoded = encodePosition(t, p);
        expect(decodePosition(encoded)).toEqual({ transactionId: t.toString(), globalPosition: p });
        expect(encodePosition(t.toString(), p)).toBe(encoded);
      }),
      { numRuns: 2_000 },
    );
  });

  it('orders strings exactly as tuples: a < b ⇔ enc(a) < enc(b)', () => {
    fc.assert(
      fc.property(tx, gp, tx, gp, (t1, p1, t2, p2) => {
        const tuple = t1 === t2 ? Math.sign(p1 - p2) : t1 < t2 ? -1 : 1;
        const a = encodePosition(t1, p1);
        const b = encodePosition(t2, p2);
        const text = a === b ? 0 : a < b ? -1 : 1;
        expect(text).toBe(tuple);
      }),
      { numRuns: 5_000 },
    );
  });

  it('rejects anything that is not a cursor with a typed error', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        try {
          const decoded = decodePosition(text);
          expect(encodePosition(decoded.transactionId, decoded.globalPosition)).toBe(text);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidConfigError);
        }
      }),
      { numRuns: 2_000 },
    );
    expect(() => encodePosition(MAX_XID8 + 1n, 1)).toThrow(InvalidConfigError);
    expect(() => encodePosition(1n, -1)).toThrow(InvalidConfigError);
    expect(() => decodePosition(`${'9'.repeat(20)}-${'0'.repeat(20)}`)).toThrow(InvalidConfigError);
  });
});
