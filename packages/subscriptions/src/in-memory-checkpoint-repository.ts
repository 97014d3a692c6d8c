/**
 * The in-memory checkpoint repository: a real backend for tests, demos and single-process use.
 *
 * @module
 */
import type { Position } from '@es/core';
import { InvalidConfigError } from '@es/core';
import type {
  CheckpointData,
  CheckpointRepository,
  SavePositionInput,
} from './checkpoint-repository.js';
import { comparePositions, isPosition } from './compare-positions.js';
import { CheckpointPositionKindError } from './errors.js';

/** Options of {@link InMemoryCheckpointRepository}. */
export interface InMemoryCheckpointRepositoryOptions {
  /** Milliseconds since the epoch for `lastProcessedAt`. Default `Date.now`. */
  readonly clock?: (() => number) | undefined;
}

interface Row {
  position: Position;
  lastEventId: string | null;
  lastEventType: string | null;
  lastProcessedAt: number;
  eventsProcessed: number;
}

/**
 * A {@link CheckpointRepository} in memory. It keeps the port's promises exactly as the PostgreSQL
 * one does (both pass `describeCheckpointRepositoryConformance` from `@es/subscriptions/testing`):
 *
 * - `savePosition` is a compare-and-set: it writes when there is no checkpoint or the position is
 *   ahead of or equal to the stored one, and returns false, writing nothing, when it would move
 *   backwards; so concurrent saves end at the highest position. Given `expected`, it also
 *   requires the stored position to be exactly that one (null: no checkpoint), which fences a
 *   second instance of a subscription;
 * - one kind of position per subscription: saving a string over a number (or the reverse) throws
 *   {@link CheckpointPositionKindError} (a `CheckpointError`); reset the checkpoint to switch;
 * - `eventsProcessed` counts successful saves (ahead or equal);
 * - every read returns a fresh copy, never a live object.
 *
 * @example
 * ```ts
 * const checkpoints = new InMemoryCheckpointRepository();
 * await checkpoints.savePosition('TaskProjection', { position: 42, eventId, eventType: 'TaskCreated' }); // true
 * await checkpoints.savePosition('TaskProjection', { position: 41 }); // false: never backwards
 * await checkpoints.getPosition('TaskProjection'); // 42
 * ```
 */
export class InMemoryCheckpointRepository implements CheckpointRepository {
  private readonly rows = new Map<string, Row>();
  private readonly clock: () => number;

  constructor(options: InMemoryCheckpointRepositoryOptions = {}) {
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidConfigError(
        'InMemoryCheckpointRepository.clock',
        'must be a function returning milliseconds',
        options.clock,
      );
    }
    this.clock = options.clock ?? Date.now;
  }

  /** The saved position, or null when there is no checkpoint. */
  async getPosition(subscriptionId: string): Promise<Position | null> {
    return this.rows.get(subscriptionId)?.position ?? null;
  }

  /**
   * Saves `input.position` unless it is behind the stored one (compare-and-set). `eventId` and
   * `eventType` are stored as given (null when omitted).
   *
   * With `input.expected` it is a true compare-and-set on the previous position: it writes only
   * when the stored position is exactly `expected` (null: no checkpoint) and not ahead of
   * `input.position`.
   *
   * @returns true when written (no checkpoint, ahead, or equal — and, with `expected`, the stored
   * position matched), false otherwise (nothing written).
   * @throws {CheckpointPositionKindError} ES_CHECKPOINT_POSITION_KIND when the position's kind
   * (number vs string) differs from the stored one.
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for an empty `subscriptionId`, a position that
   * is neither a string nor a finite number ≥ 0, or an `expected` that is neither null nor a
   * position of the same kind.
   */
  async savePosition(subscriptionId: string, input: SavePositionInput): Promise<boolean> {
    assertSubscriptionId(subscriptionId);
    const position = input?.position;
    if (!isPosition(position)) {
      throw new InvalidConfigError(
        'savePosition.position',
        'must be a finite number >= 0 or a string',
        position,
      );
    }
    const expected = input.expected;
    if (expected != null && (!isPosition(expected) || typeof expected !== typeof position)) {
      throw new InvalidConfigError(
        'savePosition.expected',
        'must be null or a position of the same kind as position',
        expected,
      );
    }
    const row = this.rows.get(subscriptionId);
    if (row !== undefined) {
      if (typeof row.position !== typeof position) {
        throw new CheckpointPositionKindError(subscriptionId, row.position, position);
      }
      if (comparePositions(position, row.position) < 0) return false;
      if (expected !== undefined && (expected === null || row.position !== expected)) return false;
    } else if (expected != null) {
      return false;
    }
    this.rows.set(subscriptionId, {
      position,
      lastEventId: input.eventId ?? null,
      lastEventType: input.eventType ?? null,
      lastProcessedAt: this.clock(),
      eventsProcessed: (row?.eventsProcessed ?? 0) + 1,
    });
    return true;
  }

  /** Deletes the checkpoint; does nothing when there is none. */
  async resetCheckpoint(subscriptionId: string): Promise<void> {
    this.rows.delete(subscriptionId);
  }

  /** One checkpoint with its details (a copy), or null. */
  async getCheckpoint(subscriptionId: string): Promise<CheckpointData | null> {
    const row = this.rows.get(subscriptionId);
    return row === undefined ? null : toData(subscriptionId, row);
  }

  /** Every checkpoint (copies), sorted by subscription id (by UTF-16 code unit). */
  async getAllCheckpoints(): Promise<CheckpointData[]> {
    return [...this.rows.keys()]
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((id) => toData(id, this.rows.get(id) as Row));
  }

  /** Deletes every checkpoint. */
  clear(): void {
    this.rows.clear();
  }
}

function assertSubscriptionId(subscriptionId: unknown): asserts subscriptionId is string {
  if (typeof subscriptionId !== 'string' || subscriptionId.length === 0) {
    throw new InvalidConfigError('subscriptionId', 'must be a non-empty string', subscriptionId);
  }
}

function toData(subscriptionId: string, row: Row): CheckpointData {
  return {
    subscriptionId,
    position: row.position,
    lastEventId: row.lastEventId,
    lastEventType: row.lastEventType,
    lastProcessedAt: new Date(row.lastProcessedAt),
    eventsProcessed: row.eventsProcessed,
  };
}
