import { InvalidConfigError } from '@es/core';
import { defaultClassifier, ErrorClassifier, ErrorSeverity, RetryConfig } from '@es/resilience';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { ErrorAction } from './error-action.js';
import { ErrorHandlingConfig, type ErrorHandlingConfigOptions } from './error-handling-config.js';
import { ErrorHandlingStrategy } from './error-handling-strategy.js';
import type { ErrorInfo } from './error-info.js';
import {
  BadDataError,
  BugError,
  FatalError,
  FlakyError,
  MinorError,
  makeEvent,
  makeStored,
  manualClock,
  RecordingDLQ,
  testClassifier,
} from './internal/test-support.js';
import { SubscriptionErrorHandler } from './subscription-error-handler.js';

const T0 = Date.parse('2025-06-01T00:00:00.000Z');

function setup(config: ErrorHandlingConfigOptions = {}, options: { withDlq?: boolean } = {}) {
  const time = manualClock(T0);
  const dlq = new RecordingDLQ();
  const handler = new SubscriptionErrorHandler({
    subscriptionName: 'TaskProjection',
    config: { retry: { maxRetries: 3, initialDelayMs: 0, jitter: 0 }, ...config },
    ...(options.withDlq === false ? {} : { dlqRepo: dlq.asRepo() }),
    classifier: testClassifier(),
    clock: time.clock,
  });
  return { handler, dlq, time };
}

describe('SubscriptionErrorHandler construction', () => {
  it('fills the contract defaults', () => {
    const handler = new SubscriptionErrorHandler({ subscriptionName: 'P' });
    expect(handler.subscriptionName).toBe('P');
    expect(handler.config).toBeInstanceOf(ErrorHandlingConfig);
    expect(handler.config.strategy).toBe('retry_then_dlq');
    expect(handler.config.notifyOnSeverity).toBe('high');
    expect(handler.config.retry).toBeInstanceOf(RetryConfig);
    expect(handler.classifier).toBe(defaultClassifier);
    expect(handler.dlqRepo).toBeUndefined();
    expect(handler.shouldContinue()).toBe(true);
    expect(handler.recentErrors).toEqual([]);
    expect(handler.stats).toMatchObject({ totalErrors: 0, dlqCount: 0, errorRatePerMinute: 0 });
  });

  it('accepts an ErrorHandlingConfig instance as is, or a plain object', () => {
    const config = new ErrorHandlingConfig({ strategy: 'stop' });
    expect(new SubscriptionErrorHandler({ subscriptionName: 'P', config }).config).toBe(config);
    const plain = new SubscriptionErrorHandler({
      subscriptionName: 'P',
      config: { strategy: 'dlq_only', retry: { maxRetries: 1 } },
    });
    expect(plain.config.strategy).toBe('dlq_only');
    expect(plain.config.retry.maxRetries).toBe(1);
  });

  it.each([
    [{ subscriptionName: '' }, 'SubscriptionErrorHandler.subscriptionName'],
    [{ subscriptionName: 42 }, 'SubscriptionErrorHandler.subscriptionName'],
    [{ subscriptionName: 'P', clock: 5 }, 'SubscriptionErrorHandler.clock'],
    [{ subscriptionName: 'P', serialize: 'x' }, 'SubscriptionErrorHandler.serialize'],
    [{ subscriptionName: 'P', classifier: {} }, 'SubscriptionErrorHandler.classifier'],
    [
      { subscriptionName: 'P', config: { maxRecentErrors: -1 } },
      'ErrorHandlingConfig.maxRecentErrors',
    ],
  ])('rejects bad options with InvalidConfigError naming the field (%#)', (options, field) => {
    const create = () => new SubscriptionErrorHandler(options as never);
    expect(create).toThrow(InvalidConfigError);
    try {
      create();
    } catch (error) {
      expect((error as InvalidConfigError).field).toBe(field);
      expect((error as InvalidConfigError).code).toBe('ES_INVALID_CONFIG');
    }
  });
});

