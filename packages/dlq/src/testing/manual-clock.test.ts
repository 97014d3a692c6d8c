import { describe, expect, it } from 'vitest';
import { createManualClock } from './manual-clock.js';

describe('createManualClock', () => {
  it('starts at 2025-01-01T00:00:00Z by default and moves only when told', () => {
    const clock = createManualClock();
    expect(clock.now()).toBe(Date.UTC(2025, 0, 1));
    clock.advance(1_500);
    expect(clock.now()).toBe(Date.UTC(2025, 0, 1) + 1_500);
    clock.set(42);
    expect(clock.now()).toBe(42);
    const { now } = createManualClock(7);
    expect(now()).toBe(7);
  });

  it('rejects non-finite times and negative steps', () => {
    const invalid = (field: string) =>
      expect.objectContaining({ code: 'ES_INVALID_CONFIG', field });
    expect(() => createManualClock(Number.NaN)).toThrow(invalid('createManualClock.startMs'));
    const clock = createManualClock();
    expect(() => clock.advance(-1)).toThrow(invalid('ManualClock.advance.ms'));
    expect(() => clock.advance(Number.POSITIVE_INFINITY)).toThrow(
      invalid('ManualClock.advance.ms'),
    );
    expect(() => clock.set(Number.NaN)).toThrow(invalid('ManualClock.set.ms'));
    expect(clock.now()).toBe(Date.UTC(2025, 0, 1));
  });
});
