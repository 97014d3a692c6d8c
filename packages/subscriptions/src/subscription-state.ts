/**
 * The lifecycle states of a subscription.
 *
 * @module
 */

/**
 * The states a subscription moves through: `starting` → `catching_up` → `live`, with `paused`,
 * `stopped` and `error` besides. Values are lowercase, as in eventsource-py.
 *
 * @example
 * ```ts
 * if (subscription.state === SubscriptionState.LIVE) console.log('caught up');
 * ```
 */
export const SubscriptionState = {
  /** Created or starting: loading its checkpoint. */
  STARTING: 'starting',
  /** Reading stored events from its checkpoint towards the head of the store. */
  CATCHING_UP: 'catching_up',
  /** Caught up; processing new events as they are appended. */
  LIVE: 'live',
  /** Paused by request; resumes from where it stopped. */
  PAUSED: 'paused',
  /** Stopped by request (or by the `STOP` error strategy); its checkpoint is flushed. */
  STOPPED: 'stopped',
  /** Halted by a failure it could not handle; see its health for the error. */
  ERROR: 'error',
} as const;

/** One of the {@link SubscriptionState} values. */
export type SubscriptionState = (typeof SubscriptionState)[keyof typeof SubscriptionState];

const STATES: ReadonlySet<string> = new Set(Object.values(SubscriptionState));

/** True when `value` is one of the {@link SubscriptionState} values. */
export function isSubscriptionState(value: unknown): value is SubscriptionState {
  return typeof value === 'string' && STATES.has(value);
}