describe('handleError → ErrorInfo', () => {
  it('fills every field from the stored event, the error and the clock', async () => {
    const { handler } = setup();
    const event = makeEvent({ eventType: 'TaskCompleted', aggregateId: 'task-9' });
    const storedEvent = makeStored(event, 42);
    const error = new BadDataError('Task task-9 not found');

    const info = await handler.handleError({ error, storedEvent, retryCount: 2 });

    expect(info).toMatchObject({
      eventId: event.eventId,
      eventType: 'TaskCompleted',
      position: 42,
      errorType: 'BadDataError',
      errorMessage: 'Task task-9 not found',
      errorStacktrace: error.stack,
      subscriptionName: 'TaskProjection',
      retryCount: 2,
      sentToDlq: true,
      dlqId: 'dlq-1',
      action: 'dlq',
    });
    expect(info.error).toBe(error);
    expect(info.timestamp).toEqual(new Date(T0));
    expect(info.classification).toMatchObject({
      category: 'application',
      severity: 'medium',
      retryable: false,
    });
    expect('dlqError' in info).toBe(false);
    expect(Object.isFrozen(info)).toBe(true);
  });

  it('uses a fresh UUID, "Unknown" and a null position when there is no event', async () => {
    const { handler, dlq } = setup({ strategy: 'dlq_only' });
    const a = await handler.handleError({ error: new BadDataError('x') });
    const b = await handler.handleError({ error: new BadDataError('y') });
    expect(a.eventId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(b.eventId).not.toBe(a.eventId);
    expect(a).toMatchObject({ eventType: 'Unknown', position: null, sentToDlq: true });
    expect(dlq.calls[0]).toMatchObject({
      eventData: {},
      streamId: null,
      streamPosition: null,
      position: null,
    });
  });

  it('prefers `event` over `storedEvent.event`, and still takes the position from storedEvent', async () => {
    const { handler } = setup();
    const event = makeEvent({ eventType: 'A' });
    const other = makeEvent({ eventType: 'B' });
    const info = await handler.handleError({
      error: new BadDataError('x'),
      event,
      storedEvent: makeStored(other, 3),
    });
    expect(info).toMatchObject({ eventId: event.eventId, eventType: 'A', position: 3 });
  });

  it('takes the retry count as given, defaulting to 0', async () => {
    const { handler } = setup();
    expect((await handler.handleError({ error: new FlakyError('x') })).retryCount).toBe(0);
    expect(
      (await handler.handleError({ error: new FlakyError('x'), retryCount: undefined })).retryCount,
    ).toBe(0);
  });

  it.each([-1, 1.5, Number.NaN, '2'])(
    'rejects retryCount %s with InvalidConfigError',
    async (n) => {
      const { handler } = setup();
      await expect(
        handler.handleError({ error: new Error('x'), retryCount: n as number }),
      ).rejects.toMatchObject({ code: 'ES_INVALID_CONFIG', field: 'handleError.retryCount' });
      expect(handler.stats.totalErrors).toBe(0);
    },
  );

  it('names non-Error values by typeof and stringifies them', async () => {
    const { handler } = setup({ strategy: 'continue' });
    const cases: [unknown, string, string][] = [
      ['boom', 'string', 'boom'],
      [42, 'number', '42'],
      [null, 'null', 'null'],
      [undefined, 'undefined', 'undefined'],
      [{ name: 'Custom', message: 'custom message' }, 'Custom', 'custom message'],
      [{ code: 'E1' }, 'Object', '{"code":"E1"}'],
    ];
    for (const [error, errorType, errorMessage] of cases) {
      const info = await handler.handleError({ error });
      expect({ errorType: info.errorType, errorMessage: info.errorMessage }).toEqual({
        errorType,
        errorMessage,
      });
      expect(info.errorStacktrace).toBeNull();
    }
  });

  it('names an Error subclass that keeps the inherited name by its constructor', async () => {
    class ProjectionBroke extends Error {}
    const { handler } = setup({ strategy: 'continue' });
    expect((await handler.handleError({ error: new ProjectionBroke('x') })).errorType).toBe(
      'ProjectionBroke',
    );
    expect((await handler.handleError({ error: new TypeError('x') })).errorType).toBe('TypeError');
  });

  it('treats a throwing classifier as unknown/medium/not retryable instead of failing', async () => {
    const handler = new SubscriptionErrorHandler({
      subscriptionName: 'P',
      config: { strategy: 'continue' },
      classifier: {
        classify() {
          throw new Error('rule bug');
        },
      },
    });
    const info = await handler.handleError({ error: new Error('x') });
    expect(info.classification).toMatchObject({
      category: 'unknown',
      severity: 'medium',
      retryable: false,
    });
    expect(info.classification.description).toContain('rule bug');
    expect(info.action).toBe('skip');
  });

  it('classifies with the default classifier when none is given', async () => {
    const handler = new SubscriptionErrorHandler({
      subscriptionName: 'P',
      config: { strategy: 'continue' },
    });
    const typeError = await handler.handleError({ error: new TypeError('bad') });
    expect(typeError.classification).toMatchObject({ category: 'application', severity: 'high' });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const transient = await handler.handleError({ error: reset });
    expect(transient.classification).toMatchObject({ category: 'transient', retryable: true });
  });
});

describe('the action table (CONTRACT §6, §9 #6)', () => {
  // retryable with retries left (retryCount 0 < maxRetries 3), retryable with retries spent
  // (retryCount 3), non-retryable.
  const table: [ErrorHandlingStrategy, ErrorAction, ErrorAction, ErrorAction][] = [
    ['stop', 'stop', 'stop', 'stop'],
    ['continue', 'skip', 'skip', 'skip'],
    ['retry_then_continue', 'retry', 'skip', 'skip'],
    ['retry_then_dlq', 'retry', 'dlq', 'dlq'],
    ['dlq_only', 'dlq', 'dlq', 'dlq'],
  ];
  const columns = [
    { label: 'retryable, retries left', error: () => new FlakyError('x'), retryCount: 0 },
    { label: 'retryable, retries spent', error: () => new FlakyError('x'), retryCount: 3 },
    { label: 'non-retryable', error: () => new BadDataError('x'), retryCount: 0 },
  ];
  const cases = table.flatMap(([strategy, ...actions]) =>
    columns.map((column, i) => ({ strategy, ...column, action: actions[i] as ErrorAction })),
  );

  it.each(cases)(
    '$strategy × $label → $action',
    async ({ strategy, error, retryCount, action }) => {
      const { handler, dlq } = setup({ strategy });
      const info = await handler.handleError({ error: error(), event: makeEvent(), retryCount });
      expect(info.action).toBe(action);
      expect(info.sentToDlq).toBe(action === 'dlq');
      expect(dlq.calls).toHaveLength(action === 'dlq' ? 1 : 0);
      expect(handler.stats.errorsByAction[action]).toBe(1);
    },
  );

  it.each(cases)(
    'dlqEnabled: false turns dlq into skip: $strategy × $label',
    async ({ strategy, error, retryCount, action }) => {
      const { handler, dlq } = setup({ strategy, dlqEnabled: false });
      const info = await handler.handleError({ error: error(), event: makeEvent(), retryCount });
      expect(info.action).toBe(action === 'dlq' ? 'skip' : action);
      expect(info.sentToDlq).toBe(false);
      expect(dlq.calls).toHaveLength(0);
    },
  );

  it('retries while retryCount < maxRetries, so an event runs at most maxRetries + 1 times', async () => {
    const { handler } = setup({ strategy: 'retry_then_dlq', retry: { maxRetries: 2 } });
    const actions: ErrorAction[] = [];
    for (let retryCount = 0; retryCount <= 2; retryCount++) {
      actions.push((await handler.handleError({ error: new FlakyError('x'), retryCount })).action);
    }
    expect(actions).toEqual(['retry', 'retry', 'dlq']);
  });

  it('maxRetries 0 never retries', async () => {
    const { handler } = setup({ strategy: 'retry_then_continue', retry: { maxRetries: 0 } });
    expect((await handler.handleError({ error: new FlakyError('x') })).action).toBe('skip');
  });

  it('RETRY_THEN_CONTINUE never dead-letters a permanent error (eventsource-py does)', async () => {
    const { handler, dlq } = setup({ strategy: 'retry_then_continue' });
    const info = await handler.handleError({ error: new BadDataError('x'), event: makeEvent() });
    expect(info.action).toBe('skip');
    expect(dlq.calls).toHaveLength(0);
  });

  it('RETRY_THEN_DLQ dead-letters a retryable error once its retries are spent (eventsource-py never does)', async () => {
    const { handler, dlq } = setup({ strategy: 'retry_then_dlq' });
    const info = await handler.handleError({
      error: new FlakyError('x'),
      event: makeEvent(),
      retryCount: 3,
    });
    expect(info).toMatchObject({ action: 'dlq', sentToDlq: true });
    expect(dlq.calls).toHaveLength(1);
  });
});

describe('dead-lettering', () => {
  it('writes the DLQ entry with the serialized event, the original error and the stream fields', async () => {
    const { handler, dlq } = setup();
    const event = makeEvent({ aggregateId: 'task-7', aggregateVersion: 4, dueAt: new Date(0) });
    const error = new BadDataError('no such task');
    const info = await handler.handleError({
      error,
      event,
      storedEvent: makeStored(event, 99),
      retryCount: 3,
    });
    expect(dlq.calls).toHaveLength(1);
    const call = dlq.calls[0];
    expect(call).toMatchObject({
      eventId: event.eventId,
      projectionName: 'TaskProjection',
      eventType: 'TaskCreated',
      retryCount: 3,
      streamId: 'task-7',
      streamPosition: 4,
      position: 99,
    });
    expect(call?.error).toBe(error);
    expect(call?.eventData).toEqual(JSON.parse(JSON.stringify(event)));
    expect(call?.eventData).toMatchObject({
      occurredAt: '2025-01-02T03:04:05.678Z',
      dueAt: '1970-01-01T00:00:00.000Z',
      title: 'Write tests',
    });
    expect(info).toMatchObject({ sentToDlq: true, dlqId: 'dlq-1' });
  });

  it('counts successful DLQ writes in stats.dlqCount (eventsource-py always reports 0)', async () => {
    const { handler } = setup();
    await handler.handleError({ error: new BadDataError('a'), event: makeEvent() });
    await handler.handleError({ error: new BadDataError('b'), event: makeEvent() });
    await handler.handleError({ error: new FlakyError('c'), event: makeEvent() }); // retry
    expect(handler.stats.dlqCount).toBe(2);
    expect(handler.getHealthStatus().warnings).toContain(
      'DLQ received 2 event(s) from this subscription',
    );
  });

  it('uses the custom serializer', async () => {
    const time = manualClock();
    const dlq = new RecordingDLQ();
    const serialize = vi.fn(() => ({ custom: true }));
    const handler = new SubscriptionErrorHandler({
      subscriptionName: 'P',
      dlqRepo: dlq.asRepo(),
      classifier: testClassifier(),
      clock: time.clock,
      serialize,
    });
    const event = makeEvent();
    await handler.handleError({ error: new BadDataError('x'), event });
    expect(serialize).toHaveBeenCalledWith(event);
    expect(dlq.calls[0]?.eventData).toEqual({ custom: true });
  });

  it('writes to a per-call dlqRepo instead of the handler one (unit of work)', async () => {
    const { handler, dlq } = setup();
    const inTransaction = new RecordingDLQ();
    const info = await handler.handleError({
      error: new BadDataError('x'),
      event: makeEvent(),
      dlqRepo: inTransaction.asRepo(),
    });
    expect(info.sentToDlq).toBe(true);
    expect(inTransaction.calls).toHaveLength(1);
    expect(dlq.calls).toHaveLength(0);
  });

  describe('when the DLQ write fails', () => {
    it('reports it: sentToDlq false, dlqError, stats, health, callbacks — and never throws', async () => {
      const { handler, dlq } = setup();
      const outage = new Error('dlq table is gone');
      dlq.failing = true;
      dlq.failWith = outage;
      const seen: ErrorInfo[] = [];
      handler.onError((info) => {
        seen.push(info);
      });

      // BadDataError is medium: below the default HIGH gate, yet the failure must be reported.
      const info = await handler.handleError({ error: new BadDataError('x'), event: makeEvent() });

      expect(info).toMatchObject({ action: 'dlq', sentToDlq: false, dlqId: null });
      expect(info.dlqError).toBe(outage);
      expect(handler.stats).toMatchObject({ dlqCount: 0, dlqFailures: 1, totalErrors: 1 });
      expect(seen).toEqual([info]);
      const health = handler.getHealthStatus();
      expect(health.healthy).toBe(false);
      expect(health.errors).toHaveLength(1);
      expect(health.errors[0]).toContain('1 DLQ write(s) failed');
      expect(health.errors[0]).toContain('dlq table is gone');
    });

    it('stays unhealthy for 60 s after a failure, then downgrades it to a warning once writes succeed', async () => {
      const { handler, dlq, time } = setup();
      dlq.failing = true;
      dlq.failWith = new Error('down');
      await handler.handleError({ error: new BadDataError('x'), event: makeEvent() });
      dlq.failing = false;
      await handler.handleError({ error: new BadDataError('y'), event: makeEvent() });
      time.advance(59_999);
      expect(handler.getHealthStatus().healthy).toBe(false);
      time.advance(1);
      const health = handler.getHealthStatus();
      expect(health.healthy).toBe(true);
      expect(health.warnings.some((w) => w.includes('1 DLQ write(s) failed'))).toBe(true);
    });

    it('stays unhealthy while the last write failed, however long ago', async () => {
      const { handler, dlq, time } = setup();
      dlq.failing = true;
      await handler.handleError({ error: new BadDataError('x'), event: makeEvent() });
      time.advance(3_600_000);
      expect(handler.getHealthStatus().healthy).toBe(false);
    });

    it('treats a throwing serializer as a failed write', async () => {
      const dlq = new RecordingDLQ();
      const handler = new SubscriptionErrorHandler({
        subscriptionName: 'P',
        dlqRepo: dlq.asRepo(),
        classifier: testClassifier(),
        serialize: () => {
          throw new Error('cannot serialize');
        },
      });
      const info = await handler.handleError({ error: new BadDataError('x'), event: makeEvent() });
      expect(info).toMatchObject({ action: 'dlq', sentToDlq: false });
      expect((info.dlqError as Error).message).toBe('cannot serialize');
      expect(dlq.calls).toHaveLength(0);
    });

    it('reports a dlq action without a repository as a failed write naming dlqRepo', async () => {
      const { handler } = setup({}, { withDlq: false });
      const info = await handler.handleError({ error: new BadDataError('x'), event: makeEvent() });
      expect(info).toMatchObject({ action: 'dlq', sentToDlq: false, dlqId: null });
      expect(info.dlqError).toBeInstanceOf(InvalidConfigError);
      expect((info.dlqError as InvalidConfigError).field).toBe('SubscriptionErrorHandler.dlqRepo');
      expect(handler.stats.dlqFailures).toBe(1);
      expect(handler.getHealthStatus().healthy).toBe(false);
    });
  });
});

describe('statistics', () => {
  it('counts every error by kind, type, category and action, retried attempts included', async () => {
    const { handler } = setup();
    await handler.handleError({ error: new FlakyError('a'), retryCount: 0 }); // retry
    await handler.handleError({ error: new FlakyError('a'), retryCount: 1 }); // retry
    await handler.handleError({ error: new FlakyError('a'), retryCount: 3 }); // dlq
    await handler.handleError({ error: new BadDataError('b') }); // dlq
    await handler.handleError({ error: new FatalError('c') }); // dlq
    const stats = handler.stats;
    expect(stats).toMatchObject({
      totalErrors: 5,
      transientErrors: 3,
      permanentErrors: 2,
      retriedErrors: 2,
      dlqCount: 3,
      dlqFailures: 0,
      errorsByType: { FlakyError: 3, BadDataError: 1, FatalError: 1 },
      errorsByCategory: { transient: 3, application: 1, infrastructure: 1 },
      errorsByAction: { retry: 2, dlq: 3, skip: 0, stop: 0 },
    });
  });

  it('stamps firstErrorAt once and lastErrorAt every time, from the clock', async () => {
    const { handler, time } = setup({ strategy: 'continue' });
    expect(handler.stats.firstErrorAt).toBeNull();
    await handler.handleError({ error: new Error('a') });
    time.advance(5_000);
    await handler.handleError({ error: new Error('b') });
    expect(handler.stats.firstErrorAt).toEqual(new Date(T0));
    expect(handler.stats.lastErrorAt).toEqual(new Date(T0 + 5_000));
  });

  it('returns a frozen snapshot that later errors do not change', async () => {
    const { handler } = setup({ strategy: 'continue' });
    await handler.handleError({ error: new BadDataError('a') });
    const before = handler.stats;
    await handler.handleError({ error: new BadDataError('b') });
    expect(before.totalErrors).toBe(1);
    expect(before.errorsByType).toEqual({ BadDataError: 1 });
    expect(Object.isFrozen(before)).toBe(true);
    expect(Object.isFrozen(before.errorsByType)).toBe(true);
    expect(handler.stats.totalErrors).toBe(2);
  });

  it('keeps the counts consistent under concurrent handleError calls', async () => {
    const { handler, dlq } = setup();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        handler.handleError({
          error: i % 2 === 0 ? new BadDataError(`b${i}`) : new FlakyError(`f${i}`),
          event: makeEvent(),
        }),
      ),
    );
    expect(handler.stats).toMatchObject({ totalErrors: 50, dlqCount: 25, retriedErrors: 25 });
    expect(dlq.calls).toHaveLength(25);
    expect(handler.recentErrors).toHaveLength(50);
  });
});

