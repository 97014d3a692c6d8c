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

    it('A5: the claim (markRetrying) has one winner; a crashed claim is taken over only on request (leases: not applicable)', async () => {
      await withSubject(async ({ repo }) => {
        const id = await add(repo, 'c', { streamId: 'S', streamPosition: 1 });
        const claims = await Promise.all(Array.from({ length: 8 }, () => repo.markRetrying(id)));
        expect(claims.filter(Boolean)).toHaveLength(1);
        // The claimer "crashed": the entry stays retrying. A normal redrive leaves it alone…
        const processed: string[] = [];
        const report = await redrive({
          dlqRepo: repo,
          projectionName: 'proj',
          process: (e) => {
            processed.push(e.id);
          },
        });
        expect(processed).toEqual([]);
        expect(report.succeeded).toBe(0);
        // …and an operator's recovery run takes it over, exactly once.
        const recovery = await redrive({
          dlqRepo: repo,
          projectionName: 'proj',
          includeRetrying: true,
          process: (e) => {
            processed.push(e.id);
          },
        });
        expect(processed).toEqual([id]);
        expect(recovery.succeeded).toBe(1);
        expect((await repo.getFailedEventById(id))?.status).toBe('resolved');
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
