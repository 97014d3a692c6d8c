import { describe, expect, it } from 'vitest';
import {
  ALL_DLQ_STATUSES,
  canMarkRetrying,
  canSettle,
  isDLQStatus,
  isUnresolvedDLQStatus,
  SETTLED_DLQ_STATUSES,
  statusAfterUpsert,
} from './dlq-lifecycle.js';
import { DLQStatus, UNRESOLVED_DLQ_STATUSES } from './dlq-repository.js';

describe('DLQ lifecycle rules', () => {
  it('splits the statuses into unresolved and settled', () => {
    expect([...UNRESOLVED_DLQ_STATUSES, ...SETTLED_DLQ_STATUSES].sort()).toEqual(
      [...ALL_DLQ_STATUSES].sort(),
    );
    expect(ALL_DLQ_STATUSES.filter(isUnresolvedDLQStatus)).toEqual([
      'failed',
      'retrying',
      'parked',
    ]);
    expect(Object.values(DLQStatus).sort()).toEqual([...ALL_DLQ_STATUSES].sort());
  });

  it('recognises statuses', () => {
    for (const status of ALL_DLQ_STATUSES) expect(isDLQStatus(status)).toBe(true);
    for (const other of ['FAILED', '', null, 1, undefined]) expect(isDLQStatus(other)).toBe(false);
  });

  it('lets markRetrying claim failed and parked entries only', () => {
    expect(ALL_DLQ_STATUSES.filter(canMarkRetrying)).toEqual(['failed', 'parked']);
  });

  it('lets markResolved / markDiscarded settle unresolved entries only', () => {
    expect(ALL_DLQ_STATUSES.filter(canSettle)).toEqual(['failed', 'retrying', 'parked']);
  });

  it.each([
    [null, 'failed', 'failed'],
    [null, 'parked', 'parked'],
    ['failed', 'failed', 'failed'],
    ['failed', 'parked', 'failed'],
    ['retrying', 'failed', 'failed'],
    ['retrying', 'parked', 'retrying'],
    ['parked', 'failed', 'failed'],
    ['parked', 'parked', 'parked'],
    ['resolved', 'failed', 'failed'],
    ['resolved', 'parked', 'parked'],
    ['discarded', 'failed', 'failed'],
    ['discarded', 'parked', 'parked'],
  ] as const)('an upsert of %s with %s leaves %s', (current, requested, expected) => {
    expect(statusAfterUpsert(current, requested)).toBe(expected);
  });
});
