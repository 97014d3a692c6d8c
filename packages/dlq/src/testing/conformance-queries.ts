/**
 * Conformance: `getFailedEvents`, and that every read hands out copies, never live state.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { DLQEntry, DLQStatus } from '../dlq-repository.js';
import { expectCode, type KitContext, PROJECTION, snapshotOf } from './conformance-context.js';

/** Creates one entry in each status of one projection; returns them by status. */
export async function seedEveryStatus(
  ctx: KitContext,
  projectionName = PROJECTION,
): Promise<Record<DLQStatus, DLQEntry>> {
  const { repo } = ctx;
  const failed = await ctx.add({ projectionName, streamId: 's-failed', streamPosition: 1 });
  const retrying = await ctx.add({ projectionName, streamId: 's-retrying', streamPosition: 1 });
  const parked = await ctx.add({
    projectionName,
    streamId: 's-failed',
    streamPosition: 2,
    status: 'parked',
  });
  const resolved = await ctx.add({ projectionName, streamId: 's-resolved', streamPosition: 1 });
  const discarded = await ctx.add({ projectionName, streamId: 's-discarded', streamPosition: 1 });
  expect(await repo.markRetrying(retrying.id)).toBe(true);
  expect(await repo.markResolved(resolved.id, 'carol')).toBe(true);
  expect(await repo.markDiscarded(discarded.id, 'carol')).toBe(true);
  return {
    failed: await ctx.get(failed.id),
    retrying: await ctx.get(retrying.id),
    parked: await ctx.get(parked.id),
    resolved: await ctx.get(resolved.id),
    discarded: await ctx.get(discarded.id),
  };
}