describe('error rate (rolling 60 s window, §9 #4)', () => {
  it('counts errors of the last 60 seconds from the injected clock', async () => {
    const { handler, time } = setup({ strategy: 'continue' });
    for (let i = 0; i < 5; i++) await handler.handleError({ error: new Error('x') });
    expect(handler.stats.errorRatePerMinute).toBe(5);
    time.advance(30_000);
    for (let i = 0; i < 3; i++) await handler.handleError({ error: new Error('x') });
    expect(handler.stats.errorRatePerMinute).toBe(8);
    time.advance(29_999);
    expect(handler.stats.errorRatePerMinute).toBe(8);
    time.advance(1); // the first five are 60 s old
    expect(handler.stats.errorRatePerMinute).toBe(3);
    time.advance(30_000);
    expect(handler.stats.errorRatePerMinute).toBe(0);
    expect(handler.stats.totalErrors).toBe(8);
  });

  it('stays exact and bounded under a flood of errors', async () => {
    const { handler, time } = setup({ strategy: 'continue', maxRecentErrors: 10 });
    for (let i = 0; i < 20_000; i++) {
      await handler.handleError({ error: new Error('flood') });
      if (i % 100 === 99) time.advance(250); // 400 errors per second for 50 s
    }
    expect(handler.stats.errorRatePerMinute).toBe(20_000);
    expect(handler.recentErrors).toHaveLength(10);
    time.advance(60_000);
    expect(handler.stats.errorRatePerMinute).toBe(0);
  });

  it('makes the handler unhealthy and stops it while the rate is above errorRateThreshold', async () => {
    const { handler, time } = setup({ strategy: 'continue', errorRateThreshold: 3 });
    for (let i = 0; i < 3; i++) await handler.handleError({ error: new Error('x') });
    let health = handler.getHealthStatus();
    expect(health.healthy).toBe(true);
    expect(health.warnings).toContain('Error rate 3/min approaching threshold 3/min');
    expect(handler.shouldContinue()).toBe(true);

    await handler.handleError({ error: new Error('x') });
    health = handler.getHealthStatus();
    expect(health.healthy).toBe(false);
    expect(health.errors).toEqual(['Error rate 4/min exceeds threshold 3/min']);
    expect(handler.shouldContinue()).toBe(false);
    expect(handler.stopReason()).toBe('Error rate 4/min exceeds threshold 3/min');

    time.advance(60_000);
    expect(handler.getHealthStatus().healthy).toBe(true);
    expect(handler.shouldContinue()).toBe(true);
  });
});

