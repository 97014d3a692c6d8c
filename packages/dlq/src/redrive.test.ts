import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AddFailedEventInput, DLQEntry, DLQRepository, DLQStatus } from './dlq-repository.js';
import { RedriveError } from './errors.js';
import { InMemoryDLQRepository } from './in-memory-dlq-repository.js';
import {
  DEFAULT_REDRIVE_LEASE_MS,
  type RedriveOptions,
  type RedriveProgress,
  redrive,
} from './redrive.js';
import { createManualClock } from './testing/manual-clock.js';

const P = 'projection';
const invalid = (field: string) => expect.objectContaining({ code: 'ES_INVALID_CONFIG', field });
const label = (e: Pick<DLQEntry, 'streamId' | 'streamPosition'>) =>
  `${e.streamId}#${e.streamPosition}`;

let eventCounter = 0;
function given(extra: Partial<AddFailedEventInput> = {}): AddFailedEventInput {
  eventCounter++;
  return {
    eventId: `event-${eventCounter}`,
    projectionName: P,
    eventType: 'T',
    eventData: { n: eventCounter },
    error: 'failed',
    ...extra,
  };
}

/** Adds entries to one stream; `statuses[i]` is the status of position i + 1. */
async function stream(
  repo: DLQRepository,
  streamId: string | null,
  statuses: DLQStatus[],
): Promise<DLQEntry[]> {
  const entries: DLQEntry[] = [];
  for (const [i, status] of statuses.entries()) {
    const id = await repo.addFailedEvent(
      given({
        streamId,
        streamPosition: streamId === null ? null : i + 1,
        status: status === 'parked' ? 'parked' : 'failed',
      }),
    );
    if (status === 'retrying') await repo.markRetrying(id);
    if (status === 'resolved') await repo.markResolved(id, 'earlier');
    if (status === 'discarded') await repo.markDiscarded(id, 'earlier');
    entries.push((await repo.getFailedEventById(id)) as DLQEntry);
  }
  return entries;
}

async function statuses(repo: DLQRepository, entries: readonly DLQEntry[]): Promise<DLQStatus[]> {
  return Promise.all(
    entries.map(async (e) => ((await repo.getFailedEventById(e.id)) as DLQEntry).status),
  );
}

