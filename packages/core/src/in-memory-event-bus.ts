/**
 * An in-process {@link EventBus}.
 *
 * @module
 */
import { InvalidConfigError } from './errors.js';
import type { AppendListener, AppendNotification, EventBus } from './event-bus.js';

/** Options of {@link InMemoryEventBus}. */
export interface InMemoryEventBusOptions {
  /**
   * Called when a listener throws (the other listeners still run). Default: `console.error`.
   * An error thrown by this callback is ignored.
   */
  readonly onListenerError?:
    | ((error: unknown, notification: AppendNotification) => void)
    | undefined;
}

interface Subscription {
  readonly listener: AppendListener;
  active: boolean;
}

function logListenerError(error: unknown): void {
  console.error('[@es/core] InMemoryEventBus listener failed:', error);
}

/**
 * Delivers append notifications synchronously to every listener, in subscription order.
 *
 * A throwing listener never breaks `publish` nor the other listeners. Subscribing or unsubscribing
 * during a `publish` is safe: a listener removed during a publish is not called afterwards, one
 * added during a publish first hears the next one.
 *
 * @example
 * ```ts
 * const eventBus = new InMemoryEventBus();
 * const store = new InMemoryEventStore({ eventBus });
 * const stop = eventBus.subscribe(({ events }) => console.log(events.length, 'new events'));
 * ```
 */
export class InMemoryEventBus implements EventBus {
  #subscriptions: readonly Subscription[] = [];
  readonly #onListenerError: (error: unknown, notification: AppendNotification) => void;

  /**
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `onListenerError` is not a function.
   */
  constructor(options: InMemoryEventBusOptions = {}) {
    const { onListenerError = logListenerError } = options;
    if (typeof onListenerError !== 'function') {
      throw new InvalidConfigError(
        'InMemoryEventBusOptions.onListenerError',
        'must be a function',
        onListenerError,
      );
    }
    this.#onListenerError = onListenerError;
  }

  /** The number of active listeners. */
  get listenerCount(): number {
    return this.#subscriptions.length;
  }

  /** Calls every listener with `notification`; never throws because a listener threw. */
  publish(notification: AppendNotification): void {
    // Copy-on-write list: iterating the current array is safe while listeners (un)subscribe.
    const subscriptions = this.#subscriptions;
    for (let i = 0; i < subscriptions.length; i++) {
      const subscription = subscriptions[i] as Subscription;
      if (!subscription.active) continue;
      try {
        subscription.listener(notification);
      } catch (error) {
        try {
          this.#onListenerError(error, notification);
        } catch {
          // The error reporter failed too; publishing must go on.
        }
      }
    }
  }

  /**
   * Adds a listener; returns the function that removes it (idempotent).
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `listener` is not a function.
   */
  subscribe(listener: AppendListener): () => void {
    if (typeof listener !== 'function') {
      throw new InvalidConfigError(
        'InMemoryEventBus.subscribe.listener',
        'must be a function',
        listener,
      );
    }
    const subscription: Subscription = { listener, active: true };
    this.#subscriptions = [...this.#subscriptions, subscription];
    return () => {
      if (!subscription.active) return;
      subscription.active = false;
      this.#subscriptions = this.#subscriptions.filter((s) => s !== subscription);
    };
  }

  /** Removes every listener. */
  clear(): void {
    for (const subscription of this.#subscriptions) subscription.active = false;
    this.#subscriptions = [];
  }
}
