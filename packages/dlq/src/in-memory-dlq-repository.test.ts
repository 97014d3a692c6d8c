import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canMarkRetrying,
  canSettle,
  isUnresolvedDLQStatus,
  statusAfterUpsert,
} from './dlq-lifecycle.js';
import { DAY_MS } from './dlq-query-options.js';
import type { DLQEntry, DLQStatus } from './dlq-repository.js';
import { InMemoryDLQRepository } from './in-memory-dlq-repository.js';
import { compareCodePoints, compareOrderKeys } from './stream-order.js';
import { createManualClock } from './testing/manual-clock.js';

const invalid = (field: string) => expect.objectContaining({ code: 'ES_INVALID_CONFIG', field });

function input(eventId: string, extra: Record<string, unknown> = {}) {
  return {
    eventId,
    projectionName: 'p',
    eventType: 'T',
    eventData: { n: 1 },
    error: new Error('x'),
    ...extra,
  };
}

describe('InMemoryDLQRepository', () => {
  it('numbers entries with an increasing counter', async () => {
    const repo = new InMemoryDLQRepository();
    expect(await repo.addFailedEvent(input('a'))).toBe('1');
    expect(await repo.addFailedEvent(input('b'))).toBe('2');
    expect(await repo.addFailedEvent(input('a'))).toBe('1');
    expect(await repo.addFailedEvent(input('c'))).toBe('3');
  });

  it('hands out frozen entries with deep-frozen eventData', async () => {
    const repo = new InMemoryDLQRepository();
    const id = await repo.addFailedEvent(input('a', { eventData: { nested: { list: [1] } } }));
    const entry = (await repo.getFailedEventById(id)) as DLQEntry;
    expect(Object.isFrozen(entry)).toBe(true);
    expect(Object.isFrozen(entry.eventData)).toBe(true);
    expect(Object.isFrozen((entry.eventData.nested as { list: unknown[] }).list)).toBe(true);
    expect(() => {
      (entry as { status: string }).status = 'resolved';
    }).toThrow(TypeError);
  });

  it('uses the injected clock for every timestamp', async () => {
    const clock = createManualClock(1_000_000);
    const repo = new InMemoryDLQRepository({ clock: clock.now });
    const id = await repo.addFailedEvent(input('a'));
    clock.advance(500);
    await repo.addFailedEvent(input('a'));
    clock.advance(500);
    await repo.markResolved(id, 'me');
    expect(await repo.getFailedEventById(id)).toMatchObject({
      firstFailedAt: new Date(1_000_000),
      lastFailedAt: new Date(1_000_500),
      resolvedAt: new Date(1_001_000),
    });
  });

  it('rejects a clock that is not a function, or that returns a non-finite time', async () => {
    expect(() => new InMemoryDLQRepository({ clock: 5 as unknown as () => number })).toThrow(
      invalid('InMemoryDLQRepository.clock'),
    );
    const repo = new InMemoryDLQRepository({ clock: () => Number.NaN });
    await expect(repo.addFailedEvent(input('a'))).rejects.toThrow(
      invalid('InMemoryDLQRepository.clock'),
    );
    expect(await repo.getFailedEvents()).toEqual([]);
  });

  it('rejects ids and actors that are not strings', async () => {
    const repo = new InMemoryDLQRepository();
    const id = await repo.addFailedEvent(input('a'));
    await expect(repo.getFailedEventById(1 as unknown as string)).rejects.toThrow(
      invalid('getFailedEventById.id'),
    );
    await expect(repo.markRetrying(undefined as unknown as string)).rejects.toThrow(
      invalid('markRetrying.id'),
    );
    await expect(repo.markResolved(id, 5 as unknown as string)).rejects.toThrow(
      invalid('markResolved.resolvedBy'),
    );
    await expect(repo.markDiscarded(id, null as unknown as string)).rejects.toThrow(
      invalid('markDiscarded.discardedBy'),
    );
    await expect(repo.getBlockedStreams(null as unknown as string)).rejects.toThrow(
      invalid('getBlockedStreams.projectionName'),
    );
    expect((await repo.getFailedEventById(id))?.status).toBe('failed');
  });

  it('clear() empties the repository and restarts the ids', async () => {
    const repo = new InMemoryDLQRepository();
    const id = await repo.addFailedEvent(input('a', { streamId: 's', streamPosition: 1 }));
    await repo.addFailedEvent(input('b'));
    await repo.markResolved(id, 'x');
    await repo.clear();
    expect(await repo.listEntries({ statuses: ['failed', 'resolved'] })).toEqual([]);
    expect(await repo.getBlockedStreams('p')).toEqual([]);
    expect(await repo.getProjectionDepth('p')).toEqual({ depth: 0, oldest: null });
    expect(await repo.addFailedEvent(input('a'))).toBe('1');
  });

  it('pages through a large DLQ in linear time', async () => {
    const repo = new InMemoryDLQRepository();
    // The baseline is the same machine's time to add the entries (one linear pass), so the bound
    // holds on a loaded machine too: both slow down alike.
    const adding = performance.now();
    for (let i = 0; i < 30_000; i++) {
      await repo.addFailedEvent(
        input(`e-${i}`, {
          streamId: `s-${i % 3_000}`,
          streamPosition: Math.floor(i / 3_000) + 1,
          status: i >= 3_000 ? 'parked' : 'failed',
        }),
      );
    }
    const addsMs = performance.now() - adding;
    const started = performance.now();
    let after: DLQEntry | undefined;
    let seen = 0;
    for (;;) {
      const page = await repo.listEntries({
        projectionName: 'p',
        limit: 20,
        ...(after ? { after } : {}),
      });
      seen += page.length;
      if (page.length < 20) break;
      after = page[page.length - 1];
    }
    expect(seen).toBe(30_000);
    expect((await repo.getBlockedStreams('p')).length).toBe(3_000);
    // 1 500 pages: a scan-and-sort per page costs ~1 500 passes over the 30 000 entries, hundreds
    // of times the adding pass; an index walk costs about one pass.
    expect(performance.now() - started).toBeLessThan(Math.max(10 * addsMs, 250));
  }, 60_000);
});

