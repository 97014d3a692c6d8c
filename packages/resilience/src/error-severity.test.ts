import { InvalidConfigError } from '@es/core';
import { describe, expect, it } from 'vitest';
import {
  compareSeverity,
  ERROR_SEVERITIES,
  ErrorSeverity,
  severityAtLeast,
  severityRank,
} from './error-severity.js';

describe('ErrorSeverity', () => {
  it('has lowercase values ordered low < medium < high < critical', () => {
    expect(ErrorSeverity).toEqual({
      LOW: 'low',
      MEDIUM: 'medium',
      HIGH: 'high',
      CRITICAL: 'critical',
    });
    expect(ERROR_SEVERITIES).toEqual(['low', 'medium', 'high', 'critical']);
    expect(ERROR_SEVERITIES.map(severityRank)).toEqual([0, 1, 2, 3]);
  });

  it('orders by rank, not alphabetically (CONTRACT §9 #3)', () => {
    // Alphabetically 'critical' < 'high'; on the scale it is above.
    expect(compareSeverity('critical', 'high')).toBeGreaterThan(0);
    expect(compareSeverity('low', 'medium')).toBeLessThan(0);
    expect(compareSeverity('high', 'high')).toBe(0);
    expect(severityAtLeast('critical', ErrorSeverity.HIGH)).toBe(true);
    expect(severityAtLeast('high', ErrorSeverity.HIGH)).toBe(true);
    expect(severityAtLeast('medium', ErrorSeverity.HIGH)).toBe(false);
    expect(['critical', 'low', 'high', 'medium'].sort(compareSeverity as never)).toEqual([
      'low',
      'medium',
      'high',
      'critical',
    ]);
  });

  it('rejects values outside the scale', () => {
    expect(() => severityRank('urgent' as never)).toThrow(InvalidConfigError);
    expect(() => severityAtLeast('toString' as never, 'low')).toThrow(InvalidConfigError);
  });
});
