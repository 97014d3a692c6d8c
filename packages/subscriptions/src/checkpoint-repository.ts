/**
 * The checkpoint port: where a subscription remembers how far it got.
 *
 * @module
 */
import type { Position } from '@es/core';

/** A stored checkpoint. */
export interface CheckpointData {
  readonly subscriptionId: string;
  readonly position: Position;
  readonly lastEventId: string | null;
  readonly lastEventType: string | null;
  readonly lastProcessedAt: Date;
  /** Number of checkpoint writes that moved the position. */
  readonly eventsProcessed: number;
}

/** Input of {@link CheckpointRepository.savePosition}. */
export interface SavePositionInput {
  readonly position: Position;
  readonly eventId?: string | null;
  readonly eventType?: string | null;
  /**
   * Fences the save on the previous checkpoint (a true compare-and-set). When given, the save
   * writes only if the stored position is exactly `expected` (`null`: only if there is no
   * checkpoint yet) and `position` is not behind it; otherwise it returns false and writes
   * nothing. A subscription passes the position it last saved or loaded, so a second instance or
   * a zombie of it cannot commit over the owner's progress. Omitted: the save is fenced only
   * against moving backwards. It must be of the same kind (number vs string) as `position`.
   */
  readonly expected?: Position | null | undefined;
}

/**
 * The checkpoint port. `InMemoryCheckpointRepository` here and `PostgresCheckpointRepository` in
 * `@es/store-postgres` pass the conformance kit in `@es/subscriptions/testing`.
 */
export interface CheckpointRepository {
  /** The saved position, or null when none. */
  getPosition(subscriptionId: string): Promise<Position | null>;
  /**
   * Compare-and-set: writes when there is no checkpoint or `position` is ahead of (or equal to)
   * the stored one; returns false and writes nothing when it would move backwards. With
   * `input.expected` it writes only when the stored position is exactly `expected` (null: none
   * stored) and `position` is not behind it, and returns false, writing nothing, otherwise (one
   * statement on a database, so concurrent saves with the same `expected` let exactly one win).
   *
   * @throws {CheckpointError} when the position kind (number vs string) differs from the stored one.
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `expected` is not a position of the same
   *   kind as `position` (nor null).
   */
  savePosition(subscriptionId: string, input: SavePositionInput): Promise<boolean>;
  /** Deletes the checkpoint; no-op when absent. */
  resetCheckpoint(subscriptionId: string): Promise<void>;
  /** One checkpoint with its details, or null. */
  getCheckpoint(subscriptionId: string): Promise<CheckpointData | null>;
  /** Every checkpoint, sorted by id. */
  getAllCheckpoints(): Promise<CheckpointData[]>;
}