interface ModelEntry {
  id: string;
  seq: number;
  eventId: string;
  projectionName: string;
  status: DLQStatus;
  retryCount: number;
  errorMessage: string;
  firstFailedAtMs: number;
  lastFailedAtMs: number;
  resolvedAtMs: number | null;
  resolvedBy: string | null;
  streamId: string | null;
  streamPosition: number | null;
}

type Command =
  | {
      op: 'add';
      event: number;
      projection: number;
      status: 'failed' | 'parked';
      stream: string | null;
      position: number | null;
      retry: number;
    }
  | { op: 'markRetrying' | 'markResolved' | 'markDiscarded'; pick: number }
  | { op: 'advance'; ms: number }
  | { op: 'delete'; days: number };

const PROJECTIONS = ['p-1', 'p-2'];
const ALL: DLQStatus[] = ['failed', 'retrying', 'parked', 'resolved', 'discarded'];

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      event: fc.nat(7),
      projection: fc.nat(1),
      status: fc.constantFrom('failed' as const, 'parked' as const),
      stream: fc.constantFrom(null, 's-1', 's-2', 'S-1', 'ß'),
      position: fc.option(fc.nat(3), { nil: null }),
      retry: fc.nat(3),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constantFrom(
        'markRetrying' as const,
        'markResolved' as const,
        'markDiscarded' as const,
      ),
      pick: fc.nat(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      ms: fc.constantFrom(0, 1, 1_000, DAY_MS / 2, DAY_MS),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('delete' as const),
      days: fc.constantFrom(0, 0.5, 1, 30),
    }),
  },
);

