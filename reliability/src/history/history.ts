/**
 * A Jepsen-style history: every append as invoke → ok | fail | unknown with its event ids, and
 * every recorded fate of an event at a subscriber (applied, dead-lettered, parked, skipped).
 * {@link checkHistory} proves what must hold over it.
 *
 * @module
 */
import { type CheckOptions, type CheckResult, checkHistory } from './checker.js';

/** How an append ended: committed, definitely not committed, or not known. */
export type AppendOutcome = 'ok' | 'fail' | 'unknown';

/** One append operation of the history. */
export interface AppendRecord {
  /** Sequence number of the operation, 1-based, in invoke order. */
  readonly op: number;
  /** The stream appended to (the aggregate id). */
  readonly streamId: string;
  /** The ids of the events of the append, in order. */
  readonly eventIds: readonly string[];
  /** `pending` until the operation completes; a pending append is judged as `unknown`. */
  readonly outcome: 'pending' | AppendOutcome;
  /** What went wrong, for `fail` and `unknown`. */
  readonly error?: string;
}

/** What happened to an event at a subscriber. */
export type Fate = 'applied' | 'dead-lettered' | 'parked' | 'skipped';

/** One recorded fate of one event at one subscriber. */
export interface FateRecord {
  readonly subscriber: string;
  readonly eventId: string;
  readonly fate: Fate;
  /**
   * The order of this fate in the subscriber's history (for example the commit sequence of the
   * projection row). Fates without one take part in membership checks, not in order checks.
   */
  readonly seq?: number;
  /** The event's stream, when known (else taken from the store or the append). */
  readonly streamId?: string;
  /** The event's version in its stream, when known (else taken from the store). */
  readonly version?: number;
  /**
   * True for an application by a redrive of a dead-lettered (or parked) event: it settles that
   * entry and is checked for per-stream order among redrives, not against the main order.
   */
  readonly redrive?: boolean;
}

/** One event as the store holds it, in the store's canonical (cursor) order. */
export interface StoredRecord {
  readonly eventId: string;
  readonly streamId: string;
  readonly version: number;
}

/** Classifies an append error as `fail` (definitely not committed) or `unknown`. */
export type AppendErrorClassifier = (error: unknown) => 'fail' | 'unknown';

/**
 * Error names after which an append is known not to be committed: the store refused it with a
 * verdict (version conflict, bad input) or never sent it. Everything else — a dropped connection,
 * a timeout, a server crash — leaves the outcome unknown.
 */
export const DEFINITE_FAILURE_CODES: ReadonlySet<string> = new Set([
  'ES_OPTIMISTIC_LOCK',
  'ES_EVENT_VERSION',
  'ES_INVALID_CONFIG',
  'ES_SERIALIZATION',
  'ES_EVENT_TYPE_NOT_FOUND',
  'ES_AGGREGATE_MISMATCH',
]);

/** The default {@link AppendErrorClassifier}: `fail` for {@link DEFINITE_FAILURE_CODES}. */
export function classifyAppendError(error: unknown): 'fail' | 'unknown' {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DEFINITE_FAILURE_CODES.has(code) ? 'fail' : 'unknown';
}

/** A handle on an invoked append: complete it exactly once. */
export interface AppendHandle {
  readonly op: number;
  ok(): void;
  fail(error?: unknown): void;
  unknown(error?: unknown): void;
}

interface MutableAppend {
  op: number;
  streamId: string;
  eventIds: readonly string[];
  outcome: 'pending' | AppendOutcome;
  error?: string;
}

/**
 * Records a history. Appends are logged before they are sent (`invoke`) and completed with their
 * outcome; fates are logged as subscribers commit them (or loaded from the database afterwards).
 *
 * @example
 * ```ts
 * const history = new History();
 * await history.append('s-1', [event.eventId], () => store.appendEvents('s-1', 'T', [event], -1));
 * history.fate({ subscriber: 'p', eventId: event.eventId, fate: 'applied', seq: 1 });
 * expect(history.check({ stored }).anomalies).toEqual([]);
 * ```
 */
export class History {
  readonly #appends: MutableAppend[] = [];
  readonly #fates: FateRecord[] = [];
  readonly #classify: AppendErrorClassifier;

  constructor(options: { readonly classify?: AppendErrorClassifier } = {}) {
    this.#classify = options.classify ?? classifyAppendError;
  }

  /** Logs the invocation of an append; complete the returned handle once. */
  invoke(streamId: string, eventIds: readonly string[]): AppendHandle {
    const record: MutableAppend = {
      op: this.#appends.length + 1,
      streamId,
      eventIds: [...eventIds],
      outcome: 'pending',
    };
    this.#appends.push(record);
    const complete = (outcome: AppendOutcome, error?: unknown) => {
      if (record.outcome !== 'pending') {
        throw new Error(`append op ${record.op} completed twice (${record.outcome}, ${outcome})`);
      }
      record.outcome = outcome;
      if (error !== undefined) record.error = describe(error);
    };
    return {
      op: record.op,
      ok: () => complete('ok'),
      fail: (error) => complete('fail', error),
      unknown: (error) => complete('unknown', error),
    };
  }

  /**
   * Runs an append and records it: `ok` when it resolves, else `fail` or `unknown` as the
   * classifier says. Returns what the append returned, or `undefined` when it threw (the error is
   * recorded, not rethrown).
   */
  async append<T>(
    streamId: string,
    eventIds: readonly string[],
    run: () => Promise<T>,
  ): Promise<{ readonly outcome: AppendOutcome; readonly value?: T; readonly error?: unknown }> {
    const handle = this.invoke(streamId, eventIds);
    try {
      const value = await run();
      handle.ok();
      return { outcome: 'ok', value };
    } catch (error) {
      const outcome = this.#classify(error);
      if (outcome === 'fail') handle.fail(error);
      else handle.unknown(error);
      return { outcome, error };
    }
  }

  /** Logs one fate. */
  fate(record: FateRecord): void {
    this.#fates.push(record);
  }

  /** Logs many fates. */
  fates(records: Iterable<FateRecord>): void {
    for (const record of records) this.#fates.push(record);
  }

  /** The appends so far (copies). */
  get appends(): AppendRecord[] {
    return this.#appends.map((a) => ({ ...a }));
  }

  /** The fates so far, of one subscriber or all. */
  fatesOf(subscriber?: string): FateRecord[] {
    return subscriber === undefined
      ? [...this.#fates]
      : this.#fates.filter((f) => f.subscriber === subscriber);
  }

  /** Ids of the events of `ok` appends. */
  acknowledgedEventIds(): string[] {
    return this.#appends.filter((a) => a.outcome === 'ok').flatMap((a) => a.eventIds);
  }

  /** Counts of appends by outcome. */
  outcomeCounts(): Record<'pending' | AppendOutcome, number> {
    const counts = { pending: 0, ok: 0, fail: 0, unknown: 0 };
    for (const a of this.#appends) counts[a.outcome]++;
    return counts;
  }

  /** Checks the history (see {@link checkHistory}); subscribers default to every one with a fate. */
  check(options: Omit<CheckOptions, 'appends' | 'fates'> = {}): CheckResult {
    return checkHistory({ ...options, appends: this.appends, fates: this.fatesOf() });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
  }
  return String(error);
}
