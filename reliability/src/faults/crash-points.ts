/**
 * Named crash points (research/reliability.md §4.2): a subscriber process kills itself with
 * SIGKILL exactly there, so every window of the exactly-once protocol is hit deterministically.
 *
 * @module
 */

/** Where a subscriber process can be told to crash. */
export type CrashPoint =
  /** The projection wrote its row (inside the transaction, before anything else). */
  | 'after-handler'
  /** A DLQ entry (status failed) was written in the transaction. */
  | 'after-dlq-insert'
  /** A parked DLQ entry was written in the transaction. */
  | 'after-park'
  /** The batch's work is done, COMMIT not sent yet. */
  | 'before-commit'
  /** COMMIT returned. */
  | 'after-commit'
  /** A redrive's handler wrote its row (redrive mode). */
  | 'after-redrive-handler';

/** Every crash point, in protocol order. */
export const CRASH_POINTS: readonly CrashPoint[] = [
  'after-handler',
  'after-dlq-insert',
  'after-park',
  'before-commit',
  'after-commit',
  'after-redrive-handler',
];

/** The configuration of a subscriber child process (`REL_CHILD_CONFIG`, JSON). */
export interface ChildConfig {
  readonly url: string;
  readonly schema: string;
  readonly subscriber: string;
  readonly applicationName?: string;
  readonly batchSize?: number;
  readonly strategy?: string;
  readonly maxRetries?: number;
  readonly dlqOrdering?: 'per-stream' | 'none';
  /** `run` (default): subscribe and run; `redrive`: redrive the DLQ once and exit. */
  readonly mode?: 'run' | 'redrive';
  /** The handler is fixed: poison events succeed (for redrive runs). */
  readonly fixed?: boolean;
  /** Sleep in every handler call, so that kills land mid-batch. */
  readonly handlerDelayMs?: number;
  /** Crash (SIGKILL) at this point… */
  readonly crashAt?: CrashPoint;
  /** …the `crashOn`-th time it is reached (1-based; default 1). */
  readonly crashOn?: number;
}

/**
 * Counts a pass through `point` and tells whether the process must crash now: `config.crashAt`
 * is `point` and this is its `config.crashOn`-th pass.
 */
export function crashPointHit(
  config: Pick<ChildConfig, 'crashAt' | 'crashOn'>,
  point: CrashPoint,
  hits: Map<CrashPoint, number>,
): boolean {
  const n = (hits.get(point) ?? 0) + 1;
  hits.set(point, n);
  return config.crashAt === point && n === (config.crashOn ?? 1);
}
