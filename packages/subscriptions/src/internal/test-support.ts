/**
 * Shared fixtures of this package's unit tests. Never imported by the library code.
 *
 * @internal
 * @module
 */
import type { DomainEvent, StoredEvent } from '@es/core';
import type { AddFailedEventInput, DLQRepository } from '@es/dlq';
import { ErrorClassifier } from '@es/resilience';

/** Transient, medium, retryable. */
export class FlakyError extends Error {
  override readonly name = 'FlakyError';
}
/** Application, medium, not retryable. */
export class BadDataError extends Error {
  override readonly name = 'BadDataError';
}
/** Application, high, not retryable. */
export class BugError extends Error {
  override readonly name = 'BugError';
}
/** Infrastructure, critical, not retryable. */
export class FatalError extends Error {
  override readonly name = 'FatalError';
}
/** Permanent, low, not retryable. */
export class MinorError extends Error {
  override readonly name = 'MinorError';
}

/** A classifier that knows the five test errors above (and the built-in table for the rest). */
export function testClassifier(): ErrorClassifier {
  const classifier = new ErrorClassifier();
  classifier.registerClassification(FlakyError, {
    category: 'transient',
    severity: 'medium',
    retryable: true,
    description: 'flaky',
  });
  classifier.registerClassification(BadDataError, {
    category: 'application',
    severity: 'medium',
    retryable: false,
    description: 'bad data',
  });
  classifier.registerClassification(BugError, {
    category: 'application',
    severity: 'high',
    retryable: false,
    description: 'bug',
  });
  classifier.registerClassification(FatalError, {
    category: 'infrastructure',
    severity: 'critical',
    retryable: false,
    description: 'fatal',
  });
  classifier.registerClassification(MinorError, {
    category: 'permanent',
    severity: 'low',
    retryable: false,
    description: 'minor',
  });
  return classifier;
}

let counter = 0;

/** A frozen domain event with a payload. */
export function makeEvent(
  overrides: Partial<DomainEvent> & Record<string, unknown> = {},
): DomainEvent {
  counter++;
  return Object.freeze({
    eventId: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    eventType: 'TaskCreated',
    eventVersion: 1,
    occurredAt: new Date('2025-01-02T03:04:05.678Z'),
    aggregateId: 'task-1',
    aggregateType: 'Task',
    aggregateVersion: 1,
    correlationId: 'corr-1',
    metadata: Object.freeze({ source: 'test' }),
    title: 'Write tests',
    ...overrides,
  }) as DomainEvent;
}

/** A stored event wrapping `event`. */
export function makeStored(event: DomainEvent, globalPosition = 7): StoredEvent {
  return Object.freeze({
    event,
    streamId: `${event.aggregateId}:${event.aggregateType}`,
    streamPosition: event.aggregateVersion,
    globalPosition,
    position: globalPosition,
    storedAt: new Date('2025-01-02T03:04:06.000Z'),
  });
}

/** A DLQ test double that records `addFailedEvent` calls and can be told to fail. */
export class RecordingDLQ {
  readonly calls: AddFailedEventInput[] = [];
  failWith: unknown = undefined;
  failing = false;

  async addFailedEvent(input: AddFailedEventInput): Promise<string> {
    this.calls.push(input);
    if (this.failing) throw this.failWith;
    return `dlq-${this.calls.length}`;
  }

  /** This double as the port type (only `addFailedEvent` is used by the handler). */
  asRepo(): DLQRepository {
    return this as unknown as DLQRepository;
  }
}

/** A manual clock. */
export function manualClock(start = Date.parse('2025-06-01T00:00:00.000Z')) {
  let now = start;
  const clock = () => now;
  return {
    clock,
    advance(ms: number) {
      now += ms;
    },
    set(ms: number) {
      now = ms;
    },
    get now() {
      return now;
    },
  };
}
