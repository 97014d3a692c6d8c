import { describe, expect, it } from 'vitest';
import type { AddFailedEventInput } from './dlq-repository.js';
import { normalizeFailedEvent } from './normalize-failed-event.js';

const base: AddFailedEventInput = {
  eventId: 'e-1',
  projectionName: 'p',
  eventType: 'T',
  eventData: { a: 1 },
  error: new Error('boom'),
};

describe('normalizeFailedEvent', () => {
  it('fills defaults and describes the error', () => {
    const row = normalizeFailedEvent(base);
    expect(row).toMatchObject({
      eventId: 'e-1',
      projectionName: 'p',
      eventType: 'T',
      eventData: { a: 1 },
      errorMessage: 'boom',
      retryCount: 0,
      status: 'failed',
      streamId: null,
      streamPosition: null,
      position: null,
    });
    expect(row.errorStacktrace).toMatch(/^Error: boom\n/);
    expect(Object.isFrozen(row.eventData)).toBe(true);
    expect(row.eventData).not.toBe(base.eventData);
  });

  it('keeps given bookkeeping fields', () => {
    const row = normalizeFailedEvent({
      ...base,
      retryCount: 4,
      status: 'parked',
      streamId: 's',
      streamPosition: 0,
      position: 'c-1',
    });
    expect(row).toMatchObject({
      retryCount: 4,
      status: 'parked',
      streamId: 's',
      streamPosition: 0,
      position: 'c-1',
    });
    expect(normalizeFailedEvent({ ...base, eventType: '' }).eventType).toBe('');
  });

  it.each([
    ['eventId', { eventId: '' }],
    ['eventId', { eventId: 7 }],
    ['projectionName', { projectionName: '' }],
    ['eventType', { eventType: undefined }],
    ['retryCount', { retryCount: -1 }],
    ['retryCount', { retryCount: Number.NaN }],
    ['status', { status: 'retrying' }],
    ['streamId', { streamId: 3 }],
    ['streamPosition', { streamPosition: 1.5 }],
    ['position', { position: Number.POSITIVE_INFINITY }],
    ['position', { position: {} }],
  ])('rejects a bad %s with ES_INVALID_CONFIG naming it', (field, override) => {
    expect(() =>
      normalizeFailedEvent({ ...base, ...(override as object) } as AddFailedEventInput),
    ).toThrow(
      expect.objectContaining({ code: 'ES_INVALID_CONFIG', field: `addFailedEvent.${field}` }),
    );
  });

  it('rejects input that is not an object', () => {
    expect(() => normalizeFailedEvent(null as unknown as AddFailedEventInput)).toThrow(
      expect.objectContaining({ code: 'ES_INVALID_CONFIG', field: 'addFailedEvent.input' }),
    );
  });

  it('never rejects a payload or an error', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    const row = normalizeFailedEvent({ ...base, eventData: cyclic, error: Symbol('x') });
    expect(typeof row.eventData.me).toBe('string');
    expect(row.errorMessage).toBe('Symbol(x)');
  });
});