describe('shouldContinue and the error limit', () => {
  it('flips after maxErrorsBeforeStop errors, turning that error into a stop', async () => {
    const { handler } = setup({ strategy: 'continue', maxErrorsBeforeStop: 5 });
    const actions: ErrorAction[] = [];
    for (let i = 0; i < 4; i++) {
      actions.push((await handler.handleError({ error: new Error(`e${i}`) })).action);
      expect(handler.shouldContinue()).toBe(true);
    }
    actions.push((await handler.handleError({ error: new Error('e4') })).action);
    expect(actions).toEqual(['skip', 'skip', 'skip', 'skip', 'stop']);
    expect(handler.shouldContinue()).toBe(false);
    expect(handler.stopReason()).toBe('Error limit reached: 5/5');
    expect((await handler.handleError({ error: new Error('e5') })).action).toBe('stop');
  });

  it('warns from 80 % of the limit and is unhealthy at the limit', async () => {
    const { handler } = setup({ strategy: 'continue', maxErrorsBeforeStop: 5 });
    for (let i = 0; i < 3; i++) await handler.handleError({ error: new Error('x') });
    expect(handler.getHealthStatus().warnings).toEqual([]);
    await handler.handleError({ error: new Error('x') });
    expect(handler.getHealthStatus()).toMatchObject({
      healthy: true,
      warnings: ['Approaching error limit: 4/5'],
    });
    await handler.handleError({ error: new Error('x') });
    expect(handler.getHealthStatus()).toMatchObject({
      healthy: false,
      errors: ['Error limit reached: 5/5'],
    });
  });

  it('is false after an error under STOP, until reset()', async () => {
    const { handler } = setup({ strategy: 'stop' });
    expect(handler.shouldContinue()).toBe(true);
    const info = await handler.handleError({ error: new FlakyError('boom') });
    expect(info.action).toBe('stop');
    expect(handler.shouldContinue()).toBe(false);
    const health = handler.getHealthStatus();
    expect(health.healthy).toBe(false);
    expect(health.errors).toEqual(['Stopped by the STOP strategy after FlakyError: boom']);
    handler.reset();
    expect(handler.shouldContinue()).toBe(true);
    expect(handler.getHealthStatus().healthy).toBe(true);
  });
});

