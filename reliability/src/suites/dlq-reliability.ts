/**
 * A. The DLQ repository reliability suite (one shared suite, run against the in-memory and the
 * PostgreSQL repositories — the Axon pattern). Adapted to CONTRACT.md §5: upsert on
 * `(eventId, projectionName)`, `parked` for letters queued behind a failed head (Axon's
 * `enqueueIfPresent`), `markRetrying` as the claim, `failed → resolved` allowed directly.
 *
 * @module
 */
import {
  ALL_DLQ_STATUSES,
  type DLQEntry,
  type DLQLimits,
  DLQOverflowError,
  type DLQRepository,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_ERROR_STACKTRACE_LENGTH,
  redrive,
} from '@es/dlq';
import { describe, expect, it } from 'vitest';
import { recordFigures } from '../support/figures.js';

/** What the suite needs of one repository under test. */
export interface DlqSubject {
  readonly repo: DLQRepository;
  /** Moves the repository's clock (a manual clock), for retention tests. */
  readonly advance: (ms: number) => void;
  /** A second repository on the same storage (a restart / another process), when there is one. */
  readonly reopen?: () => DLQRepository;
  /** A repository on the same storage and clock, with these overflow limits (A7). */
  readonly limited: (limits: DLQLimits) => DLQRepository;
  readonly cleanup: () => Promise<void>;
}