/** Registers the `getFailedEvents` and copy-semantics tests. */
export function describeQueries(ctx: () => KitContext, timeout: number): void {
  describe('getFailedEvents', () => {
    it("returns only 'failed' entries by default", { timeout }, async () => {
      const seeded = await seedEveryStatus(ctx());
      const found = await ctx().repo.getFailedEvents();
      expect(found.map((e) => e.id)).toEqual([seeded.failed.id]);
    });

    it('filters by each status', { timeout }, async () => {
      const seeded = await seedEveryStatus(ctx());
      for (const status of ['failed', 'retrying', 'parked', 'resolved', 'discarded'] as const) {
        const found = await ctx().repo.getFailedEvents({ status });
        expect(
          found.map((e) => e.id),
          status,
        ).toEqual([seeded[status].id]);
        expect(found[0]?.status).toBe(status);
      }
    });

    it('filters by projection', { timeout }, async () => {
      const mine = await ctx().add();
      const theirs = await ctx().add({ projectionName: 'other-projection' });
      const { repo } = ctx();
      expect((await repo.getFailedEvents({ projectionName: PROJECTION })).map((e) => e.id)).toEqual(
        [mine.id],
      );
      expect(
        (await repo.getFailedEvents({ projectionName: 'other-projection' })).map((e) => e.id),
      ).toEqual([theirs.id]);
      expect(await repo.getFailedEvents({ projectionName: 'nobody' })).toEqual([]);
      expect(await repo.getFailedEvents()).toHaveLength(2);
    });

    it('orders newest firstFailedAt first, and a re-add does not move an entry', {
      timeout,
    }, async () => {
      const { repo, tick } = ctx();
      const a = await ctx().add();
      await tick();
      const b = await ctx().add();
      await tick();
      const c = await ctx().add();
      await tick();
      await repo.addFailedEvent(ctx().input({ eventId: a.eventId, error: new Error('again') }));
      expect((await repo.getFailedEvents()).map((e) => e.id)).toEqual([c.id, b.id, a.id]);
    });

    it('breaks firstFailedAt ties by creation, newest first (controlled clock only)', {
      timeout,
    }, async (test) => {
      if (ctx().clock === undefined) test.skip();
      const a = await ctx().add();
      const b = await ctx().add();
      const c = await ctx().add();
      expect(a.firstFailedAt.getTime()).toBe(c.firstFailedAt.getTime());
      expect((await ctx().repo.getFailedEvents()).map((e) => e.id)).toEqual([c.id, b.id, a.id]);
    });

    it('returns at most 100 entries by default, the newest ones', { timeout }, async () => {
      const { repo, clock } = ctx();
      const ids: string[] = [];
      for (let i = 0; i < 105; i++) {
        ids.push((await ctx().add()).id);
        clock?.advance(1);
      }
      const found = await repo.getFailedEvents();
      expect(found).toHaveLength(100);
      for (let i = 1; i < found.length; i++) {
        expect((found[i - 1] as DLQEntry).firstFailedAt.getTime()).toBeGreaterThanOrEqual(
          (found[i] as DLQEntry).firstFailedAt.getTime(),
        );
      }
      if (clock !== undefined) {
        expect(found.map((e) => e.id)).toEqual(ids.slice(5).reverse());
      }
    });

    it('honours limit, including 0', { timeout }, async () => {
      const { repo, tick } = ctx();
      const a = await ctx().add();
      await tick();
      const b = await ctx().add();
      await tick();
      const c = await ctx().add();
      expect(a.id).not.toBe(c.id);
      expect((await repo.getFailedEvents({ limit: 2 })).map((e) => e.id)).toEqual([c.id, b.id]);
      expect(await repo.getFailedEvents({ limit: 0 })).toEqual([]);
    });

    it('rejects a bad limit or status with ES_INVALID_CONFIG', { timeout }, async () => {
      const { repo } = ctx();
      await expectCode(repo.getFailedEvents({ limit: -1 }), 'ES_INVALID_CONFIG');
      await expectCode(repo.getFailedEvents({ limit: 1.5 }), 'ES_INVALID_CONFIG');
      await expectCode(repo.getFailedEvents({ limit: Number.NaN }), 'ES_INVALID_CONFIG');
      await expectCode(
        repo.getFailedEvents({ status: 'gone' as unknown as DLQStatus }),
        'ES_INVALID_CONFIG',
      );
    });
  });

  describe('copies, never live state', () => {
    it('is not changed by mutating an entry it returned', { timeout }, async () => {
      const { repo } = ctx();
      const added = await ctx().add({ eventData: { title: 'x', nested: { list: [1, 2] } } });
      const before = snapshotOf(added);
      const reads: DLQEntry[] = [
        added,
        ...(await repo.getFailedEvents()),
        ...(await repo.listEntries({ projectionName: PROJECTION })),
      ];
      for (const entry of reads) {
        const loose = entry as unknown as Record<string, unknown>;
        attempt(() => {
          loose.errorMessage = 'mutated';
        });
        attempt(() => {
          loose.status = 'resolved';
        });
        attempt(() => {
          (entry.eventData as Record<string, unknown>).title = 'mutated';
        });
        attempt(() => {
          ((entry.eventData.nested as Record<string, unknown>).list as unknown[]).push(3);
        });
        attempt(() => entry.firstFailedAt.setTime(0));
        attempt(() => entry.lastFailedAt.setTime(0));
      }
      expect(snapshotOf(await ctx().get(added.id))).toEqual(before);
      expect((await repo.getFailedEvents()).map(snapshotOf)).toEqual([before]);
    });

    it('is not changed by mutating the eventData it was given', { timeout }, async () => {
      const { repo, input } = ctx();
      const data = { title: 'x', nested: { list: [1, 2] } };
      const given = input({ eventData: data });
      const id = await repo.addFailedEvent(given);
      data.title = 'mutated';
      data.nested.list.push(3);
      expect((await ctx().get(id)).eventData).toEqual({ title: 'x', nested: { list: [1, 2] } });
      await repo.addFailedEvent({ ...given, error: new Error('again') });
      expect((await ctx().get(id)).eventData).toEqual({ title: 'x', nested: { list: [1, 2] } });
    });

    it('returns a new object on every read', { timeout }, async () => {
      const added = await ctx().add();
      const first = await ctx().get(added.id);
      const second = await ctx().get(added.id);
      expect(first).not.toBe(second);
      expect(first.firstFailedAt).not.toBe(second.firstFailedAt);
      expect(first).toEqual(second);
    });
  });
}

function attempt(mutate: () => unknown): void {
  try {
    mutate();
  } catch {
    // Frozen copies throw in strict mode; that is as good as ignoring the change.
  }
}
