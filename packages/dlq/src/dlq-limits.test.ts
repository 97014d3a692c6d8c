import { describe, expect, it } from 'vitest';
import {
  MAX_DLQ_LEASE_MS,
  resolveClaimLease,
  resolveDLQLimits,
  resolveLeaseMs,
} from './dlq-limits.js';

const invalid = (field: string) => expect.objectContaining({ code: 'ES_INVALID_CONFIG', field });

describe('resolveDLQLimits', () => {
  it('leaves absent limits unlimited and keeps valid ones', () => {
    expect(resolveDLQLimits('Repo', {})).toEqual({
      maxEntriesPerProjection: null,
      maxEntriesPerStream: null,
    });
    expect(
      resolveDLQLimits('Repo', { maxEntriesPerProjection: 1, maxEntriesPerStream: 5 }),
    ).toEqual({ maxEntriesPerProjection: 1, maxEntriesPerStream: 5 });
  });

  it('rejects limits that are not integers >= 1, naming the owner and field', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '2', null]) {
      expect(() => resolveDLQLimits('Repo', { maxEntriesPerProjection: bad as number })).toThrow(
        invalid('Repo.maxEntriesPerProjection'),
      );
      expect(() => resolveDLQLimits('Repo', { maxEntriesPerStream: bad as number })).toThrow(
        invalid('Repo.maxEntriesPerStream'),
      );
    }
  });
});

describe('claim leases', () => {
  it('no options or no leaseMs means no expiry', () => {
    expect(resolveClaimLease(undefined)).toBeNull();
    expect(resolveClaimLease({})).toBeNull();
    expect(resolveLeaseMs('f', null)).toBeNull();
  });

  it('accepts integers from 1 to MAX_DLQ_LEASE_MS', () => {
    expect(resolveClaimLease({ leaseMs: 1 })).toBe(1);
    expect(resolveClaimLease({ leaseMs: MAX_DLQ_LEASE_MS })).toBe(MAX_DLQ_LEASE_MS);
  });

  it('rejects other leases and non-object options', () => {
    for (const bad of [0, -1, 0.5, MAX_DLQ_LEASE_MS + 1, Number.NaN, '10']) {
      expect(() => resolveClaimLease({ leaseMs: bad })).toThrow(invalid('markRetrying.leaseMs'));
    }
    for (const bad of [null, 5, 'x']) {
      expect(() => resolveClaimLease(bad)).toThrow(invalid('markRetrying.options'));
    }
  });
});