/** Registers the A-suite for one repository implementation. */
export function describeDlqReliability(
  name: string,
  backend: 'memory' | 'postgres',
  factory: () => Promise<DlqSubject>,
): void {
  const DAY = 86_400_000;

  async function withSubject(run: (subject: DlqSubject) => Promise<void>): Promise<void> {
    const subject = await factory();
    try {
      await run(subject);
    } finally {
      await subject.cleanup();
    }
  }

  const add = (
    repo: DLQRepository,
    eventId: string,
    extra: Partial<Parameters<DLQRepository['addFailedEvent']>[0]> = {},
  ) =>
    repo.addFailedEvent({
      eventId,
      projectionName: 'proj',
      eventType: 'RelEvent',
      eventData: { eventId },
      error: new Error(`failed ${eventId}`),
      ...extra,
    });

  describe(`A: DLQ reliability — ${name}`, () => {
    it('A1: lists by projection, stream and status; keyset paging never repeats or skips under concurrent inserts', async () => {
      await withSubject(async ({ repo }) => {
        for (let i = 0; i < 120; i++) {
          await add(repo, `a${i}`, {
            projectionName: i % 3 === 0 ? 'other' : 'proj',
            streamId: `s${i % 7}`,
            streamPosition: Math.floor(i / 7) + 1,
            ...(i % 10 === 0 ? { status: 'parked' as const } : {}),
          });
        }
        expect(await repo.getFailedEvents({ projectionName: 'other', limit: 1000 })).toHaveLength(
          36,
        );
        expect(await repo.getFailedEvents({ status: 'parked', limit: 1000 })).toHaveLength(12);
        const s3 = await repo.listEntries({ projectionName: 'proj', streamId: 's3', limit: 1000 });
        expect(s3.every((e) => e.streamId === 's3')).toBe(true);
        expect(s3.map((e) => e.streamPosition)).toEqual(
          [...s3.map((e) => e.streamPosition)].sort((a, b) => (a ?? 0) - (b ?? 0)),
        );
        // Page through 'proj' while a concurrent writer keeps adding entries.
        const before = new Set(
          (await repo.listEntries({ projectionName: 'proj', limit: 1000 })).map((e) => e.id),
        );
        let writing = true;
        const writer = (async () => {
          for (let i = 0; writing && i < 200; i++) {
            await add(repo, `late${i}`, { streamId: `s${i % 11}`, streamPosition: 100 + i });
          }
        })();
        const seen: string[] = [];
        let after: DLQEntry | undefined;
        for (;;) {
          const page = await repo.listEntries({
            projectionName: 'proj',
            limit: 7,
            ...(after === undefined ? {} : { after }),
          });
          seen.push(...page.map((e) => e.id));
          if (page.length < 7) break;
          after = page.at(-1);
        }
        writing = false;
        await writer;
        expect(new Set(seen).size, 'a page repeated an entry').toBe(seen.length);
        const missing = [...before].filter((id) => !seen.includes(id));
        expect(missing, 'paging skipped entries that existed before it started').toEqual([]);
      });
    });

    it('A2: the same (projection, event) added by 8 concurrent workers leaves exactly one entry', async () => {
      await withSubject(async ({ repo }) => {
        const ids = await Promise.all(
          Array.from({ length: 8 }, (_, w) =>
            add(repo, 'dup', { retryCount: w, error: new Error(`worker ${w}`) }),
          ),
        );
        expect(new Set(ids).size).toBe(1);
        const all = await repo.listEntries({ statuses: ALL_DLQ_STATUSES, limit: 100 });
        expect(all).toHaveLength(1);
        const [entry] = all;
        expect(entry?.errorMessage).toMatch(/^worker [0-7]$/);
        expect(entry?.retryCount).toBe(Number(entry?.errorMessage.slice(7)));
        recordFigures({
          id: 'A2',
          backend,
          events: 1,
          faults: 8,
          lost: 0,
          duplicated: all.length - 1,
          skipped: 0,
          notes: '8 concurrent adds of one (projection, event)',
        });
      });
    });

    it('A3: a letter queued behind a failed head (enqueueIfPresent = parked) is stored in stream order and never demotes the head', async () => {
      await withSubject(async ({ repo }) => {
        const head = await add(repo, 'h', { streamId: 'S', streamPosition: 2 });
        await add(repo, 'p3', { streamId: 'S', streamPosition: 3, status: 'parked' });
        await add(repo, 'p4', { streamId: 'S', streamPosition: 4, status: 'parked' });
        // A parked re-add of the head (a redelivery) leaves it failed.
        await add(repo, 'h', { streamId: 'S', streamPosition: 2, status: 'parked' });
        expect((await repo.getFailedEventById(head))?.status).toBe('failed');
        expect(await repo.getBlockedStreams('proj')).toEqual(['S']);
        const entries = await repo.listEntries({ projectionName: 'proj', streamId: 'S' });
        expect(entries.map((e) => `${e.streamPosition}:${e.status}`)).toEqual([
          '2:failed',
          '3:parked',
          '4:parked',
        ]);
        // Without a head, nothing is blocked: a stream never gets blocked by accident.
        expect(await repo.getBlockedStreams('other')).toEqual([]);
      });
    });

    it('A4: insert order within a stream is unique and gap-free under concurrent writers, and survives a restart', async () => {
      await withSubject(async ({ repo, reopen }) => {
        const positions = Array.from({ length: 60 }, (_, i) => i + 1).sort(
          () => Math.random() - 0.5,
        );
        await Promise.all(
          positions.map((p) =>
            add(repo, `e${p}`, {
              streamId: 'S',
              streamPosition: p,
              ...(p > 1 ? { status: 'parked' as const } : {}),
            }),
          ),
        );
        const read = async (r: DLQRepository) =>
          (await r.listEntries({ projectionName: 'proj', streamId: 'S', limit: 1000 })).map(
            (e) => e.streamPosition,
          );
        const expected = Array.from({ length: 60 }, (_, i) => i + 1);
        expect(await read(repo)).toEqual(expected);
        if (reopen !== undefined) expect(await read(reopen())).toEqual(expected);
      });
    });

    it('A5: concurrent claims have one winner; inside the lease no one else claims or processes; after it (200 ms) a crashed claim is taken over, each letter processed once', async () => {
      await withSubject(async ({ repo, advance }) => {
        const LEASE = 200;
        const started = Date.now();
        // 8 streams × (a failed head + 2 parked letters behind it).
        const heads: string[] = [];
        for (let s = 0; s < 8; s++) {
          heads.push(await add(repo, `h${s}`, { streamId: `S${s}`, streamPosition: 1 }));
          for (const p of [2, 3]) {
            await add(repo, `p${s}.${p}`, {
              streamId: `S${s}`,
              streamPosition: p,
              status: 'parked',
            });
          }
        }
        // Two processors race for every head: exactly one wins each.
        const claims = await Promise.all(
          heads.flatMap((id) => [
            repo.markRetrying(id, { leaseMs: LEASE }),
            repo.markRetrying(id, { leaseMs: LEASE }),
          ]),
        );
        expect(claims.filter(Boolean)).toHaveLength(heads.length);
        // The winner "crashed" holding its claims. Inside the lease, concurrent redrives (of
        // other processors) touch nothing…
        const calls: string[] = [];
        const run = () =>
          redrive({
            dlqRepo: repo,
            projectionName: 'proj',
            leaseMs: LEASE,
            process: (e) => {
              calls.push(e.eventId);
            },
          });
        advance(LEASE - 1);
        const inside = await Promise.all([run(), run()]);
        expect(calls).toEqual([]);
        expect(inside.map((r) => r.succeeded)).toEqual([0, 0]);
        for (const id of heads) {
          expect((await repo.getFailedEventById(id))?.status).toBe('retrying');
        }
        // …after it, two concurrent redrives take the crashed claims over: every letter once.
        advance(1);
        const after = await Promise.all([run(), run(), run()]);
        const duplicated = calls.length - new Set(calls).size;
        const all = await repo.listEntries({ statuses: ALL_DLQ_STATUSES, limit: 1000 });
        const unresolved = all.filter((e) => e.status !== 'resolved').length;
        recordFigures({
          id: 'A5',
          backend,
          events: all.length,
          faults: heads.length,
          lost: unresolved,
          duplicated,
          skipped: 0,
          durationMs: Date.now() - started,
          notes: `${heads.length} claims crashed (lease ${LEASE} ms); 2 redrives inside the lease processed 0; 3 concurrent redrives after it`,
        });
        expect(duplicated).toBe(0);
        expect(unresolved).toBe(0);
        expect(new Set(calls).size).toBe(24);
        expect(after.reduce((n, r) => n + r.succeeded, 0)).toBe(24);
        // A claim taken without a lease still needs the operator (`includeRetrying`).
        const legacy = await add(repo, 'legacy');
        expect(await repo.markRetrying(legacy)).toBe(true);
        advance(365 * DAY);
        expect((await run()).succeeded).toBe(0);
        const recovery = await redrive({
          dlqRepo: repo,
          projectionName: 'proj',
          includeRetrying: true,
          process: (e) => {
            calls.push(e.eventId);
          },
        });
        expect(recovery.succeeded).toBe(1);
        expect(calls.filter((id) => id === 'legacy')).toHaveLength(1);
      });
    });

    it('A7: overflow — a new letter beyond max letters per projection / per stream is refused with DLQOverflowError, never written, never more than the limit under concurrency; upserts always pass', async () => {
      await withSubject(async ({ limited }) => {
        const repo = limited({ maxEntriesPerProjection: 10, maxEntriesPerStream: 3 });
        // 40 concurrent new letters over 8 streams: at most 3 per stream, 10 in all.
        const results = await Promise.allSettled(
          Array.from({ length: 40 }, (_, i) =>
            add(repo, `o${i}`, {
              streamId: `S${i % 8}`,
              streamPosition: Math.floor(i / 8) + 1,
              ...(i >= 8 ? { status: 'parked' as const } : {}),
            }),
          ),
        );
        const written = results.filter((r) => r.status === 'fulfilled').length;
        const refusals = results
          .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
          .map((r) => r.reason as unknown);
        expect(refusals.every((e) => e instanceof DLQOverflowError)).toBe(true);
        expect(refusals[0]).toMatchObject({ code: 'ES_DLQ_OVERFLOW', projectionName: 'proj' });
        const stored = await repo.listEntries({ projectionName: 'proj', limit: 1000 });
        const perStream = new Map<string, number>();
        for (const e of stored)
          perStream.set(e.streamId ?? '', (perStream.get(e.streamId ?? '') ?? 0) + 1);
        expect(written).toBe(10);
        expect(stored).toHaveLength(10);
        expect(Math.max(...perStream.values())).toBeLessThanOrEqual(3);
        // The refused letters left nothing behind; the stored ones can still be updated.
        const refusedIds = new Set(refusals.map((e) => (e as DLQOverflowError).eventId));
        expect(stored.some((e) => refusedIds.has(e.eventId))).toBe(false);
        const first = stored[0] as DLQEntry;
        expect(await add(repo, first.eventId, { retryCount: 5, streamId: first.streamId })).toBe(
          first.id,
        );
        // Room again once a letter is settled.
        expect(await repo.markResolved(first.id, 'ops')).toBe(true);
        await add(repo, 'after-room');
        await expect(add(repo, 'one-too-many')).rejects.toMatchObject({
          code: 'ES_DLQ_OVERFLOW',
          limit: 'maxEntriesPerProjection',
          max: 10,
        });
        recordFigures({
          id: 'A7',
          backend,
          events: 40,
          faults: refusals.length,
          lost: 0,
          duplicated: 0,
          skipped: 0,
          notes: `40 concurrent new letters, limits 10/projection 3/stream: ${written} written, ${refusals.length} refused with ES_DLQ_OVERFLOW`,
        });
      });
    });

    it('A6: requeue updates attempts and error; the lifecycle allows only its transitions; settling is idempotent', async () => {
      await withSubject(async ({ repo, advance }) => {
        const id = await add(repo, 'x', { retryCount: 1 });
        const first = await repo.getFailedEventById(id);
        expect(await repo.markRetrying(id)).toBe(true);
        expect(await repo.markRetrying(id)).toBe(false); // already claimed
        advance(1_000);
        await add(repo, 'x', { retryCount: 2, error: new Error('again') }); // the redrive failed
        const requeued = await repo.getFailedEventById(id);
        expect(requeued).toMatchObject({ status: 'failed', retryCount: 2, errorMessage: 'again' });
        expect(requeued?.firstFailedAt).toEqual(first?.firstFailedAt);
        expect(requeued?.lastFailedAt.getTime()).toBeGreaterThan(
          first?.lastFailedAt.getTime() ?? 0,
        );
        expect(await repo.markResolved(id, 'ops')).toBe(true); // failed → resolved directly
        expect(await repo.markResolved(id, 'ops')).toBe(false); // idempotent: no second effect
        expect(await repo.markRetrying(id)).toBe(false);
        expect(await repo.markDiscarded(id, 'ops')).toBe(false);
        expect((await repo.getFailedEventById(id))?.status).toBe('resolved');
        const gone = await add(repo, 'y');
        expect(await repo.markDiscarded(gone, 'ops')).toBe(true);
        expect(await repo.markRetrying(gone)).toBe(false);
        expect(await repo.markResolved(gone, 'ops')).toBe(false);
        expect(await repo.markRetrying('999999999')).toBe(false);
      });
    });

    it('A8: retention deletes only resolved entries older than N days, never unresolved or discarded ones', async () => {
      await withSubject(async ({ repo, advance }) => {
        const ids: Record<string, string> = {};
        for (const [key, status] of [
          ['old-resolved', 'resolved'],
          ['old-failed', 'failed'],
          ['old-parked', 'parked'],
          ['old-retrying', 'retrying'],
          ['old-discarded', 'discarded'],
        ] as const) {
          const id = await add(repo, key, status === 'parked' ? { status: 'parked' } : {});
          ids[key] = id;
          if (status === 'resolved') await repo.markResolved(id, 'ops');
          if (status === 'retrying') await repo.markRetrying(id);
          if (status === 'discarded') await repo.markDiscarded(id, 'ops');
        }
        advance(31 * DAY);
        const young = await add(repo, 'young');
        await repo.markResolved(young, 'ops');
        expect(await repo.deleteResolvedEvents(30)).toBe(1);
        const left = await repo.listEntries({ statuses: ALL_DLQ_STATUSES, limit: 100 });
        expect(left.map((e) => e.eventId).sort()).toEqual(
          ['old-discarded', 'old-failed', 'old-parked', 'old-retrying', 'young'].sort(),
        );
        expect(await repo.deleteResolvedEvents(0)).toBe(1);
        expect(await repo.getProjectionDepth('proj')).toMatchObject({ depth: 3 });
      });
    });

    it('A9: a huge payload, message and stack are stored (payload intact, texts truncated to the documented limits)', async () => {
      await withSubject(async ({ repo }) => {
        const error = new Error('m'.repeat(100_000));
        error.stack = `Error: ${'s'.repeat(200_000)}`;
        const payload = {
          blob: 'p'.repeat(1_000_000),
          nested: { list: Array.from({ length: 1_000 }, (_, i) => i) },
        };
        const id = await add(repo, 'big', { eventData: payload, error });
        const entry = await repo.getFailedEventById(id);
        expect(entry?.errorMessage.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
        expect(entry?.errorMessage).toMatch(/truncated/);
        expect(entry?.errorStacktrace?.length).toBeLessThanOrEqual(MAX_ERROR_STACKTRACE_LENGTH);
        expect(entry?.eventData).toEqual(payload);
      });
    });
  });
}