const streamOrder = (a: ModelEntry, b: ModelEntry) =>
  compareOrderKeys(
    a.streamId,
    a.streamPosition,
    a.firstFailedAtMs,
    a.id,
    b.streamId,
    b.streamPosition,
    b.firstFailedAtMs,
    b.id,
  );

function view(e: DLQEntry) {
  return {
    id: e.id,
    eventId: e.eventId,
    projectionName: e.projectionName,
    status: e.status,
    retryCount: e.retryCount,
    errorMessage: e.errorMessage,
    firstFailedAtMs: e.firstFailedAt.getTime(),
    lastFailedAtMs: e.lastFailedAt.getTime(),
    resolvedAtMs: e.resolvedAt?.getTime() ?? null,
    resolvedBy: e.resolvedBy,
    streamId: e.streamId,
    streamPosition: e.streamPosition,
  };
}

const modelView = ({ seq: _seq, ...rest }: ModelEntry) => rest;

describe('InMemoryDLQRepository against a model', () => {
  it('agrees with a naive model on every query after random operations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArbitrary, { maxLength: 60 }), async (commands) => {
        const clock = createManualClock(0);
        const repo = new InMemoryDLQRepository({ clock: clock.now });
        const model = new Map<string, ModelEntry>();
        let seq = 0;
        let step = 0;
        for (const command of commands) {
          step++;
          const now = clock.now();
          if (command.op === 'add') {
            const eventId = `event-${command.event}`;
            const projectionName = PROJECTIONS[command.projection] as string;
            const message = `error ${step}`;
            const id = await repo.addFailedEvent({
              eventId,
              projectionName,
              eventType: 'T',
              eventData: { step },
              error: message,
              retryCount: command.retry,
              status: command.status,
              streamId: command.stream,
              streamPosition: command.position,
            });
            const existing = [...model.values()].find(
              (e) => e.eventId === eventId && e.projectionName === projectionName,
            );
            if (existing === undefined) {
              seq++;
              expect(id).toBe(String(seq));
              model.set(id, {
                id,
                seq,
                eventId,
                projectionName,
                status: command.status,
                retryCount: command.retry,
                errorMessage: message,
                firstFailedAtMs: now,
                lastFailedAtMs: now,
                resolvedAtMs: null,
                resolvedBy: null,
                streamId: command.stream,
                streamPosition: command.position,
              });
            } else {
              expect(id).toBe(existing.id);
              Object.assign(existing, {
                status: statusAfterUpsert(existing.status, command.status),
                retryCount: command.retry,
                errorMessage: message,
                lastFailedAtMs: now,
                resolvedAtMs: null,
                resolvedBy: null,
              });
            }
          } else if (command.op === 'advance') {
            clock.advance(command.ms);
          } else if (command.op === 'delete') {
            const cutoff = now - command.days * DAY_MS;
            const doomed = [...model.values()].filter(
              (e) => e.status === 'resolved' && (e.resolvedAtMs as number) <= cutoff,
            );
            expect(await repo.deleteResolvedEvents(command.days)).toBe(doomed.length);
            for (const e of doomed) model.delete(e.id);
          } else {
            const ids = [...model.keys(), 'unknown'];
            const id = ids[command.pick % ids.length] as string;
            const entry = model.get(id);
            const allowed =
              entry !== undefined &&
              (command.op === 'markRetrying'
                ? canMarkRetrying(entry.status)
                : canSettle(entry.status));
            const result =
              command.op === 'markRetrying'
                ? await repo.markRetrying(id)
                : command.op === 'markResolved'
                  ? await repo.markResolved(id, `by-${step}`)
                  : await repo.markDiscarded(id, `by-${step}`);
            expect(result).toBe(allowed);
            if (allowed && entry !== undefined) {
              if (command.op === 'markRetrying') entry.status = 'retrying';
              else {
                entry.status = command.op === 'markResolved' ? 'resolved' : 'discarded';
                entry.resolvedAtMs = now;
                entry.resolvedBy = `by-${step}`;
              }
            }
          }
        }
        await expectAgreement(repo, [...model.values()]);
      }),
      { numRuns: 150 },
    );
  });
});

