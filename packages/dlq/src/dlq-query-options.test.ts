import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DLQ_QUERY_LIMIT,
  resolveGetFailedEventsOptions,
  resolveListEntriesOptions,
  resolveOlderThanDays,
} from './dlq-query-options.js';
import type { DLQEntry, DLQStatus } from './dlq-repository.js';
import { UNRESOLVED_DLQ_STATUSES } from './dlq-repository.js';

const invalid = (field: string) => expect.objectContaining({ code: 'ES_INVALID_CONFIG', field });

describe('resolveGetFailedEventsOptions', () => {
  it('defaults to failed entries, 100 at most', () => {
    expect(resolveGetFailedEventsOptions(undefined)).toEqual({
      projectionName: undefined,
      status: 'failed',
      limit: 100,
    });
    expect(
      resolveGetFailedEventsOptions({ projectionName: 'p', status: 'parked', limit: 0 }),
    ).toEqual({
      projectionName: 'p',
      status: 'parked',
      limit: 0,
    });
    expect(DEFAULT_DLQ_QUERY_LIMIT).toBe(100);
  });

  it('names the field that breaks a rule', () => {
    expect(() => resolveGetFailedEventsOptions({ limit: -1 })).toThrow(
      invalid('getFailedEvents.limit'),
    );
    expect(() => resolveGetFailedEventsOptions({ limit: Number.POSITIVE_INFINITY })).toThrow(
      invalid('getFailedEvents.limit'),
    );
    expect(() => resolveGetFailedEventsOptions({ status: 'x' as DLQStatus })).toThrow(
      invalid('getFailedEvents.status'),
    );
    expect(() => resolveGetFailedEventsOptions({ projectionName: 1 as unknown as string })).toThrow(
      invalid('getFailedEvents.projectionName'),
    );
  });
});

describe('resolveListEntriesOptions', () => {
  it('defaults to the unresolved statuses, 100 at most', () => {
    const resolved = resolveListEntriesOptions(undefined);
    expect(resolved.statuses).toEqual(UNRESOLVED_DLQ_STATUSES);
    expect(resolved.limit).toBe(100);
    expect(resolved.after).toBeUndefined();
  });

  it('accepts an entry as the cursor and rejects anything else', () => {
    const after = {
      id: '1',
      streamId: null,
      streamPosition: null,
      firstFailedAt: new Date(0),
    } as DLQEntry;
    expect(resolveListEntriesOptions({ after }).after).toBe(after);
    expect(() =>
      resolveListEntriesOptions({ after: { ...after, firstFailedAt: new Date(Number.NaN) } }),
    ).toThrow(invalid('listEntries.after'));
    expect(() =>
      resolveListEntriesOptions({ after: { ...after, id: 1 as unknown as string } }),
    ).toThrow(invalid('listEntries.after'));
  });

  it('names the field that breaks a rule', () => {
    expect(() => resolveListEntriesOptions({ limit: 1.5 })).toThrow(invalid('listEntries.limit'));
    expect(() =>
      resolveListEntriesOptions({ statuses: 'failed' as unknown as DLQStatus[] }),
    ).toThrow(invalid('listEntries.statuses'));
    expect(() => resolveListEntriesOptions({ ids: [1 as unknown as string] })).toThrow(
      invalid('listEntries.ids'),
    );
    expect(() => resolveListEntriesOptions({ streamId: 5 as unknown as string })).toThrow(
      invalid('listEntries.streamId'),
    );
    expect(() => resolveListEntriesOptions({ eventType: null as unknown as string })).toThrow(
      invalid('listEntries.eventType'),
    );
  });
});

describe('resolveOlderThanDays', () => {
  it('defaults to 30 and accepts any finite number >= 0', () => {
    expect(resolveOlderThanDays(undefined)).toBe(30);
    expect(resolveOlderThanDays(0)).toBe(0);
    expect(resolveOlderThanDays(0.25)).toBe(0.25);
  });

  it('rejects negative and non-finite values', () => {
    for (const bad of [-0.1, Number.NaN, Number.POSITIVE_INFINITY, '1' as unknown as number]) {
      expect(() => resolveOlderThanDays(bad)).toThrow(
        invalid('deleteResolvedEvents.olderThanDays'),
      );
    }
  });
});
