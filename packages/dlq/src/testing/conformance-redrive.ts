/**
 * Conformance: the redrive engine running on the repository under test.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { DLQEntry } from '../dlq-repository.js';
import { type RedriveProcessContext, redrive } from '../redrive.js';
import { type KitContext, listEverything, PROJECTION, snapshotOf } from './conformance-context.js';

/** Dead-letters the head of a stream and parks `parked` more events behind it. */
async function seedBlockedStream(
  ctx: KitContext,
  streamId: string,
  parked: number,
): Promise<DLQEntry[]> {
  const entries = [
    await ctx.add({ streamId, streamPosition: 1, retryCount: 3, eventData: { streamId, n: 1 } }),
  ];
  for (let n = 2; n <= parked + 1; n++) {
    entries.push(
      await ctx.add({
        streamId,
        streamPosition: n,
        status: 'parked',
        error: `parked behind ${entries[0]?.id}`,
        eventData: { streamId, n },
      }),
    );
  }
  return entries;
}

const label = (entry: DLQEntry): string => `${entry.streamId}#${entry.streamPosition}`;

/** Registers the redrive tests. */
export function describeRedrive(ctx: () => KitContext, timeout: number): void {
  describe('redrive on this repository', () => {
    it('processes failed entries and the parked ones behind them, in stream order, and resolves them', {
      timeout,
    }, async () => {
      await seedBlockedStream(ctx(), 'stream-b', 2);
      await seedBlockedStream(ctx(), 'stream-a', 1);
      const loose = await ctx().add();
      const other = await ctx().add({
        projectionName: 'other-projection',
        streamId: 'stream-a',
        streamPosition: 1,
      });
      const seen: string[] = [];
      const report = await redrive({
        dlqRepo: ctx().repo,
        projectionName: PROJECTION,
        resolvedBy: 'kit',
        process: async (entry) => {
          seen.push(label(entry));
        },
      });
      expect(seen).toEqual([
        'stream-a#1',
        'stream-a#2',
        'stream-b#1',
        'stream-b#2',
        'stream-b#3',
        'null#null',
      ]);
      expect(report).toMatchObject({
        selected: 6,
        succeeded: 6,
        failed: 0,
        skippedBehindFailure: 0,
        dryRun: false,
      });
      const after = await listEverything(ctx().repo, PROJECTION);
      expect(after.every((e) => e.status === 'resolved' && e.resolvedBy === 'kit')).toBe(true);
      expect((await ctx().get(loose.id)).status).toBe('resolved');
      expect((await ctx().get(other.id)).status).toBe('failed');
      expect(await ctx().repo.getBlockedStreams(PROJECTION)).toEqual([]);
    });

    it('stops a stream at a failure, re-records that entry, and carries on with other streams', {
      timeout,
    }, async () => {
      const { repo } = ctx();
      const s = await seedBlockedStream(ctx(), 'stream-s', 2);
      const t = await seedBlockedStream(ctx(), 'stream-t', 1);
      const [s1, s2, s3] = s as [DLQEntry, DLQEntry, DLQEntry];
      const seen: string[] = [];
      const report = await redrive({
        dlqRepo: repo,
        projectionName: PROJECTION,
        process: async (entry) => {
          seen.push(label(entry));
          if (entry.id === s2.id) throw new RangeError('still broken');
        },
      });
      expect(seen).toEqual(['stream-s#1', 'stream-s#2', 'stream-t#1', 'stream-t#2']);
      expect(report).toMatchObject({
        selected: 5,
        succeeded: 3,
        failed: 1,
        skippedBehindFailure: 1,
      });
      expect(report.entries.map((e) => [e.id, e.outcome])).toEqual([
        [s1.id, 'succeeded'],
        [s2.id, 'failed'],
        [s3.id, 'skipped_behind_failure'],
        [t[0]?.id, 'succeeded'],
        [t[1]?.id, 'succeeded'],
      ]);
      expect((await ctx().get(s1.id)).status).toBe('resolved');
      const failed = await ctx().get(s2.id);
      expect(failed).toMatchObject({
        status: 'failed',
        retryCount: s2.retryCount + 1,
        errorMessage: 'still broken',
      });
      expect(failed.errorStacktrace).toContain('RangeError: still broken');
      expect(failed.firstFailedAt.getTime()).toBe(s2.firstFailedAt.getTime());
      expect(snapshotOf(await ctx().get(s3.id))).toEqual(snapshotOf(s3));
      expect(await repo.getBlockedStreams(PROJECTION)).toEqual(['stream-s']);

      // The fix is deployed: the next run drains the rest of the stream, in order.
      const again: string[] = [];
      const second = await redrive({
        dlqRepo: repo,
        projectionName: PROJECTION,
        process: async (entry) => {
          again.push(label(entry));
        },
      });
      expect(again).toEqual(['stream-s#2', 'stream-s#3']);
      expect(second).toMatchObject({ selected: 2, succeeded: 2 });
      expect(await repo.getBlockedStreams(PROJECTION)).toEqual([]);
    });

    it('lets process settle entries itself: exactly once, and a recovery run applies nothing twice', {
      timeout,
    }, async () => {
      const { repo } = ctx();
      const s = await seedBlockedStream(ctx(), 'stream-s', 1);
      const [s1, s2] = s as [DLQEntry, DLQEntry];
      const applied: string[] = [];
      // `process` resolves the entry first (as a handler's transaction would) and applies it only
      // when that succeeded; the run "crashes" after the first entry's resolve landed.
      const settleThenApply = async (entry: DLQEntry, context: RedriveProcessContext) => {
        if (!(await repo.markResolved(entry.id, context.resolvedBy))) {
          context.settled('unavailable');
          return;
        }
        applied.push(label(entry));
        context.settled('resolved');
      };
      expect(await repo.markRetrying(s1.id)).toBe(true);
      expect(await repo.markResolved(s1.id, 'crashed-run')).toBe(true);
      applied.push(label(s1));
      const recovery = await redrive({
        dlqRepo: repo,
        projectionName: PROJECTION,
        includeRetrying: true,
        resolvedBy: 'recovery',
        process: settleThenApply,
      });
      expect(applied).toEqual(['stream-s#1', 'stream-s#2']);
      expect(recovery).toMatchObject({ selected: 1, succeeded: 1 });
      expect(await ctx().get(s1.id)).toMatchObject({
        status: 'resolved',
        resolvedBy: 'crashed-run',
      });
      expect(await ctx().get(s2.id)).toMatchObject({ status: 'resolved', resolvedBy: 'recovery' });

      // A run that lost the race for an entry (it was settled after it was listed) skips it.
      const late = await ctx().add({ streamId: 'stream-l', streamPosition: 1 });
      const raced = await redrive({
        dlqRepo: repo,
        projectionName: PROJECTION,
        process: async (entry, context) => {
          await repo.markDiscarded(entry.id, 'ops');
          await settleThenApply(entry, context);
        },
      });
      expect(raced.entries.map((e) => [e.id, e.outcome])).toEqual([
        [late.id, 'skipped_unavailable'],
      ]);
      expect(applied).toHaveLength(2);
      expect((await ctx().get(late.id)).status).toBe('discarded');
    });

    it('dry run: reports the order, calls nothing, changes nothing', { timeout }, async () => {
      const { repo } = ctx();
      await seedBlockedStream(ctx(), 'stream-b', 1);
      await seedBlockedStream(ctx(), 'stream-a', 2);
      const before = (await listEverything(repo)).map(snapshotOf);
      let calls = 0;
      const report = await redrive({
        dlqRepo: repo,
        projectionName: PROJECTION,
        dryRun: true,
        process: async () => {
          calls++;
        },
      });
      expect(calls).toBe(0);
      expect(report).toMatchObject({
        dryRun: true,
        selected: 5,
        wouldProcess: 5,
        succeeded: 0,
        failed: 0,
      });
      expect(report.entries.map((e) => `${e.streamId}#${e.streamPosition}:${e.outcome}`)).toEqual([
        'stream-a#1:would_process',
        'stream-a#2:would_process',
        'stream-a#3:would_process',
        'stream-b#1:would_process',
        'stream-b#2:would_process',
      ]);
      expect((await listEverything(repo)).map(snapshotOf)).toEqual(before);
    });

    it('never processes a parked entry whose stream head is not part of the run', {
      timeout,
    }, async () => {
      const { repo } = ctx();
      const s = await seedBlockedStream(ctx(), 'stream-s', 2);
      const t = await seedBlockedStream(ctx(), 'stream-t', 1);
      const seen: string[] = [];
      const process = async (entry: DLQEntry) => {
        seen.push(label(entry));
      };
      const byId = await redrive({
        dlqRepo: repo,
        projectionName: PROJECTION,
        ids: [s[2]?.id as string],
        process,
      });
      expect(seen).toEqual([]);
      expect(byId).toMatchObject({ selected: 1, skippedBehindFailure: 1, succeeded: 0 });
      expect((await ctx().get(s[2]?.id as string)).status).toBe('parked');

      const byFilter = await redrive({
        dlqRepo: repo,
        projectionName: PROJECTION,
        filter: (entry) => entry.streamId === 'stream-t',
        process,
      });
      expect(seen).toEqual(['stream-t#1', 'stream-t#2']);
      expect(byFilter).toMatchObject({ selected: 2, succeeded: 2, skippedBehindFailure: 0 });
      expect(
        (await listEverything(repo, PROJECTION))
          .filter((e) => e.streamId === 'stream-s')
          .map((e) => e.status),
      ).toEqual(['failed', 'parked', 'parked']);
      expect(t).toHaveLength(2);
    });

    it('redrives by ids, releasing the parked entries behind them, and reports unknown ids', {
      timeout,
    }, async () => {
      const { repo } = ctx();
      const s = await seedBlockedStream(ctx(), 'stream-s', 1);
      await seedBlockedStream(ctx(), 'stream-t', 1);
      const seen: string[] = [];
      const report = await redrive({
        dlqRepo: repo,
        projectionName: PROJECTION,
        ids: [s[0]?.id as string, '999999999'],
        process: async (entry) => {
          seen.push(label(entry));
        },
      });
      expect(seen).toEqual(['stream-s#1', 'stream-s#2']);
      expect(report.ignoredIds).toEqual(['999999999']);
      expect(await repo.getBlockedStreams(PROJECTION)).toEqual(['stream-t']);
    });

    it('releases a parked stream head once the failed entry in front of it was discarded', {
      timeout,
    }, async () => {
      const { repo } = ctx();
      const s = await seedBlockedStream(ctx(), 'stream-s', 2);
      expect(await repo.markDiscarded(s[0]?.id as string, 'ops')).toBe(true);
      const seen: string[] = [];
      await redrive({
        dlqRepo: repo,
        projectionName: PROJECTION,
        process: async (entry) => {
          seen.push(label(entry));
        },
      });
      expect(seen).toEqual(['stream-s#2', 'stream-s#3']);
      expect(await repo.getBlockedStreams(PROJECTION)).toEqual([]);
    });

    it('pages through many streams in stream order', { timeout }, async () => {
      const { repo } = ctx();
      const expected: string[] = [];
      for (let i = 24; i >= 0; i--) {
        const streamId = `stream-${String(i).padStart(2, '0')}`;
        await seedBlockedStream(ctx(), streamId, 2);
      }
      for (let i = 0; i < 25; i++) {
        const streamId = `stream-${String(i).padStart(2, '0')}`;
        expected.push(`${streamId}#1`, `${streamId}#2`, `${streamId}#3`);
      }
      const seen: string[] = [];
      const report = await redrive({
        dlqRepo: repo,
        projectionName: PROJECTION,
        pageSize: 2,
        process: async (entry) => {
          seen.push(label(entry));
        },
      });
      expect(seen).toEqual(expected);
      expect(report).toMatchObject({ selected: 75, succeeded: 75 });
      expect(await repo.getProjectionDepth(PROJECTION)).toEqual({ depth: 0, oldest: null });
    });
  });
}