describe('callbacks and the severity gate (§9 #3)', () => {
  const severities = ['low', 'medium', 'high', 'critical'] as const;
  const errorOf = {
    low: () => new MinorError('low'),
    medium: () => new BadDataError('medium'),
    high: () => new BugError('high'),
    critical: () => new FatalError('critical'),
  };

  it('a critical error reaches onError under the default HIGH gate; a medium one does not', async () => {
    const { handler } = setup({ strategy: 'continue' });
    const onCritical = vi.fn();
    handler.onError(onCritical);
    await handler.handleError({ error: new FatalError('disk on fire') });
    await handler.handleError({ error: new BadDataError('meh') });
    expect(onCritical).toHaveBeenCalledTimes(1);
    expect(onCritical.mock.calls[0]?.[0]).toMatchObject({
      errorMessage: 'disk on fire',
      classification: { severity: 'critical' },
    });
  });

  const grid = severities.flatMap((threshold) =>
    severities.map((severity) => ({
      threshold,
      severity,
      fires: severities.indexOf(severity) >= severities.indexOf(threshold),
    })),
  );

  it.each(grid)(
    'notifyOnSeverity $threshold, error $severity → fires: $fires (ordered, not alphabetical)',
    async ({ threshold, severity, fires }) => {
      const { handler } = setup({ strategy: 'continue', notifyOnSeverity: threshold });
      const general = vi.fn();
      const bySeverity = vi.fn();
      handler.onError(general);
      handler.onSeverity(severity, bySeverity);
      await handler.handleError({ error: errorOf[severity]() });
      expect(general).toHaveBeenCalledTimes(fires ? 1 : 0);
      expect(bySeverity).toHaveBeenCalledTimes(fires ? 1 : 0);
    },
  );

  it('onCategory and onSeverity fire on an exact match only, after the general callbacks', async () => {
    const { handler } = setup({ strategy: 'continue', notifyOnSeverity: 'low' });
    const order: string[] = [];
    handler.onSeverity(ErrorSeverity.HIGH, () => {
      order.push('severity:high');
    });
    handler.onSeverity(ErrorSeverity.CRITICAL, () => {
      order.push('severity:critical');
    });
    handler.onCategory('application', () => {
      order.push('category:application');
    });
    handler.onCategory('transient', () => {
      order.push('category:transient');
    });
    handler.onError(() => {
      order.push('general');
    });
    await handler.handleError({ error: new BugError('x') });
    expect(order).toEqual(['general', 'category:application', 'severity:high']);
  });

  it('passes every callback the same frozen ErrorInfo that handleError returns', async () => {
    const { handler } = setup({ strategy: 'continue' });
    const received: ErrorInfo[] = [];
    handler.onError((info) => {
      received.push(info);
    });
    handler.onCategory('infrastructure', (info) => {
      received.push(info);
    });
    const info = await handler.handleError({ error: new FatalError('x') });
    expect(received).toEqual([info, info]);
    expect(received[0]).toBe(info);
    expect(received[1]).toBe(info);
  });

  it('awaits async callbacks before handleError resolves', async () => {
    const { handler } = setup({ strategy: 'continue' });
    let finished = false;
    handler.onError(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      finished = true;
    });
    await handler.handleError({ error: new FatalError('x') });
    expect(finished).toBe(true);
  });

  it('contains throwing and rejecting callbacks: the next ones run, handleError resolves', async () => {
    const { handler } = setup({ strategy: 'continue' });
    const after = vi.fn();
    handler.onError(() => {
      throw new Error('sync callback bug');
    });
    handler.onError(async () => {
      throw new Error('async callback bug');
    });
    handler.onError(() => Promise.reject('rejected with a string'));
    handler.onError(after);
    handler.onSeverity('critical', () => {
      throw new Error('severity callback bug');
    });

    const info = await handler.handleError({ error: new FatalError('x') });

    expect(info.action).toBe('skip');
    expect(after).toHaveBeenCalledTimes(1);
    expect(handler.stats.callbackFailures).toBe(4);
    const health = handler.getHealthStatus();
    expect(health.healthy).toBe(true);
    expect(health.warnings).toContain('4 error callback(s) failed, last: severity callback bug');
  });

  it('returns unsubscribe functions that remove exactly their registration, idempotently', async () => {
    const { handler } = setup({ strategy: 'continue' });
    const cb = vi.fn();
    const offFirst = handler.onError(cb);
    handler.onError(cb); // the same function twice: two registrations
    const offCategory = handler.onCategory('infrastructure', cb);
    const offSeverity = handler.onSeverity('critical', cb);
    await handler.handleError({ error: new FatalError('1') });
    expect(cb).toHaveBeenCalledTimes(4);

    offFirst();
    offFirst();
    offCategory();
    offSeverity();
    await handler.handleError({ error: new FatalError('2') });
    expect(cb).toHaveBeenCalledTimes(5);
  });

  it('lets a callback unsubscribe another during notification without skipping anyone', async () => {
    const { handler } = setup({ strategy: 'continue' });
    const calls: string[] = [];
    let offB = () => {};
    handler.onError(() => {
      calls.push('a');
      offB();
    });
    offB = handler.onError(() => {
      calls.push('b');
    });
    handler.onError(() => {
      calls.push('c');
    });
    await handler.handleError({ error: new FatalError('1') });
    await handler.handleError({ error: new FatalError('2') });
    expect(calls).toEqual(['a', 'b', 'c', 'a', 'c']);
  });

  it('rejects a non-function callback and unknown categories or severities', () => {
    const { handler } = setup();
    expect(() => handler.onError('nope' as never)).toThrow(InvalidConfigError);
    expect(() => handler.onCategory('transiant' as never, () => {})).toThrow(
      expect.objectContaining({ field: 'SubscriptionErrorHandler.onCategory.category' }),
    );
    expect(() => handler.onSeverity('HIGH' as never, () => {})).toThrow(
      expect.objectContaining({ field: 'SubscriptionErrorHandler.onSeverity.severity' }),
    );
  });
});

