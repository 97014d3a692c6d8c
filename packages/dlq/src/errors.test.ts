import { EventSourceError, InvalidConfigError, isEventSourceError } from '@es/core';
import { describe, expect, it } from 'vitest';
import { DLQError, isDLQError, RedriveError } from './errors.js';
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
});
