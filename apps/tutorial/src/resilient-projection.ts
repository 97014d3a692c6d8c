/**
 * The tutorial's projection with comprehensive error handling: every failure is classified,
 * counted, reported to callbacks and — under `RETRY_THEN_DLQ` — dead-lettered.
 *
 * @module
 */
import type { DomainEvent } from '@es/core';
import type { DLQRepository } from '@es/dlq';
import { ErrorSeverity, KeyError } from '@es/resilience';
import {
  ErrorHandlingConfig,
  ErrorHandlingStrategy,
  SubscriptionErrorHandler,
} from '@es/subscriptions';
import { TaskCompleted, TaskCreated } from './domain.js';

/** A read model of task titles, fed event by event. */
export class ResilientProjection {
  /** Task id → title. */
  readonly tasks = new Map<string, string>();
  readonly errorHandler: SubscriptionErrorHandler;

  constructor(dlqRepo: DLQRepository, print: (line: string) => void = console.log) {
    this.errorHandler = new SubscriptionErrorHandler({
      subscriptionName: 'TaskProjection',
      config: new ErrorHandlingConfig({
        strategy: ErrorHandlingStrategy.RETRY_THEN_DLQ,
        dlqEnabled: true,
        notifyOnSeverity: ErrorSeverity.HIGH,
      }),
      dlqRepo,
    });
    // Fires for errors of severity HIGH or above (the ordered scale low < medium < high < critical).
    this.errorHandler.onError((info) => {
      print(`Error handling event: ${info.errorMessage}`);
    });
  }

  /** Applies one event; a failure goes through the error handler instead of escaping. */
  async handle(event: DomainEvent): Promise<void> {
    try {
      if (TaskCreated.is(event)) {
        this.tasks.set(event.aggregateId, event.title);
      } else if (TaskCompleted.is(event)) {
        if (!this.tasks.has(event.aggregateId)) {
          throw new KeyError(`Task ${event.aggregateId} not found in projection`);
        }
      }
    } catch (error) {
      await this.errorHandler.handleError({ error, event });
      if (!this.errorHandler.shouldContinue()) {
        throw new Error('Too many errors, stopping projection', { cause: error });
      }
    }
  }
}
