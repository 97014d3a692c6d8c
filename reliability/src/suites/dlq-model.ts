/**
 * I1: model-based testing of a DLQ repository — random command sequences (add failed / add
 * parked = enqueueIfPresent, claim, resolve, discard, purge, clock moves) run against a pure model
 * and the repository; their states must be equal after every step.
 *
 * @module
 */
import { ALL_DLQ_STATUSES, type DLQRepository, type DLQStatus } from '@es/dlq';
import fc from 'fast-check';
import { expect } from 'vitest';

const DAY = 86_400_000;
const EVENTS = ['e0', 'e1', 'e2', 'e3', 'e4', 'e5'] as const;
const STREAM_OF: Readonly<Record<string, string>> = {
  e0: 'A',
  e1: 'A',
  e2: 'A',
  e3: 'B',
  e4: 'B',
  e5: 'C',
};

interface ModelEntry {
  status: DLQStatus;
  retryCount: number;
  firstFailedAt: number;
  lastFailedAt: number;
  resolvedAt: number | null;
}

/** The pure model: the contract's rules, written independently of the implementations. */
export class DlqModel {
  now = 0;
  readonly entries = new Map<string, ModelEntry>();

  add(eventId: string, status: 'failed' | 'parked', retryCount: number): void {
    const current = this.entries.get(eventId);
    if (current === undefined) {
      this.entries.set(eventId, {
        status,
        retryCount,
        firstFailedAt: this.now,
        lastFailedAt: this.now,
        resolvedAt: null,
      });
      return;
    }
    const inPlay = current.status === 'failed' || current.status === 'retrying';
    current.status = status === 'failed' ? 'failed' : inPlay ? current.status : 'parked';
    current.retryCount = retryCount;
    current.lastFailedAt = this.now;
    if (current.status !== 'resolved' && current.status !== 'discarded') current.resolvedAt = null;
  }

  claim(eventId: string): boolean {
    const e = this.entries.get(eventId);
    if (e === undefined || (e.status !== 'failed' && e.status !== 'parked')) return false;
    e.status = 'retrying';
    return true;
  }

  settle(eventId: string, to: 'resolved' | 'discarded'): boolean {
    const e = this.entries.get(eventId);
    if (e === undefined || e.status === 'resolved' || e.status === 'discarded') return false;
    e.status = to;
    e.resolvedAt = this.now;
    return true;
  }

  /** Deletes resolved entries older than `days`; returns their event ids. */
  purge(days: number): string[] {
    const deleted: string[] = [];
    for (const [id, e] of this.entries) {
      if (
        e.status === 'resolved' &&
        e.resolvedAt !== null &&
        e.resolvedAt <= this.now - days * DAY
      ) {
        this.entries.delete(id);
        deleted.push(id);
      }
    }
    return deleted;
  }

  blockedStreams(): string[] {
    const streams = new Set<string>();
    for (const [id, e] of this.entries) {
      if (e.status === 'failed' || e.status === 'retrying' || e.status === 'parked') {
        streams.add(STREAM_OF[id] as string);
      }
    }
    return [...streams].sort();
  }
}

/** The real system: a repository, its ids, and its clock. */
export interface DlqReal {
  readonly repo: DLQRepository;
  readonly ids: Map<string, string>;
  readonly advance: (ms: number) => void;
}

async function compare(model: DlqModel, real: DlqReal): Promise<void> {
  const entries = await real.repo.listEntries({
    projectionName: 'm',
    statuses: ALL_DLQ_STATUSES,
    limit: 100,
  });
  const actual = entries
    .map((e) => ({ eventId: e.eventId, status: e.status, retryCount: e.retryCount }))
    .sort((a, b) => a.eventId.localeCompare(b.eventId));
  const expected = [...model.entries]
    .map(([eventId, e]) => ({ eventId, status: e.status, retryCount: e.retryCount }))
    .sort((a, b) => a.eventId.localeCompare(b.eventId));
  expect(actual).toEqual(expected);
  expect(await real.repo.getBlockedStreams('m')).toEqual(model.blockedStreams());
  const stats = await real.repo.getFailureStats();
  const count = (s: DLQStatus) => [...model.entries.values()].filter((e) => e.status === s).length;
  expect(stats).toMatchObject({
    totalFailed: count('failed'),
    totalRetrying: count('retrying'),
    totalParked: count('parked'),
  });
  expect((await real.repo.getProjectionDepth('m')).depth).toBe(
    count('failed') + count('retrying') + count('parked'),
  );
}

