/**
 * The event-bus port: how a store tells live subscribers that new events were committed.
 *
 * @module
 */
import type { StoredEvent } from './event-store.js';

/** A notification that events were committed. Subscribers re-read from their cursor. */
export interface AppendNotification {
  /** The events just committed, when the bus carries them (in memory); may be empty. */
  readonly events: readonly StoredEvent[];
}

/** Receives {@link AppendNotification}s. */
export type AppendListener = (notification: AppendNotification) => void;

/**
 * Wakes live subscribers. Delivery is a hint, never the source of truth: subscribers always read
 * the store after a notification, so a lost notification costs latency (until the next poll),
 * never an event.
 */
export interface EventBus {
  /** Publish a notification to every listener. Never throws because a listener threw. */
  publish(notification: AppendNotification): void;
  /** Listen; returns the function that stops listening. */
  subscribe(listener: AppendListener): () => void;
}
