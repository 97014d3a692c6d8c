import { EventSourceError, InvalidConfigError, isEventSourceError } from '@es/core';
import { describe, expect, it } from 'vitest';
import {
  DLQError,
  DLQOverflowError,
  isDLQError,
  isDLQOverflowError,
  RedriveError,
} from './errors.js';
import type { RedriveReport } from './redrive.js';

const report = { selected: 0 } as RedriveReport;

describe('DLQ errors', () => {
  it('DLQError is an EventSourceError with code ES_DLQ', () => {
    const error = new DLQError('broken');
    expect(error).toBeInstanceOf(EventSourceError);
    expect(isEventSourceError(error)).toBe(true);
    expect(error.name).toBe('DLQError');
    expect(error.code).toBe('ES_DLQ');
  });

  it('RedriveError carries the partial report, the entry and the cause', () => {
    const cause = new Error('db down');
    const error = new RedriveError('stopped', report, '7', { cause });
    expect(error).toBeInstanceOf(DLQError);
    expect(error.name).toBe('RedriveError');
    expect(error.code).toBe('ES_DLQ_REDRIVE');
    expect(error.report).toBe(report);
    expect(error.entryId).toBe('7');
    expect(error.cause).toBe(cause);
  });

  it('isDLQError recognises the DLQ family by brand and code only', () => {
    expect(isDLQError(new DLQError('x'))).toBe(true);
    expect(isDLQError(new RedriveError('x', report, null))).toBe(true);
    expect(isDLQError(new InvalidConfigError('f', 'r'))).toBe(false);
    expect(isDLQError(new Error('x'))).toBe(false);
    expect(isDLQError({ code: 'ES_DLQ' })).toBe(false);
    expect(isDLQError(null)).toBe(false);
  });

  it('DLQOverflowError names the limit, its value, the projection, the stream and the event', () => {
    const perStream = new DLQOverflowError('maxEntriesPerStream', 2, 'p', 's', 'e1');
    expect(perStream).toBeInstanceOf(DLQError);
    expect(perStream).toMatchObject({
      name: 'DLQOverflowError',
      code: 'ES_DLQ_OVERFLOW',
      limit: 'maxEntriesPerStream',
      max: 2,
      projectionName: 'p',
      streamId: 's',
      eventId: 'e1',
    });
    expect(perStream.message).toContain('stream s of projection p');
    const perProjection = new DLQOverflowError('maxEntriesPerProjection', 9, 'p', null, 'e2');
    expect(perProjection.message).toContain('projection p already has 9');
    expect(isDLQError(perProjection)).toBe(true);
    expect(isDLQOverflowError(perProjection)).toBe(true);
    expect(isDLQOverflowError(new DLQError('x'))).toBe(false);
    expect(isDLQOverflowError({ code: 'ES_DLQ_OVERFLOW' })).toBe(false);
  });
});
