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
   * the stored one; returns false and writes nothing when it would move backwards.
   *
   * @throws {CheckpointError} when the position kind (number vs string) differs from the stored one.
   */
  savePosition(subscriptionId: string, input: SavePositionInput): Promise<boolean>;
  /** Deletes the checkpoint; no-op when absent. */
  resetCheckpoint(subscriptionId: string): Promise<void>;
  /** One checkpoint with its details, or null. */
  getCheckpoint(subscriptionId: string): Promise<CheckpointData | null>;
  /** Every checkpoint, sorted by id. */
  getAllCheckpoints(): Promise<CheckpointData[]>;
}
