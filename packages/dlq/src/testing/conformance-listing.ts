/**
 * Conformance: `listEntries` (stream order, filters, keyset paging), `getBlockedStreams` and
 * `getProjectionDepth`.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { DLQEntry, DLQStatus } from '../dlq-repository.js';
import { expectCode, type KitContext, PROJECTION } from './conformance-context.js';

/** A projection spread over streams whose ids only sort right by code point ("C" collation). */
async function seedStreams(ctx: KitContext) {
  const { repo, tick } = ctx;
  const resolvedA1 = await ctx.add({ streamId: 'stream-a', streamPosition: 1 });
  await repo.markResolved(resolvedA1.id, 'x');
  const b2 = await ctx.add({
    streamId: 'stream-b',
    streamPosition: 2,
    status: 'parked',
    eventType: 'TaskRenamed',
  });
  const b1 = await ctx.add({ streamId: 'stream-b', streamPosition: 1 });
  const upperA5 = await ctx.add({ streamId: 'Stream-a', streamPosition: 5 });
  const a3 = await ctx.add({ streamId: 'stream-a', streamPosition: 3, status: 'parked' });
  const loose1 = await ctx.add();
  await tick();
  const loose2 = await ctx.add();
  const other = await ctx.add({
    projectionName: 'other-projection',
    streamId: 'stream-0',
    streamPosition: 1,
  });
  await repo.markRetrying(b1.id);
  return { resolvedA1, b1, b2, upperA5, a3, loose1, loose2, other };
}

