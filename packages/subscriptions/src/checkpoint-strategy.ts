/**
 * When a subscription writes its checkpoint.
 *
 * @module
 */

/**
 * When a subscription saves its checkpoint. The checkpoint never passes an event whose fate
 * (processed, dead-lettered, skipped-and-recorded) is still open, whatever the strategy.
 *
 * | strategy | saves | trade-off |
 * |---|---|---|
 * | `EVERY_EVENT` | after each event | fewest re-deliveries after a crash, one write per event |
 * | `EVERY_BATCH` (default) | after each batch read from the store | one write per batch |
 * | `PERIODIC` | at most once per interval | fewest writes, most re-deliveries |
 *
 * @example
 * ```ts
 * manager.subscribe(projection, { checkpointStrategy: CheckpointStrategy.EVERY_EVENT });
 * ```
 */
export const CheckpointStrategy = {
  EVERY_EVENT: 'every_event',
  EVERY_BATCH: 'every_batch',
  PERIODIC: 'periodic',
} as const;

/** One of the {@link CheckpointStrategy} values. */
export type CheckpointStrategy = (typeof CheckpointStrategy)[keyof typeof CheckpointStrategy];

/** The default checkpoint strategy: {@link CheckpointStrategy.EVERY_BATCH}. */
export const DEFAULT_CHECKPOINT_STRATEGY: CheckpointStrategy = CheckpointStrategy.EVERY_BATCH;

const STRATEGIES: ReadonlySet<string> = new Set(Object.values(CheckpointStrategy));

/** True when `value` is one of the {@link CheckpointStrategy} values. */
export function isCheckpointStrategy(value: unknown): value is CheckpointStrategy {
  return typeof value === 'string' && STRATEGIES.has(value);
}