type Command = fc.AsyncCommand<DlqModel, DlqReal>;

class Add implements Command {
  constructor(
    readonly eventId: string,
    readonly status: 'failed' | 'parked',
    readonly retryCount: number,
  ) {}
  check = () => true;
  async run(model: DlqModel, real: DlqReal): Promise<void> {
    const id = await real.repo.addFailedEvent({
      eventId: this.eventId,
      projectionName: 'm',
      eventType: 'RelEvent',
      eventData: { eventId: this.eventId },
      error: new Error(`attempt ${this.retryCount}`),
      retryCount: this.retryCount,
      status: this.status,
      streamId: STREAM_OF[this.eventId] ?? null,
      streamPosition: Number(this.eventId.slice(1)) + 1,
    });
    const known = real.ids.get(this.eventId);
    if (known !== undefined) expect(id).toBe(known);
    real.ids.set(this.eventId, id);
    model.add(this.eventId, this.status, this.retryCount);
    await compare(model, real);
  }
  toString = () => `add(${this.eventId}, ${this.status}, ${this.retryCount})`;
}

class Transition implements Command {
  constructor(
    readonly eventId: string,
    readonly kind: 'claim' | 'resolve' | 'discard',
  ) {}
  check = () => true;
  async run(model: DlqModel, real: DlqReal): Promise<void> {
    const id = real.ids.get(this.eventId) ?? '987654321';
    const actual =
      this.kind === 'claim'
        ? await real.repo.markRetrying(id)
        : this.kind === 'resolve'
          ? await real.repo.markResolved(id, 'model')
          : await real.repo.markDiscarded(id, 'model');
    const expected =
      this.kind === 'claim'
        ? model.claim(this.eventId)
        : model.settle(this.eventId, this.kind === 'resolve' ? 'resolved' : 'discarded');
    expect(actual).toBe(expected);
    await compare(model, real);
  }
  toString = () => `${this.kind}(${this.eventId})`;
}

class Purge implements Command {
  constructor(readonly days: number) {}
  check = () => true;
  async run(model: DlqModel, real: DlqReal): Promise<void> {
    const deleted = model.purge(this.days);
    expect(await real.repo.deleteResolvedEvents(this.days)).toBe(deleted.length);
    for (const id of deleted) real.ids.delete(id);
    await compare(model, real);
  }
  toString = () => `purge(${this.days})`;
}

class Advance implements Command {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: DlqModel, real: DlqReal): Promise<void> {
    real.advance(this.ms);
    model.now += this.ms;
  }
  toString = () => `advance(${this.ms})`;
}

/** The command arbitraries. */
export const dlqCommands = fc.commands(
  [
    fc
      .tuple(
        fc.constantFrom(...EVENTS),
        fc.constantFrom('failed' as const, 'parked' as const),
        fc.nat(5),
      )
      .map(([e, s, r]) => new Add(e, s, r)),
    fc
      .tuple(
        fc.constantFrom(...EVENTS),
        fc.constantFrom('claim' as const, 'resolve' as const, 'discard' as const),
      )
      .map(([e, k]) => new Transition(e, k)),
    fc.constantFrom(0, 1, 30).map((d) => new Purge(d)),
    fc.constantFrom(1, 1_000, DAY, 31 * DAY).map((ms) => new Advance(ms)),
  ],
  { size: '+1' },
);

/** Runs the model test: `setup` makes a fresh repository (with its manual clock) per run. */
export async function runDlqModel(
  setup: () => Promise<{ real: DlqReal; cleanup: () => Promise<void> }>,
  numRuns: number,
): Promise<number> {
  let steps = 0;
  await fc.assert(
    fc.asyncProperty(dlqCommands, async (commands) => {
      const { real, cleanup } = await setup();
      try {
        steps += [...commands].length;
        await fc.asyncModelRun(() => ({ model: new DlqModel(), real }), commands);
      } finally {
        await cleanup();
      }
    }),
    { numRuns },
  );
  return steps;
}