async function expectAgreement(repo: InMemoryDLQRepository, model: ModelEntry[]): Promise<void> {
  const unresolved = model.filter((e) => isUnresolvedDLQStatus(e.status));
  for (const projectionName of [...PROJECTIONS, undefined]) {
    const mine = model.filter(
      (e) => projectionName === undefined || e.projectionName === projectionName,
    );
    // listEntries: every status, default statuses, one stream; paged by 3.
    for (const statuses of [ALL, undefined, ['parked', 'resolved'] as DLQStatus[]]) {
      const wanted = statuses ?? ['failed', 'retrying', 'parked'];
      const expected = mine
        .filter((e) => wanted.includes(e.status))
        .sort(streamOrder)
        .map(modelView);
      const paged: DLQEntry[] = [];
      let after: DLQEntry | undefined;
      for (;;) {
        const page = await repo.listEntries({
          limit: 3,
          ...(projectionName === undefined ? {} : { projectionName }),
          ...(statuses === undefined ? {} : { statuses }),
          ...(after === undefined ? {} : { after }),
        });
        paged.push(...page);
        if (page.length < 3) break;
        after = page[page.length - 1];
      }
      expect(paged.map(view)).toEqual(expected);
    }
    const inStream = await repo.listEntries({
      streamId: 's-1',
      statuses: ALL,
      ...(projectionName ? { projectionName } : {}),
    });
    expect(inStream.map(view)).toEqual(
      mine
        .filter((e) => e.streamId === 's-1')
        .sort(streamOrder)
        .map(modelView),
    );
    // getFailedEvents per status.
    for (const status of ALL) {
      const expected = mine
        .filter((e) => e.status === status)
        .sort((a, b) => b.firstFailedAtMs - a.firstFailedAtMs || b.seq - a.seq)
        .map(modelView);
      const found = await repo.getFailedEvents({
        status,
        limit: 1_000,
        ...(projectionName ? { projectionName } : {}),
      });
      expect(found.map(view)).toEqual(expected);
    }
    if (projectionName === undefined) continue;
    const open = unresolved.filter((e) => e.projectionName === projectionName);
    expect(await repo.getBlockedStreams(projectionName)).toEqual(
      [...new Set(open.map((e) => e.streamId).filter((s): s is string => s !== null))].sort(
        compareCodePoints,
      ),
    );
    const depth = await repo.getProjectionDepth(projectionName);
    expect(depth.depth).toBe(open.length);
    expect(depth.oldest?.getTime() ?? null).toBe(
      open.length === 0 ? null : Math.min(...open.map((e) => e.firstFailedAtMs)),
    );
  }
  const failing = unresolved.filter((e) => e.status !== 'parked');
  const stats = await repo.getFailureStats();
  expect(stats).toEqual({
    totalFailed: failing.filter((e) => e.status === 'failed').length,
    totalRetrying: failing.filter((e) => e.status === 'retrying').length,
    totalParked: unresolved.length - failing.length,
    affectedProjections: new Set(failing.map((e) => e.projectionName)).size,
    oldestFailure:
      failing.length === 0 ? null : new Date(Math.min(...failing.map((e) => e.firstFailedAtMs))),
  });
  const counts = PROJECTIONS.map((projectionName) => {
    const rows = failing.filter((e) => e.projectionName === projectionName);
    return {
      projectionName,
      failureCount: rows.length,
      oldestFailure: new Date(Math.min(...rows.map((e) => e.firstFailedAtMs))),
      mostRecentFailure: new Date(Math.max(...rows.map((e) => e.lastFailedAtMs))),
    };
  })
    .filter((c) => c.failureCount > 0)
    .sort(
      (a, b) =>
        b.failureCount - a.failureCount || compareCodePoints(a.projectionName, b.projectionName),
    );
  expect(await repo.getProjectionFailureCounts()).toEqual(counts);
}