describe('recentErrors', () => {
  it('keeps the last maxRecentErrors errors, oldest first, as a copy', async () => {
    const { handler } = setup({ strategy: 'continue', maxRecentErrors: 5 });
    for (let i = 0; i < 10; i++) await handler.handleError({ error: new Error(`Error ${i}`) });
    const recent = handler.recentErrors;
    expect(recent.map((e) => e.errorMessage)).toEqual([
      'Error 5',
      'Error 6',
      'Error 7',
      'Error 8',
      'Error 9',
    ]);
    recent.length = 0;
    expect(handler.recentErrors).toHaveLength(5);
    expect(handler.getHealthStatus().recentErrorCount).toBe(5);
    expect(handler.stats.totalErrors).toBe(10);
  });

  it('keeps none with maxRecentErrors 0 (eventsource-py would keep all)', async () => {
    const { handler } = setup({ strategy: 'continue', maxRecentErrors: 0 });
    await handler.handleError({ error: new Error('x') });
    expect(handler.recentErrors).toEqual([]);
    expect(handler.stats.totalErrors).toBe(1);
  });
});

describe('reset()', () => {
  it('clears stats, recent errors, the rate window and the stop state, keeping callbacks', async () => {
    const { handler, dlq } = setup({ maxErrorsBeforeStop: 2 });
    const cb = vi.fn();
    handler.onError(cb);
    dlq.failing = true;
    await handler.handleError({ error: new FatalError('a'), event: makeEvent() });
    await handler.handleError({ error: new FatalError('b'), event: makeEvent() });
    expect(handler.shouldContinue()).toBe(false);

    handler.reset();

    expect(handler.shouldContinue()).toBe(true);
    expect(handler.recentErrors).toEqual([]);
    expect(handler.stats).toMatchObject({
      totalErrors: 0,
      dlqFailures: 0,
      errorRatePerMinute: 0,
      errorsByType: {},
      firstErrorAt: null,
    });
    expect(handler.getHealthStatus()).toMatchObject({ healthy: true, warnings: [], errors: [] });
    await handler.handleError({ error: new FatalError('c') });
    expect(cb).toHaveBeenCalledTimes(3);
  });
});