/** Registers the listing, blocked-stream and depth tests. */
export function describeListing(ctx: () => KitContext, timeout: number): void {
  describe('listEntries', () => {
    it('lists unresolved entries in stream order by default, entries without a stream last', {
      timeout,
    }, async () => {
      const s = await seedStreams(ctx());
      const listed = await ctx().repo.listEntries({ projectionName: PROJECTION });
      expect(listed.map((e) => e.id)).toEqual([
        s.upperA5.id,
        s.a3.id,
        s.b1.id,
        s.b2.id,
        s.loose1.id,
        s.loose2.id,
      ]);
      expect(listed.map((e) => e.status)).toEqual([
        'failed',
        'parked',
        'retrying',
        'parked',
        'failed',
        'failed',
      ]);
    });

    it('sorts a missing streamPosition last within its stream', { timeout }, async () => {
      const none = await ctx().add({ streamId: 'stream-c' });
      const nine = await ctx().add({ streamId: 'stream-c', streamPosition: 9 });
      const listed = await ctx().repo.listEntries({ projectionName: PROJECTION });
      expect(listed.map((e) => e.id)).toEqual([nine.id, none.id]);
    });

    it('breaks ties on stream and position by firstFailedAt, then id', { timeout }, async () => {
      const { tick } = ctx();
      const first = await ctx().add({ streamId: 'stream-t', streamPosition: 1 });
      await tick();
      const second = await ctx().add({ streamId: 'stream-t', streamPosition: 1 });
      const listed = await ctx().repo.listEntries({ projectionName: PROJECTION });
      expect(listed.map((e) => e.id)).toEqual([first.id, second.id]);
    });

    it('filters by statuses, ids, stream, event type and projection', { timeout }, async () => {
      const s = await seedStreams(ctx());
      const { repo } = ctx();
      const ids = async (options: Parameters<typeof repo.listEntries>[0]) =>
        (await repo.listEntries(options)).map((e) => e.id);
      expect(await ids({ projectionName: PROJECTION, statuses: ['parked'] })).toEqual([
        s.a3.id,
        s.b2.id,
      ]);
      expect(await ids({ projectionName: PROJECTION, statuses: ['resolved'] })).toEqual([
        s.resolvedA1.id,
      ]);
      expect(await ids({ projectionName: PROJECTION, statuses: ['resolved', 'parked'] })).toEqual([
        s.resolvedA1.id,
        s.a3.id,
        s.b2.id,
      ]);
      expect(await ids({ projectionName: PROJECTION, statuses: [] })).toEqual([]);
      expect(
        await ids({
          projectionName: PROJECTION,
          ids: [s.loose2.id, s.b2.id, s.upperA5.id, 'no-such-id'],
        }),
      ).toEqual([s.upperA5.id, s.b2.id, s.loose2.id]);
      expect(await ids({ projectionName: PROJECTION, ids: [] })).toEqual([]);
      expect(await ids({ projectionName: PROJECTION, ids: [s.resolvedA1.id] })).toEqual([]);
      expect(await ids({ projectionName: PROJECTION, streamId: 'stream-b' })).toEqual([
        s.b1.id,
        s.b2.id,
      ]);
      expect(await ids({ projectionName: PROJECTION, eventType: 'TaskRenamed' })).toEqual([
        s.b2.id,
      ]);
      expect(await ids({ projectionName: 'other-projection' })).toEqual([s.other.id]);
      expect(await ids({})).toEqual([
        s.upperA5.id,
        s.other.id,
        s.a3.id,
        s.b1.id,
        s.b2.id,
        s.loose1.id,
        s.loose2.id,
      ]);
    });

    it('pages with `after` without repeating or skipping an entry', { timeout }, async () => {
      const { repo } = ctx();
      for (const streamId of ['s-3', 's-1', 's-2']) {
        for (const streamPosition of [2, 1, 3]) await ctx().add({ streamId, streamPosition });
      }
      await ctx().add();
      await ctx().add();
      const all = await repo.listEntries({ projectionName: PROJECTION });
      expect(all).toHaveLength(11);
      for (const limit of [1, 2, 4, 11, 50]) {
        const paged: DLQEntry[] = [];
        let after: DLQEntry | undefined;
        for (let pages = 0; pages < 20; pages++) {
          const page = await repo.listEntries({
            projectionName: PROJECTION,
            limit,
            ...(after === undefined ? {} : { after }),
          });
          expect(page.length).toBeLessThanOrEqual(limit);
          paged.push(...page);
          if (page.length < limit) break;
          after = page[page.length - 1];
        }
        expect(
          paged.map((e) => e.id),
          `limit ${limit}`,
        ).toEqual(all.map((e) => e.id));
      }
    });

    it('keeps its place when entries change between pages', { timeout }, async () => {
      const { repo } = ctx();
      const a1 = await ctx().add({ streamId: 'stream-a', streamPosition: 1 });
      const b1 = await ctx().add({ streamId: 'stream-b', streamPosition: 1 });
      const c1 = await ctx().add({ streamId: 'stream-c', streamPosition: 1 });
      const page1 = await repo.listEntries({ projectionName: PROJECTION, limit: 2 });
      expect(page1.map((e) => e.id)).toEqual([a1.id, b1.id]);
      // The cursor entry is resolved, an entry lands before the cursor and one after it.
      await repo.markResolved(b1.id, 'x');
      await ctx().add({ streamId: 'stream-a', streamPosition: 2 });
      const b2 = await ctx().add({ streamId: 'stream-b', streamPosition: 2 });
      const page2 = await repo.listEntries({
        projectionName: PROJECTION,
        limit: 2,
        after: page1[1] as DLQEntry,
      });
      expect(page2.map((e) => e.id)).toEqual([b2.id, c1.id]);
    });

    it('returns at most 100 entries by default, and none for limit 0', { timeout }, async () => {
      const { repo } = ctx();
      for (let i = 0; i < 101; i++)
        await ctx().add({ streamId: 'stream-many', streamPosition: i + 1 });
      const listed = await repo.listEntries({ projectionName: PROJECTION });
      expect(listed).toHaveLength(100);
      expect(listed.map((e) => e.streamPosition)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      expect(await repo.listEntries({ projectionName: PROJECTION, limit: 0 })).toEqual([]);
    });

    it('rejects bad options with ES_INVALID_CONFIG', { timeout }, async () => {
      const { repo } = ctx();
      await expectCode(repo.listEntries({ limit: -1 }), 'ES_INVALID_CONFIG');
      await expectCode(repo.listEntries({ limit: 2.5 }), 'ES_INVALID_CONFIG');
      await expectCode(
        repo.listEntries({ statuses: ['gone' as unknown as DLQStatus] }),
        'ES_INVALID_CONFIG',
      );
      await expectCode(repo.listEntries({ after: {} as DLQEntry }), 'ES_INVALID_CONFIG');
    });
  });

  describe('getBlockedStreams', () => {
    it('lists the streams with an unresolved entry, in code point order', { timeout }, async () => {
      const s = await seedStreams(ctx());
      const { repo } = ctx();
      await ctx()
        .add({ streamId: 'stream-d', streamPosition: 1 })
        .then((e) => repo.markDiscarded(e.id, 'x'));
      expect(await repo.getBlockedStreams(PROJECTION)).toEqual([
        'Stream-a',
        'stream-a',
        'stream-b',
      ]);
      expect(await repo.getBlockedStreams('other-projection')).toEqual([s.other.streamId]);
      expect(await repo.getBlockedStreams('nobody')).toEqual([]);
    });

    it('unblocks a stream once all its entries are settled, and blocks it again on a new failure', {
      timeout,
    }, async () => {
      const { repo, input } = ctx();
      const head = input({ streamId: 'stream-x', streamPosition: 1 });
      const headId = await repo.addFailedEvent(head);
      const parked = await ctx().add({ streamId: 'stream-x', streamPosition: 2, status: 'parked' });
      expect(await repo.getBlockedStreams(PROJECTION)).toEqual(['stream-x']);
      await repo.markResolved(headId, 'x');
      expect(await repo.getBlockedStreams(PROJECTION)).toEqual(['stream-x']);
      await repo.markDiscarded(parked.id, 'x');
      expect(await repo.getBlockedStreams(PROJECTION)).toEqual([]);
      await repo.addFailedEvent({ ...head, error: new Error('again') });
      expect(await repo.getBlockedStreams(PROJECTION)).toEqual(['stream-x']);
    });
  });

  describe('getBlockedStreamHeads (optional)', () => {
    it('gives each blocked stream with the entry listEntries puts first', { timeout }, async () => {
      const { repo } = ctx();
      if (typeof repo.getBlockedStreamHeads !== 'function') return;
      await seedStreams(ctx());
      // A head settled: the next unresolved entry of its stream heads it now.
      const x1 = await ctx().add({ streamId: 'stream-x', streamPosition: 1 });
      await ctx().add({ streamId: 'stream-x', streamPosition: 3, status: 'parked' });
      await ctx().add({ streamId: 'stream-x', streamPosition: 2, status: 'parked' });
      await repo.markResolved(x1.id, 'x');
      await ctx()
        .add({ streamId: 'stream-gone', streamPosition: 1 })
        .then((e) => repo.markDiscarded(e.id, 'x'));
      for (const projection of [PROJECTION, 'other-projection', 'nobody']) {
        const expected = [];
        for (const streamId of await repo.getBlockedStreams(projection)) {
          const [first] = await repo.listEntries({
            projectionName: projection,
            streamId,
            limit: 1,
          });
          expected.push({
            streamId,
            entryId: (first as DLQEntry).id,
            streamPosition: (first as DLQEntry).streamPosition,
          });
        }
        expect(await repo.getBlockedStreamHeads(projection)).toEqual(expected);
      }
      const heads = await repo.getBlockedStreamHeads(PROJECTION);
      expect(heads.find((h) => h.streamId === 'stream-x')?.streamPosition).toBe(2);
      expect(heads.some((h) => h.streamId === 'stream-gone')).toBe(false);
    });
  });

  describe('getProjectionDepth', () => {
    it('counts unresolved entries (parked included) and reports the oldest', {
      timeout,
    }, async () => {
      const { repo, tick } = ctx();
      expect(await repo.getProjectionDepth(PROJECTION)).toEqual({ depth: 0, oldest: null });
      const settled = await ctx().add();
      await repo.markResolved(settled.id, 'x');
      await tick();
      const parked = await ctx().add({ streamId: 'stream-a', streamPosition: 2, status: 'parked' });
      await tick();
      const failed = await ctx().add({ streamId: 'stream-a', streamPosition: 1 });
      const retrying = await ctx().add();
      await repo.markRetrying(retrying.id);
      await ctx().add({ projectionName: 'other-projection' });
      const depth = await repo.getProjectionDepth(PROJECTION);
      expect(depth.depth).toBe(3);
      expect(depth.oldest?.getTime()).toBe(parked.firstFailedAt.getTime());
      await repo.markDiscarded(parked.id, 'x');
      const after = await repo.getProjectionDepth(PROJECTION);
      expect(after.depth).toBe(2);
      expect(after.oldest?.getTime()).toBe(failed.firstFailedAt.getTime());
      await repo.markResolved(failed.id, 'x');
      await repo.markResolved(retrying.id, 'x');
      expect(await repo.getProjectionDepth(PROJECTION)).toEqual({ depth: 0, oldest: null });
      expect(await repo.getProjectionDepth('nobody')).toEqual({ depth: 0, oldest: null });
    });
  });
}
