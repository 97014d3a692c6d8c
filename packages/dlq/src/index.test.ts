import { describe, expect, it } from 'vitest';
import * as dlq from './index.js';
import * as testing from './testing.js';

describe('public surface', () => {
  it('exports the runtime API of @es/dlq by name', () => {
    expect(Object.keys(dlq).sort()).toEqual(
      [
        'ALL_DLQ_STATUSES',
        'DAY_MS',
        'DEFAULT_DLQ_QUERY_LIMIT',
        'DEFAULT_REDRIVE_LEASE_MS',
        'DEFAULT_REDRIVE_PAGE_SIZE',
        'DEFAULT_REDRIVE_REPORT_ENTRIES',
        'DEFAULT_RETENTION_DAYS',
        'DLQError',
        'DLQOverflowError',
        'DLQStatus',
        'InMemoryDLQRepository',
        'MAX_DLQ_LEASE_MS',
        'MAX_ERROR_MESSAGE_LENGTH',
        'MAX_ERROR_STACKTRACE_LENGTH',
        'MAX_EVENT_DATA_DEPTH',
        'RedriveError',
        'RedriveOutcome',
        'SETTLED_DLQ_STATUSES',
        'UNRESOLVED_DLQ_STATUSES',
        'UNSERIALIZABLE_MARKER_PREFIX',
        'canMarkRetrying',
        'canSettle',
        'compareCodePoints',
        'compareEntryIds',
        'compareOrderKeys',
        'compareStreamOrder',
        'describeFailure',
        'isDLQError',
        'isDLQOverflowError',
        'isDLQStatus',
        'isUnresolvedDLQStatus',
        'normalizeFailedEvent',
        'redrive',
        'resolveClaimLease',
        'resolveDLQLimits',
        'resolveGetFailedEventsOptions',
        'resolveLeaseMs',
        'resolveListEntriesOptions',
        'resolveOlderThanDays',
        'statusAfterUpsert',
        'toJsonSafeEventData',
        'truncateText',
        'truncationMarker',
      ].sort(),
    );
  });

  it('exports the conformance kit from @es/dlq/testing', () => {
    expect(Object.keys(testing).sort()).toEqual([
      'createManualClock',
      'describeDLQRepositoryConformance',
    ]);
  });

  it('keeps the enumerations lowercase, as in Python', () => {
    expect(dlq.DLQStatus).toEqual({
      FAILED: 'failed',
      RETRYING: 'retrying',
      RESOLVED: 'resolved',
      PARKED: 'parked',
      DISCARDED: 'discarded',
    });
    expect(Object.values(dlq.RedriveOutcome)).toEqual([
      'succeeded',
      'failed',
      'skipped_behind_failure',
      'skipped_unavailable',
      'would_process',
    ]);
  });
});