describe('properties', () => {
  const kinds = [FlakyError, BadDataError, BugError, FatalError, MinorError];
  const step = fc.record({
    kind: fc.integer({ min: 0, max: kinds.length - 1 }),
    retryCount: fc.integer({ min: 0, max: 4 }),
    dlqFails: fc.boolean(),
    withEvent: fc.boolean(),
    advanceMs: fc.integer({ min: 0, max: 20_000 }),
  });

  it('keeps recentErrors bounded and the totals consistent for any error sequence', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.values(ErrorHandlingStrategy)),
        fc.integer({ min: 0, max: 8 }),
        fc.boolean(),
        fc.array(step, { maxLength: 40 }),
        async (strategy, maxRecentErrors, dlqEnabled, steps) => {
          const { handler, dlq, time } = setup({ strategy, maxRecentErrors, dlqEnabled });
          const timestamps: number[] = [];
          for (const s of steps) {
            time.advance(s.advanceMs);
            dlq.failing = s.dlqFails;
            const Kind = kinds[s.kind] as new (message: string) => Error;
            const info = await handler.handleError({
              error: new Kind('x'),
              retryCount: s.retryCount,
              ...(s.withEvent ? { event: makeEvent() } : {}),
            });
            timestamps.push(time.now);
            expect(info.sentToDlq).toBe(info.action === 'dlq' && !s.dlqFails);
            expect(handler.recentErrors.length).toBeLessThanOrEqual(maxRecentErrors);
          }
          const stats = handler.stats;
          const sum = (record: Readonly<Record<string, number>>) =>
            Object.values(record).reduce((a, b) => a + b, 0);
          expect(stats.totalErrors).toBe(steps.length);
          expect(stats.transientErrors + stats.permanentErrors).toBe(stats.totalErrors);
          expect(sum(stats.errorsByType)).toBe(stats.totalErrors);
          expect(sum(stats.errorsByCategory)).toBe(stats.totalErrors);
          expect(sum(stats.errorsByAction)).toBe(stats.totalErrors);
          expect(stats.dlqCount + stats.dlqFailures).toBe(stats.errorsByAction.dlq);
          expect(dlq.calls).toHaveLength(stats.errorsByAction.dlq);
          expect(handler.recentErrors).toHaveLength(Math.min(steps.length, maxRecentErrors));
          // The rolling rate counts the errors of the last 60 one-second buckets.
          const nowBucket = Math.floor(time.now / 1000);
          const inWindow = timestamps.filter((t) => nowBucket - Math.floor(t / 1000) < 60).length;
          expect(stats.errorRatePerMinute).toBe(inWindow);
          if (!dlqEnabled) expect(stats.errorsByAction.dlq).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('ErrorClassifier integration', () => {
  it('honours rules registered on the classifier it was given', async () => {
    const classifier = new ErrorClassifier();
    classifier.registerPatternRule('deadlock', {
      category: 'transient',
      severity: 'high',
      retryable: true,
    });
    const handler = new SubscriptionErrorHandler({ subscriptionName: 'P', classifier });
    const info = await handler.handleError({ error: new Error('a DEADLOCK was detected') });
    expect(info.action).toBe('retry');
  });
});