/** A repository whose methods can be intercepted. */
function intercept(repo: DLQRepository, overrides: Partial<DLQRepository>): DLQRepository {
  return new Proxy(repo, {
    get(target, key, receiver) {
      const override = (overrides as Record<PropertyKey, unknown>)[key];
      if (override !== undefined) return override;
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function recorder() {
  const seen: string[] = [];
  return {
    seen,
    process: async (entry: DLQEntry) => {
      seen.push(label(entry));
    },
  };
}

describe('redrive', () => {
  describe('options', () => {
    const repo = new InMemoryDLQRepository();
    const ok: RedriveOptions = { dlqRepo: repo, projectionName: P, process: async () => {} };
    it.each([
      ['dlqRepo', { dlqRepo: {} }],
      ['projectionName', { projectionName: '' }],
      ['process', { process: undefined }],
      ['ids', { ids: 'a' }],
      ['ids', { ids: [1] }],
      ['filter', { filter: true }],
      ['streamId', { streamId: 3 }],
      ['dryRun', { dryRun: 'yes' }],
      ['pageSize', { pageSize: 0 }],
      ['pageSize', { pageSize: 2.5 }],
      ['resolvedBy', { resolvedBy: 7 }],
      ['onProgress', { onProgress: 'log' }],
      ['signal', { signal: {} }],
      ['includeRetrying', { includeRetrying: 1 }],
      ['maxReportEntries', { maxReportEntries: -1 }],
      ['clock', { clock: 5 }],
    ])('rejects a bad %s with ES_INVALID_CONFIG', async (field, override) => {
      await expect(redrive({ ...ok, ...(override as object) } as RedriveOptions)).rejects.toThrow(
        invalid(`redrive.${field}`),
      );
    });

    it('rejects options that are not an object', async () => {
      await expect(redrive(null as unknown as RedriveOptions)).rejects.toThrow(
        invalid('redrive.options'),
      );
    });

    it('needs no process for a dry run', async () => {
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        dryRun: true,
      } as unknown as RedriveOptions);
      expect(report).toMatchObject({ selected: 0, dryRun: true });
    });
  });

  it('resolves with resolvedBy "redrive" by default and hands process the entry', async () => {
    const repo = new InMemoryDLQRepository();
    const [entry] = await stream(repo, 's', ['failed']);
    const received: DLQEntry[] = [];
    const report = await redrive({
      dlqRepo: repo,
      projectionName: P,
      process: async (e) => void received.push(e),
    });
    expect(received).toEqual([entry]);
    expect(await repo.getFailedEventById((entry as DLQEntry).id)).toMatchObject({
      status: 'resolved',
      resolvedBy: 'redrive',
    });
    expect(report.entries).toEqual([
      {
        id: entry?.id,
        eventId: entry?.eventId,
        streamId: 's',
        streamPosition: 1,
        status: 'failed',
        outcome: 'succeeded',
        errorMessage: null,
      },
    ]);
  });

  it('re-records a failed attempt with retryCount + 1, the new error and the stream fields', async () => {
    const repo = new InMemoryDLQRepository();
    const id = await repo.addFailedEvent(
      given({ streamId: 's', streamPosition: 4, position: 'cursor-9', retryCount: 2 }),
    );
    const parked = await stream(repo, 't', ['parked']);
    const report = await redrive({
      dlqRepo: repo,
      projectionName: P,
      process: () => {
        throw new TypeError('sync failure');
      },
    });
    expect(report).toMatchObject({ selected: 2, failed: 2 });
    expect(report.entries.map((e) => e.errorMessage)).toEqual(['sync failure', 'sync failure']);
    expect(await repo.getFailedEventById(id)).toMatchObject({
      status: 'failed',
      retryCount: 3,
      errorMessage: 'sync failure',
      streamId: 's',
      streamPosition: 4,
      position: 'cursor-9',
    });
    // A parked entry that was attempted and failed is now a real failure heading its stream.
    expect(await repo.getFailedEventById(parked[0]?.id as string)).toMatchObject({
      status: 'failed',
      retryCount: 1,
    });
  });

  it('treats entries without a stream as independent', async () => {
    const repo = new InMemoryDLQRepository();
    const [a, b] = await stream(repo, null, ['failed', 'failed']);
    const report = await redrive({
      dlqRepo: repo,
      projectionName: P,
      process: async (entry) => {
        if (entry.id === a?.id) throw new Error('only a');
      },
    });
    expect(report).toMatchObject({ succeeded: 1, failed: 1, skippedBehindFailure: 0 });
    expect(await statuses(repo, [a as DLQEntry, b as DLQEntry])).toEqual(['failed', 'resolved']);
  });

  it('redrives a failed entry behind an unselected failed one, but never a parked one', async () => {
    const repo = new InMemoryDLQRepository();
    const s = await stream(repo, 's', ['failed', 'failed', 'parked']);
    const { seen, process } = recorder();
    const report = await redrive({
      dlqRepo: repo,
      projectionName: P,
      filter: (e) => e.id === s[1]?.id,
      process,
    });
    expect(seen).toEqual(['s#2']);
    expect(report).toMatchObject({ selected: 2, succeeded: 1, skippedBehindFailure: 1 });
    expect(await statuses(repo, s)).toEqual(['failed', 'resolved', 'parked']);
  });

  it('after a failure skips the rest of the stream, failed entries included', async () => {
    const repo = new InMemoryDLQRepository();
    const s = await stream(repo, 's', ['failed', 'failed', 'parked']);
    const report = await redrive({
      dlqRepo: repo,
      projectionName: P,
      process: async () => {
        throw new Error('no');
      },
    });
    expect(report.entries.map((e) => e.outcome)).toEqual([
      'failed',
      'skipped_behind_failure',
      'skipped_behind_failure',
    ]);
    expect(await statuses(repo, s)).toEqual(['failed', 'failed', 'parked']);
  });

  it('processes a parked stream head when selected, and the parked entries behind it', async () => {
    const repo = new InMemoryDLQRepository();
    const s = await stream(repo, 's', ['resolved', 'parked', 'parked']);
    const { seen, process } = recorder();
    await redrive({ dlqRepo: repo, projectionName: P, ids: [s[1]?.id as string], process });
    expect(seen).toEqual(['s#2', 's#3']);
  });

  describe('concurrency', () => {
    it('leaves a stream alone while another redrive holds its head', async () => {
      const repo = new InMemoryDLQRepository();
      const s = await stream(repo, 's', ['retrying', 'parked']);
      const { seen, process } = recorder();
      const report = await redrive({ dlqRepo: repo, projectionName: P, process });
      expect(seen).toEqual([]);
      expect(report.entries.map((e) => e.outcome)).toEqual([
        'skipped_unavailable',
        'skipped_behind_failure',
      ]);
      expect(await statuses(repo, s)).toEqual(['retrying', 'parked']);
    });

    it('with includeRetrying takes over entries left in retrying by a crashed run', async () => {
      const repo = new InMemoryDLQRepository();
      const s = await stream(repo, 's', ['retrying', 'parked']);
      const { seen, process } = recorder();
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        includeRetrying: true,
        process,
      });
      expect(seen).toEqual(['s#1', 's#2']);
      expect(report).toMatchObject({ succeeded: 2 });
      expect(await statuses(repo, s)).toEqual(['resolved', 'resolved']);
    });

    it('stops a stream whose entry it cannot claim', async () => {
      const inner = new InMemoryDLQRepository();
      const s = await stream(inner, 's', ['failed', 'parked']);
      const t = await stream(inner, 't', ['failed']);
      const repo = intercept(inner, {
        markRetrying: async (id) => (id === s[0]?.id ? false : inner.markRetrying(id)),
      });
      const { seen, process } = recorder();
      const report = await redrive({ dlqRepo: repo, projectionName: P, process });
      expect(seen).toEqual(['t#1']);
      expect(report.entries.map((e) => e.outcome)).toEqual([
        'skipped_unavailable',
        'skipped_behind_failure',
        'succeeded',
      ]);
      expect(await statuses(inner, [...s, ...t])).toEqual(['failed', 'parked', 'resolved']);
    });

    it('lets two concurrent redrives process each entry exactly once, in stream order', async () => {
      const repo = new InMemoryDLQRepository();
      for (let i = 0; i < 10; i++) await stream(repo, `s-${i}`, ['failed', 'parked', 'parked']);
      const log: string[] = [];
      const process = async (entry: DLQEntry) => {
        await new Promise((resolve) => setImmediate(resolve));
        log.push(label(entry));
      };
      const [one, two] = await Promise.all([
        redrive({ dlqRepo: repo, projectionName: P, pageSize: 4, process }),
        redrive({ dlqRepo: repo, projectionName: P, pageSize: 3, process }),
      ]);
      expect(new Set(log).size).toBe(log.length);
      expect(log).toHaveLength(30);
      expect(one.succeeded + two.succeeded).toBe(30);
      for (let i = 0; i < 10; i++) {
        expect(log.filter((l) => l.startsWith(`s-${i}#`))).toEqual([
          `s-${i}#1`,
          `s-${i}#2`,
          `s-${i}#3`,
        ]);
      }
      expect(await repo.getProjectionDepth(P)).toEqual({ depth: 0, oldest: null });
    });

    it('releases entries parked behind a drained stream while the run was busy elsewhere', async () => {
      const inner = new InMemoryDLQRepository();
      await stream(inner, 's', ['failed', 'parked']);
      await stream(inner, 't', ['failed']);
      let calls = 0;
      const repo = intercept(inner, {
        listEntries: async (options) => {
          const page = await inner.listEntries(options);
          // A live subscription parks event s#3 right after the run read its second page.
          if (++calls === 2)
            await inner.addFailedEvent(
              given({ streamId: 's', streamPosition: 3, status: 'parked' }),
            );
          return page;
        },
      });
      const { seen, process } = recorder();
      const report = await redrive({ dlqRepo: repo, projectionName: P, pageSize: 2, process });
      expect(seen).toEqual(['s#1', 's#2', 's#3', 't#1']);
      expect(report.succeeded).toBe(4);
      expect(await inner.getBlockedStreams(P)).toEqual([]);
    });
  });

  describe('settling inside process (exactly-once)', () => {
    it("does not resolve an entry that process resolved itself and declared 'resolved'", async () => {
      const inner = new InMemoryDLQRepository();
      const s = await stream(inner, 's', ['failed', 'parked']);
      const engineResolves: string[] = [];
      const repo = intercept(inner, {
        markResolved: async (id, by) => {
          engineResolves.push(id);
          return inner.markResolved(id, by);
        },
      });
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        resolvedBy: 'ops',
        process: async (entry, context) => {
          // Stands for the markResolved of a repository bound to the handler's transaction.
          expect(await inner.markResolved(entry.id, context.resolvedBy)).toBe(true);
          context.settled('resolved');
        },
      });
      expect(engineResolves).toEqual([]);
      expect(report).toMatchObject({ selected: 2, succeeded: 2 });
      const after = await Promise.all(s.map((e) => inner.getFailedEventById(e.id)));
      expect(after.map((e) => [e?.status, e?.resolvedBy])).toEqual([
        ['resolved', 'ops'],
        ['resolved', 'ops'],
      ]);
    });

    it("records an entry declared 'unavailable' as skipped and holds the rest of its stream", async () => {
      const repo = new InMemoryDLQRepository();
      const s = await stream(repo, 's', ['failed', 'parked']);
      const t = await stream(repo, 't', ['failed']);
      const seen: string[] = [];
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        process: (entry, context) => {
          seen.push(label(entry));
          if (entry.streamId === 's') context.settled('unavailable');
        },
      });
      expect(seen).toEqual(['s#1', 't#1']);
      expect(report.entries.map((e) => e.outcome)).toEqual([
        'skipped_unavailable',
        'skipped_behind_failure',
        'succeeded',
      ]);
      // Nothing settled it in this test, so the claim stays: a recovery run takes it over.
      expect(await statuses(repo, [...s, ...t])).toEqual(['retrying', 'parked', 'resolved']);
    });

    it('ignores a declaration when process then rejects: the entry is requeued', async () => {
      const repo = new InMemoryDLQRepository();
      const s = await stream(repo, 's', ['failed']);
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        process: (_entry, context) => {
          context.settled('resolved');
          throw new Error('commit failed');
        },
      });
      expect(report).toMatchObject({ succeeded: 0, failed: 1 });
      expect(await repo.getFailedEventById(s[0]?.id as string)).toMatchObject({
        status: 'failed',
        retryCount: 1,
        errorMessage: 'commit failed',
      });
    });

    it('rejects an unknown declaration (process fails with ES_INVALID_CONFIG)', async () => {
      const repo = new InMemoryDLQRepository();
      await stream(repo, 's', ['failed']);
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        process: (_entry, context) => context.settled('done' as 'resolved'),
      });
      expect(report.entries[0]).toMatchObject({ outcome: 'failed' });
      expect(report.entries[0]?.errorMessage).toContain('redrive.process.settled');
    });

    it('does not revive an entry settled while process failed (a commit whose answer was lost)', async () => {
      const repo = new InMemoryDLQRepository();
      const s = await stream(repo, 's', ['failed', 'parked']);
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        process: async (entry) => {
          await repo.markResolved(entry.id, 'committed');
          throw new Error('connection reset during COMMIT');
        },
      });
      expect(report.entries.map((e) => e.outcome)).toEqual([
        'skipped_unavailable',
        'skipped_behind_failure',
      ]);
      expect(await statuses(repo, s)).toEqual(['resolved', 'parked']);
    });

    it('with includeRetrying, does not apply a retrying entry settled after it was listed', async () => {
      const inner = new InMemoryDLQRepository();
      const s = await stream(inner, 's', ['retrying', 'parked']);
      const repo = intercept(inner, {
        listEntries: async (options) => {
          const page = await inner.listEntries(options);
          // The run that held the claim finishes it right after this run listed it.
          await inner.markResolved(s[0]?.id as string, 'other run');
          return page;
        },
      });
      const { seen, process } = recorder();
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        includeRetrying: true,
        process,
      });
      expect(seen).toEqual([]);
      expect(report.entries.map((e) => e.outcome)).toEqual([
        'skipped_unavailable',
        'skipped_behind_failure',
      ]);
      expect(await statuses(inner, s)).toEqual(['resolved', 'parked']);
    });
  });

  describe('selection', () => {
    it('by ids: walks their streams in stream order, entries without a stream last, and reports ignored ids', async () => {
      const repo = new InMemoryDLQRepository();
      const b = await stream(repo, 'b', ['failed', 'parked']);
      const a = await stream(repo, 'a', ['failed']);
      const [loose] = await stream(repo, null, ['failed']);
      const [settled] = await stream(repo, 'c', ['resolved']);
      const other = await repo.addFailedEvent(given({ projectionName: 'other' }));
      const { seen, process } = recorder();
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        ids: [
          loose?.id as string,
          b[0]?.id as string,
          'nope',
          settled?.id as string,
          other,
          a[0]?.id as string,
        ],
        process,
      });
      expect(seen).toEqual(['a#1', 'b#1', 'b#2', 'null#null']);
      expect(report.ignoredIds).toEqual(['nope', settled?.id, other]);
    });

    it('by ids and streamId together', async () => {
      const repo = new InMemoryDLQRepository();
      const a = await stream(repo, 'a', ['failed']);
      const b = await stream(repo, 'b', ['failed']);
      const { seen, process } = recorder();
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        streamId: 'b',
        ids: [a[0]?.id as string, b[0]?.id as string],
        process,
      });
      expect(seen).toEqual(['b#1']);
      expect(report.ignoredIds).toEqual([a[0]?.id]);
    });

    it('by streamId', async () => {
      const repo = new InMemoryDLQRepository();
      await stream(repo, 'a', ['failed', 'parked']);
      await stream(repo, 'b', ['failed', 'parked']);
      const { seen, process } = recorder();
      await redrive({ dlqRepo: repo, projectionName: P, streamId: 'b', process });
      expect(seen).toEqual(['b#1', 'b#2']);
      expect(await repo.getBlockedStreams(P)).toEqual(['a']);
    });

    it('an empty ids list selects nothing', async () => {
      const repo = new InMemoryDLQRepository();
      await stream(repo, 'a', ['failed']);
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        ids: [],
        process: async () => {},
      });
      expect(report.selected).toBe(0);
    });
  });

  describe('reporting', () => {
    it('reports progress after each entry and ignores a throwing callback', async () => {
      const repo = new InMemoryDLQRepository();
      await stream(repo, 's', ['failed', 'parked', 'parked']);
      const progress: RedriveProgress[] = [];
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        process: async (e) => {
          if (e.streamPosition === 2) throw new Error('x');
        },
        onProgress: (p) => {
          progress.push(p);
          throw new Error('callback bug');
        },
      });
      expect(
        progress.map((p) => [
          p.entry.outcome,
          p.selected,
          p.succeeded,
          p.failed,
          p.skippedBehindFailure,
        ]),
      ).toEqual([
        ['succeeded', 1, 1, 0, 0],
        ['failed', 2, 1, 1, 0],
        ['skipped_behind_failure', 3, 1, 1, 1],
      ]);
      expect(report).toMatchObject({
        selected: 3,
        succeeded: 1,
        failed: 1,
        skippedBehindFailure: 1,
      });
    });

    it('caps the per-entry detail but keeps exact counters', async () => {
      const repo = new InMemoryDLQRepository();
      await stream(repo, 's', ['failed', 'parked', 'parked', 'parked', 'parked']);
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        maxReportEntries: 2,
        process: async () => {},
      });
      expect(report.entries).toHaveLength(2);
      expect(report.entriesTruncated).toBe(true);
      expect(report.succeeded).toBe(5);
      const full = await redrive({ dlqRepo: repo, projectionName: P, process: async () => {} });
      expect(full.entriesTruncated).toBe(false);
    });

    it('measures the duration with the injected clock', async () => {
      const repo = new InMemoryDLQRepository();
      const times = [100, 350];
      const report = await redrive({
        dlqRepo: repo,
        projectionName: P,
        process: async () => {},
        clock: () => times.shift() ?? 999,
      });
      expect(report.durationMs).toBe(250);
    });

    it('dry run predicts the order and outcome of a run in which everything succeeds', async () => {
      const repo = new InMemoryDLQRepository();
      await stream(repo, 'b', ['failed', 'parked']);
      await stream(repo, 'a', ['retrying', 'parked']);
      await stream(repo, 'c', ['failed', 'failed', 'parked']);
      const dry = await redrive({
        dlqRepo: repo,
        projectionName: P,
        dryRun: true,
        filter: (e) => e.streamPosition === 1,
        process: async () => {},
      });
      const real = await redrive({
        dlqRepo: repo,
        projectionName: P,
        filter: (e) => e.streamPosition === 1,
        process: async () => {},
      });
      expect(
        dry.entries.map((e) => [e.id, e.outcome === 'would_process' ? 'succeeded' : e.outcome]),
      ).toEqual(real.entries.map((e) => [e.id, e.outcome]));
      expect(dry.wouldProcess).toBe(real.succeeded);
      expect(real.wouldProcess).toBe(0);
    });
  });

  describe('interruption', () => {
    it('rejects with the reason of an already aborted signal and changes nothing', async () => {
      const repo = new InMemoryDLQRepository();
      const s = await stream(repo, 's', ['failed']);
      const controller = new AbortController();
      const reason = new Error('shutting down');
      controller.abort(reason);
      await expect(
        redrive({
          dlqRepo: repo,
          projectionName: P,
          signal: controller.signal,
          process: async () => {},
        }),
      ).rejects.toBe(reason);
      await expect(
        redrive({
          dlqRepo: repo,
          projectionName: P,
          signal: controller.signal,
          dryRun: true,
          process: async () => {},
        }),
      ).rejects.toBe(reason);
      expect(await statuses(repo, s)).toEqual(['failed']);
    });

    it('finishes and records the entry in flight, then stops before the next one', async () => {
      const repo = new InMemoryDLQRepository();
      const s = await stream(repo, 's', ['failed', 'parked']);
      const controller = new AbortController();
      const run = redrive({
        dlqRepo: repo,
        projectionName: P,
        signal: controller.signal,
        process: async () => {
          controller.abort();
        },
      });
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
      expect(await statuses(repo, s)).toEqual(['resolved', 'parked']);
    });

    it('wraps a repository failure in RedriveError with the partial report; the entry is recovered once its lease expired', async () => {
      const clock = createManualClock();
      const inner = new InMemoryDLQRepository({ clock: clock.now });
      const s = await stream(inner, 's', ['failed', 'parked']);
      const outage = new Error('connection lost');
      let resolves = 0;
      const repo = intercept(inner, {
        markResolved: async (id, by) => {
          if (++resolves === 2) throw outage;
          return inner.markResolved(id, by);
        },
      });
      const error = (await redrive({
        dlqRepo: repo,
        projectionName: P,
        process: async () => {},
      }).catch((e: unknown) => e)) as RedriveError;
      expect(error).toBeInstanceOf(RedriveError);
      expect(error.code).toBe('ES_DLQ_REDRIVE');
      expect(error.cause).toBe(outage);
      expect(error.entryId).toBe(s[1]?.id);
      expect(error.report).toMatchObject({ selected: 1, succeeded: 1 });
      expect(await statuses(inner, s)).toEqual(['resolved', 'retrying']);
      const { seen, process } = recorder();
      // Inside the lease no run takes it over…
      clock.advance(DEFAULT_REDRIVE_LEASE_MS - 1);
      const early = await redrive({ dlqRepo: inner, projectionName: P, process });
      expect(seen).toEqual([]);
      expect(early.skippedUnavailable).toBe(1);
      // …once it expired, any run does, without includeRetrying.
      clock.advance(1);
      await redrive({ dlqRepo: inner, projectionName: P, process });
      expect(seen).toEqual(['s#2']);
      expect(await statuses(inner, s)).toEqual(['resolved', 'resolved']);
    });

    it('includeRetrying (operator recovery) takes a crashed claim over even inside its lease', async () => {
      const clock = createManualClock();
      const inner = new InMemoryDLQRepository({ clock: clock.now });
      const s = await stream(inner, 's', ['failed', 'parked']);
      expect(await inner.markRetrying(s[0]?.id ?? '', { leaseMs: 60_000 })).toBe(true);
      const { seen, process } = recorder();
      await redrive({ dlqRepo: inner, projectionName: P, process });
      expect(seen).toEqual([]);
      const recovery = await redrive({
        dlqRepo: inner,
        projectionName: P,
        includeRetrying: true,
        process,
      });
      expect(seen).toEqual(['s#1', 's#2']);
      expect(recovery.succeeded).toBe(2);
      expect(await statuses(inner, s)).toEqual(['resolved', 'resolved']);
    });

    it('with leaseMs: null a claim never expires; includeRetrying recovers it', async () => {
      const clock = createManualClock();
      const inner = new InMemoryDLQRepository({ clock: clock.now });
      const s = await stream(inner, 's', ['failed', 'parked']);
      let resolves = 0;
      const repo = intercept(inner, {
        markResolved: async (id, by) => {
          if (++resolves === 2) throw new Error('connection lost');
          return inner.markResolved(id, by);
        },
      });
      await expect(
        redrive({ dlqRepo: repo, projectionName: P, leaseMs: null, process: async () => {} }),
      ).rejects.toBeInstanceOf(RedriveError);
      expect((await inner.getFailedEventById(s[1]?.id ?? ''))?.claimedUntil).toBeNull();
      clock.advance(365 * 86_400_000);
      const { seen, process } = recorder();
      await redrive({ dlqRepo: inner, projectionName: P, process });
      expect(seen).toEqual([]);
      await redrive({ dlqRepo: inner, projectionName: P, includeRetrying: true, process });
      expect(seen).toEqual(['s#2']);
      expect(await statuses(inner, s)).toEqual(['resolved', 'resolved']);
    });

    it('claims with the lease (default 30 s, or leaseMs) and validates leaseMs', async () => {
      const clock = createManualClock();
      const repo = new InMemoryDLQRepository({ clock: clock.now });
      const s = await stream(repo, 's', ['failed', 'failed']);
      const until: (number | undefined)[] = [];
      await redrive({
        dlqRepo: repo,
        projectionName: P,
        process: async (entry) => {
          until.push((await repo.getFailedEventById(entry.id))?.claimedUntil?.getTime());
          clock.advance(5);
        },
      });
      const start = Date.UTC(2025, 0, 1);
      expect(until).toEqual([
        start + DEFAULT_REDRIVE_LEASE_MS,
        start + 5 + DEFAULT_REDRIVE_LEASE_MS,
      ]);
      expect(await statuses(repo, s)).toEqual(['resolved', 'resolved']);
      const t = await stream(repo, 't', ['failed']);
      await redrive({
        dlqRepo: repo,
        projectionName: P,
        leaseMs: 1_000,
        process: async (entry) => {
          until.push((await repo.getFailedEventById(entry.id))?.claimedUntil?.getTime());
        },
      });
      expect(until[2]).toBe(clock.now() + 1_000);
      expect(await statuses(repo, t)).toEqual(['resolved']);
      for (const leaseMs of [0, -5, 1.5, 2 ** 31, '1' as unknown as number]) {
        await expect(
          redrive({ dlqRepo: repo, projectionName: P, leaseMs, process: () => {} }),
        ).rejects.toMatchObject({ code: 'ES_INVALID_CONFIG', field: 'redrive.leaseMs' });
      }
    });

    it('wraps a failure to re-record an entry, and a throwing filter, in RedriveError', async () => {
      const inner = new InMemoryDLQRepository();
      const s = await stream(inner, 's', ['failed']);
      const repo = intercept(inner, {
        addFailedEvent: async () => {
          throw new Error('disk full');
        },
      });
      const rerecord = redrive({
        dlqRepo: repo,
        projectionName: P,
        process: async () => {
          throw new Error('still broken');
        },
      });
      await expect(rerecord).rejects.toMatchObject({
        code: 'ES_DLQ_REDRIVE',
        entryId: s[0]?.id,
        cause: { message: 'disk full' },
      });
      const bug = new Error('filter bug');
      await expect(
        redrive({
          dlqRepo: inner,
          projectionName: P,
          includeRetrying: true,
          filter: () => {
            throw bug;
          },
          process: async () => {},
        }),
      ).rejects.toMatchObject({ code: 'ES_DLQ_REDRIVE', cause: bug, entryId: s[0]?.id });
    });

    it('stops with RedriveError instead of looping when listEntries breaks keyset paging', async () => {
      const inner = new InMemoryDLQRepository();
      await stream(inner, 's', ['failed', 'failed']);
      await stream(inner, 't', ['failed']);
      const repo = intercept(inner, {
        // Ignores the cursor and returns settled entries too: the same page over and over.
        listEntries: ({ after: _ignored, ...options } = {}) =>
          inner.listEntries({ ...options, statuses: ['failed', 'retrying', 'parked', 'resolved'] }),
      });
      await expect(
        redrive({ dlqRepo: repo, projectionName: P, pageSize: 2, process: async () => {} }),
      ).rejects.toMatchObject({
        code: 'ES_DLQ_REDRIVE',
        message: expect.stringContaining('keyset'),
      });
    });
  });

  it('keeps stream order and its promises for any DLQ state and any failure pattern', async () => {
    const entryStatus = fc.constantFrom<DLQStatus>(
      'failed',
      'parked',
      'parked',
      'retrying',
      'resolved',
      'discarded',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(entryStatus, { minLength: 1, maxLength: 5 }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        fc.integer({ min: 1, max: 4 }),
        async (streams, failures, onlyPosition, pageSize) => {
          const repo = new InMemoryDLQRepository();
          const seeded: DLQEntry[][] = [];
          for (const [i, statusList] of streams.entries())
            seeded.push(await stream(repo, `s-${i}`, statusList));
          const before = new Map(seeded.flat().map((e) => [e.id, e]));
          const filter =
            onlyPosition === undefined
              ? undefined
              : (e: DLQEntry) => e.streamPosition === onlyPosition;
          const dry = await redrive({
            dlqRepo: repo,
            projectionName: P,
            pageSize,
            dryRun: true,
            filter,
            process: async () => {},
          });
          const outcomes: { entry: DLQEntry; ok: boolean }[] = [];
          let call = 0;
          const report = await redrive({
            dlqRepo: repo,
            projectionName: P,
            pageSize,
            filter,
            process: async (entry) => {
              const ok = !(failures[call++] ?? false);
              outcomes.push({ entry, ok });
              if (!ok) throw new Error(`fail ${entry.id}`);
            },
          });
          // Counters add up and match what happened.
          expect(report.selected).toBe(
            report.succeeded +
              report.failed +
              report.skippedBehindFailure +
              report.skippedUnavailable,
          );
          expect(report.succeeded).toBe(outcomes.filter((o) => o.ok).length);
          expect(report.failed).toBe(outcomes.filter((o) => !o.ok).length);
          expect(new Set(outcomes.map((o) => o.entry.id)).size).toBe(outcomes.length);
          for (const entries of seeded) {
            const attempted = outcomes.filter((o) => o.entry.streamId === entries[0]?.streamId);
            // In stream order, and nothing after a failure.
            const positions = attempted.map((o) => o.entry.streamPosition as number);
            expect([...positions].sort((a, b) => a - b)).toEqual(positions);
            const firstFailure = attempted.findIndex((o) => !o.ok);
            if (firstFailure >= 0) expect(attempted).toHaveLength(firstFailure + 1);
            // A parked entry only runs when everything unresolved in front of it succeeded in this run.
            for (const { entry } of attempted) {
              if (entry.status !== 'parked') continue;
              const inFront = entries.filter(
                (e) =>
                  (e.streamPosition as number) < (entry.streamPosition as number) &&
                  ['failed', 'parked', 'retrying'].includes(e.status),
              );
              for (const blocker of inFront) {
                expect(attempted.some((o) => o.entry.id === blocker.id && o.ok)).toBe(true);
              }
            }
            // Retrying entries held elsewhere are never touched.
            expect(attempted.some((o) => o.entry.status === 'retrying')).toBe(false);
          }
          // Final states.
          for (const { entry, ok } of outcomes) {
            const now = (await repo.getFailedEventById(entry.id)) as DLQEntry;
            if (ok) expect(now.status).toBe('resolved');
            else expect(now).toMatchObject({ status: 'failed', retryCount: entry.retryCount + 1 });
          }
          const attemptedIds = new Set(outcomes.map((o) => o.entry.id));
          for (const [id, original] of before) {
            if (attemptedIds.has(id)) continue;
            expect(await repo.getFailedEventById(id)).toEqual(original);
          }
          // The dry run predicted the run up to its first failure.
          if (outcomes.every((o) => o.ok)) {
            expect(
              dry.entries.filter((e) => e.outcome === 'would_process').map((e) => e.id),
            ).toEqual(outcomes.map((o) => o.entry.id));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
