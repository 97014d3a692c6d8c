import { InvalidConfigError } from '@es/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calculateBackoff } from './calculate-backoff.js';
import { type JitterStrategy, RetryConfig } from './retry-config.js';

const constant = (value: number) => () => value;

describe('calculateBackoff', () => {
  it('is 0-based and doubles up to the cap without jitter (CONTRACT §4 sequence)', () => {
    const config = new RetryConfig({
      initialDelayMs: 1000,
      exponentialBase: 2,
      maxDelayMs: 60_000,
      jitter: 0,
    });
    const delays = Array.from({ length: 8 }, (_, attempt) => calculateBackoff(attempt, config));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('accepts a plain partial config object', () => {
    expect(calculateBackoff(2, { initialDelayMs: 10, jitter: 0 })).toBe(40);
  });

  it('spreads the delay by ±jitter·d (random 0 → lower bound, random 1 → upper bound)', () => {
    const config = new RetryConfig({ initialDelayMs: 1000, jitter: 0.1 });
    expect(calculateBackoff(0, config, constant(0))).toBeCloseTo(900, 9);
    expect(calculateBackoff(0, config, constant(0.5))).toBeCloseTo(1000, 9);
    expect(calculateBackoff(0, config, constant(1))).toBeCloseTo(1100, 9);
    expect(calculateBackoff(3, config, constant(0))).toBeCloseTo(7200, 9);
  });

  it('never exceeds maxDelayMs, even with upward jitter at the cap (Python could)', () => {
    const config = new RetryConfig({ initialDelayMs: 1000, maxDelayMs: 5000, jitter: 0.5 });
    // Python: min(16000, 5000) = 5000, then + 0.5·5000 → 7500 > max_delay.
    expect(calculateBackoff(4, config, constant(1))).toBe(5000);
    expect(calculateBackoff(4, config, constant(0))).toBe(2500);
  });

  it('uses the full-jitter formula U(0, d)', () => {
    const config = new RetryConfig({ initialDelayMs: 100, jitterStrategy: 'full' });
    expect(calculateBackoff(2, config, constant(0))).toBe(0);
    expect(calculateBackoff(2, config, constant(0.5))).toBe(200);
    expect(calculateBackoff(2, config, constant(1))).toBe(400);
  });

  it('uses the decorrelated formula U(base, 3·previous), capped', () => {
    const config = new RetryConfig({
      initialDelayMs: 100,
      maxDelayMs: 1000,
      jitterStrategy: 'decorrelated',
    });
    expect(calculateBackoff(0, config, constant(0))).toBe(100);
    expect(calculateBackoff(0, config, constant(1))).toBe(300);
    expect(calculateBackoff(5, config, constant(1), 250)).toBe(750);
    expect(calculateBackoff(5, config, constant(1), 900)).toBe(1000);
    // Without a previous delay, the un-jittered previous exponential delay is assumed.
    expect(calculateBackoff(1, config, constant(1))).toBe(300);
  });

  it('stays finite for huge attempts and a zero initial delay', () => {
    expect(calculateBackoff(5000, { jitter: 0 })).toBe(60_000);
    expect(calculateBackoff(5000, { initialDelayMs: 0, maxDelayMs: 0 })).toBe(0);
    expect(calculateBackoff(5000, { initialDelayMs: 0, maxDelayMs: 10 })).toBe(0);
  });

  it('clamps a misbehaving random source', () => {
    const config = new RetryConfig({ initialDelayMs: 1000, jitter: 0.1 });
    expect(calculateBackoff(0, config, constant(Number.NaN))).toBeCloseTo(900, 9);
    expect(calculateBackoff(0, config, constant(7))).toBeCloseTo(1100, 9);
    expect(calculateBackoff(0, config, constant(-3))).toBeCloseTo(900, 9);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects attempt %s', (attempt) => {
    expect(() => calculateBackoff(attempt, {})).toThrow(InvalidConfigError);
    try {
      calculateBackoff(attempt, {});
    } catch (error) {
      expect((error as InvalidConfigError).field).toBe('calculateBackoff.attempt');
    }
  });

  it('validates a plain config', () => {
    expect(() => calculateBackoff(0, { jitter: 2 })).toThrow(InvalidConfigError);
  });

  describe('properties', () => {
    const configArb = fc.record({
      initialDelayMs: fc.double({ min: 0, max: 100_000, noNaN: true }),
      extra: fc.double({ min: 0, max: 1_000_000, noNaN: true }),
      exponentialBase: fc.double({ min: 1, max: 10, noNaN: true }),
      jitter: fc.double({ min: 0, max: 1, noNaN: true }),
      jitterStrategy: fc.constantFrom<JitterStrategy>('proportional', 'full', 'decorrelated'),
    });
    type Generated = {
      initialDelayMs: number;
      extra: number;
      exponentialBase: number;
      jitter: number;
      jitterStrategy: JitterStrategy;
    };
    const toConfig = (c: Generated) =>
      new RetryConfig({
        initialDelayMs: c.initialDelayMs,
        maxDelayMs: Math.min(c.initialDelayMs + c.extra, 2_147_483_647),
        exponentialBase: c.exponentialBase,
        jitter: c.jitter,
        jitterStrategy: c.jitterStrategy,
      });

    it('always lies within [0, maxDelayMs]', () => {
      fc.assert(
        fc.property(
          configArb,
          fc.nat(2000),
          fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          fc.option(fc.double({ min: 0, max: 1e7, noNaN: true }), { nil: undefined }),
          (c, attempt, r, previous) => {
            const config = toConfig(c);
            const delay = calculateBackoff(attempt, config, () => r, previous);
            expect(Number.isFinite(delay)).toBe(true);
            expect(delay).toBeGreaterThanOrEqual(0);
            expect(delay).toBeLessThanOrEqual(config.maxDelayMs);
          },
        ),
      );
    });

    it('proportional jitter stays within d·(1 ± jitter), clamped to the cap', () => {
      fc.assert(
        fc.property(
          configArb,
          fc.nat(100),
          fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          (c, attempt, r) => {
            const config = toConfig({ ...c, jitterStrategy: 'proportional' });
            const d = Math.min(
              config.initialDelayMs * config.exponentialBase ** attempt,
              config.maxDelayMs,
            );
            const delay = calculateBackoff(attempt, config, () => r);
            const tolerance = 1e-9 * Math.max(1, d);
            expect(delay).toBeGreaterThanOrEqual(d * (1 - config.jitter) - tolerance);
            expect(delay).toBeLessThanOrEqual(
              Math.min(config.maxDelayMs, d * (1 + config.jitter)) + tolerance,
            );
          },
        ),
      );
    });

    it('is monotonically non-decreasing in the attempt without jitter', () => {
      fc.assert(
        fc.property(configArb, fc.nat(200), (c, attempt) => {
          const config = toConfig({ ...c, jitter: 0, jitterStrategy: 'proportional' });
          expect(calculateBackoff(attempt + 1, config)).toBeGreaterThanOrEqual(
            calculateBackoff(attempt, config),
          );
        }),
      );
    });

    it('full jitter stays within [0, min(cap, base·factor^n)]', () => {
      fc.assert(
        fc.property(
          configArb,
          fc.nat(100),
          fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          (c, attempt, r) => {
            const config = toConfig({ ...c, jitterStrategy: 'full' });
            const d = Math.min(
              config.initialDelayMs * config.exponentialBase ** attempt,
              config.maxDelayMs,
            );
            const delay = calculateBackoff(attempt, config, () => r);
            expect(delay).toBeGreaterThanOrEqual(0);
            expect(delay).toBeLessThanOrEqual(d + 1e-9 * Math.max(1, d));
          },
        ),
      );
    });
  });
});
