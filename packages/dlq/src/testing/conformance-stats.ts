/**
 * Conformance: `getFailureStats`, `getProjectionFailureCounts` and `deleteResolvedEvents`.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { DLQEntry } from '../dlq-repository.js';
import { expectCode, type KitContext } from './conformance-context.js';
import { seedEveryStatus } from './conformance-queries.js';

const DAY = 86_400_000;

/** Registers the statistics and clean-up tests. */
export function describeStatsAndCleanup(ctx: () => KitContext, timeout: number): void {
  describe('getFailureStats', () => {
    it('is all zeros and null on an empty repository', { timeout }, async () => {
      expect(await ctx().repo.getFailureStats()).toEqual({
        totalFailed: 0,
        totalRetrying: 0,
        totalParked: 0,
        affectedProjections: 0,
        oldestFailure: null,
      });
    });

    it('counts unresolved entries, parked apart, and ignores settled ones', {
      timeout,
    }, async () => {
      const { repo, tick } = ctx();
      // Settled and parked entries are older than every failure: they must not be "oldest".
      const resolved = await ctx().add({ projectionName: 'p-settled' });
      const discarded = await ctx().add({ projectionName: 'p-settled' });
      await repo.markResolved(resolved.id, 'x');
      await repo.markDiscarded(discarded.id, 'x');
      await ctx().add({ projectionName: 'p-parked-only', status: 'parked' });
      await tick();
      const oldest = await ctx().add({ projectionName: 'p-a' });
      await tick();
      const retrying = await ctx().add({ projectionName: 'p-a' });
      expect(await repo.markRetrying(retrying.id)).toBe(true);
      await ctx().add({ projectionName: 'p-a', status: 'parked' });
      await tick();
      await ctx().add({ projectionName: 'p-b' });
      const stats = await repo.getFailureStats();
      expect(stats).toEqual({
        totalFailed: 2,
        totalRetrying: 1,
        totalParked: 2,
        affectedProjections: 2,
        oldestFailure: expect.any(Date),
      });
      expect(stats.oldestFailure?.getTime()).toBe(oldest.firstFailedAt.getTime());
    });
  });

  describe('getProjectionFailureCounts', () => {
    it('is empty on an empty repository', { timeout }, async () => {
      expect(await ctx().repo.getProjectionFailureCounts()).toEqual([]);
    });

    it('groups failed and retrying entries by projection, most first, ties by name', {
      timeout,
    }, async () => {
      const { repo, tick, input } = ctx();
      await ctx().add({ projectionName: 'p-parked-only', status: 'parked' });
      const settled = await ctx().add({ projectionName: 'p-d' });
      await repo.markResolved(settled.id, 'x');
      const aFirst = await ctx().add({ projectionName: 'p-a' });
      await tick();
      await ctx().add({ projectionName: 'p-d' });
      await ctx().add({ projectionName: 'p-b' });
      const aRetrying = await ctx().add({ projectionName: 'p-a' });
      await repo.markRetrying(aRetrying.id);
      await ctx().add({ projectionName: 'p-a', status: 'parked' });
      const aThird = await ctx().add({ projectionName: 'p-a' });
      await tick();
      // A re-add moves lastFailedAt, and with it the projection's mostRecentFailure.
      await repo.addFailedEvent(input({ projectionName: 'p-a', eventId: aThird.eventId }));
      const latest = await ctx().get(aThird.id);
      const counts = await repo.getProjectionFailureCounts();
      expect(counts.map((c) => [c.projectionName, c.failureCount])).toEqual([
        ['p-a', 3],
        ['p-b', 1],
        ['p-d', 1],
      ]);
      const a = counts[0];
      expect(a?.oldestFailure?.getTime()).toBe(aFirst.firstFailedAt.getTime());
      expect(a?.mostRecentFailure?.getTime()).toBe(latest.lastFailedAt.getTime());
      expect(latest.lastFailedAt.getTime()).toBeGreaterThan(aFirst.firstFailedAt.getTime());
    });
  });

  describe('deleteResolvedEvents', () => {
    it('keeps an entry resolved just now under the default 30 days', { timeout }, async () => {
      const { repo, tick } = ctx();
      const entry = await ctx().add();
      await repo.markResolved(entry.id, 'x');
      await tick();
      expect(await repo.deleteResolvedEvents()).toBe(0);
      expect(await repo.deleteResolvedEvents(30)).toBe(0);
      expect(await repo.deleteResolvedEvents(1)).toBe(0);
      expect((await ctx().get(entry.id)).status).toBe('resolved');
    });

    it('with 0 deletes every resolved entry and nothing else', { timeout }, async () => {
      const { repo } = ctx();
      const seeded = await seedEveryStatus(ctx());
      const second = await ctx().add();
      await repo.markResolved(second.id, 'x');
      expect(await repo.deleteResolvedEvents(0)).toBe(2);
      expect(await repo.getFailedEventById(seeded.resolved.id)).toBeNull();
      expect(await repo.getFailedEventById(second.id)).toBeNull();
      for (const status of ['failed', 'retrying', 'parked', 'discarded'] as const) {
        expect((await ctx().get(seeded[status].id)).status).toBe(status);
      }
      expect(await repo.deleteResolvedEvents(0)).toBe(0);
    });

    it('lets a deleted key be dead-lettered again as a new entry', { timeout }, async () => {
      const { repo, input } = ctx();
      const given = input();
      const id = await repo.addFailedEvent(given);
      await repo.markResolved(id, 'x');
      expect(await repo.deleteResolvedEvents(0)).toBe(1);
      const again = await repo.addFailedEvent(given);
      expect(again).not.toBe(id);
      expect((await ctx().get(again)).status).toBe('failed');
    });

    it('cuts off at exactly now − N days (controlled clock only)', { timeout }, async (test) => {
      const { repo, clock } = ctx();
      if (clock === undefined) return test.skip();
      const month = await resolvedEntry(ctx());
      clock.advance(30 * DAY - 1);
      expect(await repo.deleteResolvedEvents(30)).toBe(0);
      clock.advance(1);
      expect(await repo.deleteResolvedEvents(30)).toBe(1);
      expect(await repo.getFailedEventById(month.id)).toBeNull();

      const halfDay = await resolvedEntry(ctx());
      clock.advance(DAY / 2 - 1);
      expect(await repo.deleteResolvedEvents(0.5)).toBe(0);
      clock.advance(1);
      expect(await repo.deleteResolvedEvents(0.5)).toBe(1);
      expect(await repo.getFailedEventById(halfDay.id)).toBeNull();
    });

    it('never deletes unresolved or discarded entries, however old (controlled clock only)', {
      timeout,
    }, async (test) => {
      const { repo, clock } = ctx();
      if (clock === undefined) return test.skip();
      const seeded = await seedEveryStatus(ctx());
      clock.advance(365 * DAY);
      expect(await repo.deleteResolvedEvents(30)).toBe(1);
      for (const status of ['failed', 'retrying', 'parked', 'discarded'] as const) {
        expect((await ctx().get(seeded[status].id)).status).toBe(status);
      }
    });

    it('rejects olderThanDays that is negative or not finite with ES_INVALID_CONFIG', {
      timeout,
    }, async () => {
      const { repo } = ctx();
      await expectCode(repo.deleteResolvedEvents(-1), 'ES_INVALID_CONFIG');
      await expectCode(repo.deleteResolvedEvents(Number.NaN), 'ES_INVALID_CONFIG');
      await expectCode(repo.deleteResolvedEvents(Number.POSITIVE_INFINITY), 'ES_INVALID_CONFIG');
      await expectCode(repo.deleteResolvedEvents('3' as unknown as number), 'ES_INVALID_CONFIG');
    });
  });
}

async function resolvedEntry(ctx: KitContext): Promise<DLQEntry> {
  const entry = await ctx.add();
  expect(await ctx.repo.markResolved(entry.id, 'x')).toBe(true);
  return entry;
}
