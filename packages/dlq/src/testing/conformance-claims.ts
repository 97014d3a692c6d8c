/**
 * Conformance: claim leases (`markRetrying(id, { leaseMs })`) and overflow limits
 * (`DLQOverflowError`), and the redrive engine's takeover of expired claims.
 *
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { DLQLimits } from '../dlq-limits.js';
import type { DLQEntry, DLQRepository } from '../dlq-repository.js';
import { DLQOverflowError } from '../errors.js';
import { redrive } from '../redrive.js';
import {
  expectCode,
  type KitContext,
  PROJECTION,
  sleep,
  snapshotOf,
} from './conformance-context.js';

/** Lease used by the kit: exact on a controlled clock, short real time otherwise. */
const LEASE_MS = 200;

/** Lets the lease of a claim taken now run out (exactly `LEASE_MS` on a controlled clock). */
async function expire(ctx: KitContext): Promise<void> {
  if (ctx.clock !== undefined) ctx.clock.advance(LEASE_MS);
  else await sleep(LEASE_MS + 50);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Registers the lease and overflow tests. */
export function describeClaimsAndLimits(ctx: () => KitContext, timeout: number): void {
  describe('claim leases', () => {
    it('of concurrent claimers exactly one wins; the claim records until when it holds', {
      timeout,
    }, async () => {
      const { repo, clock } = ctx();
      const entry = await ctx().add({ streamId: 's', streamPosition: 1 });
      expect(entry.claimedUntil ?? null).toBeNull();
      const before = Date.now();
      const claims = await Promise.all(
        Array.from({ length: 8 }, () => repo.markRetrying(entry.id, { leaseMs: LEASE_MS })),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      const claimed = await ctx().get(entry.id);
      expect(claimed.status).toBe('retrying');
      const until = claimed.claimedUntil?.getTime() ?? Number.NaN;
      if (clock !== undefined) {
        expect(until).toBe(entry.lastFailedAt.getTime() + LEASE_MS);
      } else {
        expect(until).toBeGreaterThanOrEqual(before + LEASE_MS - 1);
        expect(until).toBeLessThanOrEqual(Date.now() + LEASE_MS + 1);
      }
    });

    it('refuses a second claim inside the lease (nothing changes) and grants a takeover once it expired', {
      timeout,
    }, async () => {
      const { repo, clock } = ctx();
      const entry = await ctx().add();
      expect(await repo.markRetrying(entry.id, { leaseMs: LEASE_MS })).toBe(true);
      const held = await ctx().get(entry.id);
      if (clock !== undefined) clock.advance(LEASE_MS - 1);
      expect(await repo.markRetrying(entry.id, { leaseMs: LEASE_MS })).toBe(false);
      expect(await repo.markRetrying(entry.id)).toBe(false);
      expect(snapshotOf(await ctx().get(entry.id))).toEqual(snapshotOf(held));
      if (clock !== undefined) clock.advance(1);
      else await expire(ctx());
      // Concurrent takeovers of the expired claim: one winner again, with a fresh lease.
      const takeovers = await Promise.all(
        Array.from({ length: 6 }, () => repo.markRetrying(entry.id, { leaseMs: LEASE_MS })),
      );
      expect(takeovers.filter(Boolean)).toHaveLength(1);
      const taken = await ctx().get(entry.id);
      expect(taken.status).toBe('retrying');
      expect(taken.claimedUntil?.getTime()).toBeGreaterThan(held.claimedUntil?.getTime() ?? 0);
      expect(await repo.markRetrying(entry.id, { leaseMs: LEASE_MS })).toBe(false);
    });

    it('a claim without a lease never expires', { timeout }, async () => {
      const { repo, clock } = ctx();
      const entry = await ctx().add();
      expect(await repo.markRetrying(entry.id)).toBe(true);
      expect((await ctx().get(entry.id)).claimedUntil ?? null).toBeNull();
      if (clock !== undefined) clock.advance(365 * 86_400_000);
      else await expire(ctx());
      expect(await repo.markRetrying(entry.id, { leaseMs: LEASE_MS })).toBe(false);
      expect((await ctx().get(entry.id)).status).toBe('retrying');
    });

    it('an entry that leaves retrying drops its claim; a parked re-add keeps it', {
      timeout,
    }, async () => {
      const { repo } = ctx();
      const entry = await ctx().add({ streamId: 's', streamPosition: 1 });
      await repo.markRetrying(entry.id, { leaseMs: LEASE_MS });
      const input = {
        eventId: entry.eventId,
        projectionName: PROJECTION,
        eventType: entry.eventType,
        eventData: entry.eventData,
        streamId: 's',
        streamPosition: 1,
      };
      await repo.addFailedEvent({ ...input, error: 'redelivered', status: 'parked' });
      const kept = await ctx().get(entry.id);
      expect(kept.status).toBe('retrying');
      expect(kept.claimedUntil).not.toBeNull();
      await repo.addFailedEvent({ ...input, error: 'redrive failed', retryCount: 1 });
      const requeued = await ctx().get(entry.id);
      expect(requeued.status).toBe('failed');
      expect(requeued.claimedUntil ?? null).toBeNull();
      await repo.markRetrying(entry.id, { leaseMs: LEASE_MS });
      expect(await repo.markResolved(entry.id, 'kit')).toBe(true);
      expect((await ctx().get(entry.id)).claimedUntil ?? null).toBeNull();
      const other = await ctx().add();
      await repo.markRetrying(other.id, { leaseMs: LEASE_MS });
      expect(await repo.markDiscarded(other.id, 'kit')).toBe(true);
      expect((await ctx().get(other.id)).claimedUntil ?? null).toBeNull();
    });

    it('rejects invalid lease options with ES_INVALID_CONFIG', { timeout }, async () => {
      const { repo } = ctx();
      const entry = await ctx().add();
      for (const leaseMs of [0, -1, 1.5, Number.NaN, 2 ** 31, '5' as unknown as number]) {
        await expectCode(repo.markRetrying(entry.id, { leaseMs }), 'ES_INVALID_CONFIG');
      }
      await expectCode(
        repo.markRetrying(entry.id, null as unknown as { leaseMs: number }),
        'ES_INVALID_CONFIG',
      );
      expect((await ctx().get(entry.id)).status).toBe('failed');
    });

    it('redrive takes over an entry whose lease expired, never one inside its lease', {
      timeout,
    }, async () => {
      const { repo } = ctx();
      const head = await ctx().add({ streamId: 's', streamPosition: 1 });
      const behind = await ctx().add({ streamId: 's', streamPosition: 2, status: 'parked' });
      // A run claimed the head, then crashed.
      expect(await repo.markRetrying(head.id, { leaseMs: LEASE_MS })).toBe(true);
      const processed: string[] = [];
      const run = () =>
        redrive({
          dlqRepo: repo,
          projectionName: PROJECTION,
          leaseMs: LEASE_MS,
          process: (entry: DLQEntry) => {
            processed.push(entry.id);
          },
        });
      const inside = await run();
      expect(processed).toEqual([]);
      expect(inside.skippedUnavailable).toBe(1);
      expect((await ctx().get(behind.id)).status).toBe('parked');
      await expire(ctx());
      const after = await run();
      expect(processed).toEqual([head.id, behind.id]);
      expect(after.succeeded).toBe(2);
      expect((await ctx().get(head.id)).status).toBe('resolved');
      expect((await ctx().get(behind.id)).status).toBe('resolved');
    });
  });

  describe('overflow limits (when the factory supplies withLimits)', () => {
    /** A limited repository on the subject's storage; skips the test when there is none. */
    const limiter = (skip: () => void): ((limits: DLQLimits) => Promise<DLQRepository>) => {
      const withLimits = ctx().withLimits;
      if (withLimits === undefined) skip();
      return withLimits as (limits: DLQLimits) => Promise<DLQRepository>;
    };

    it('maxEntriesPerProjection: a new entry beyond it throws DLQOverflowError and writes nothing; upserts and other projections go on', {
      timeout,
    }, async ({ skip }) => {
      const limited = limiter(skip);
      const repo = await limited({ maxEntriesPerProjection: 3 });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await repo.addFailedEvent(ctx().input()));
      const refused = ctx().input({ streamId: 's', streamPosition: 9 });
      const error = await rejection(repo.addFailedEvent(refused));
      expect(error).toBeInstanceOf(DLQOverflowError);
      expect(error).toMatchObject({
        code: 'ES_DLQ_OVERFLOW',
        limit: 'maxEntriesPerProjection',
        max: 3,
        projectionName: PROJECTION,
        streamId: null,
        eventId: refused.eventId,
      });
      expect(await repo.getProjectionDepth(PROJECTION)).toMatchObject({ depth: 3 });
      // An upsert of an existing key is never refused, even a revival of a settled entry.
      const first = await repo.getFailedEventById(ids[0] as string);
      expect(await repo.markResolved(ids[1] as string, 'kit')).toBe(true);
      const revived = await repo.getFailedEventById(ids[1] as string);
      expect(await repo.addFailedEvent(ctx().input({ eventId: first?.eventId as string }))).toBe(
        ids[0],
      );
      expect(await repo.addFailedEvent(ctx().input())).toMatch(/./); // room after the resolve
      expect(await repo.addFailedEvent(ctx().input({ eventId: revived?.eventId as string }))).toBe(
        ids[1],
      );
      expect(await repo.getProjectionDepth(PROJECTION)).toMatchObject({ depth: 4 });
      await expectCode(repo.addFailedEvent(ctx().input()), 'ES_DLQ_OVERFLOW');
      // Another projection has its own budget.
      await repo.addFailedEvent(ctx().input({ projectionName: 'other-projection' }));
    });

    it('maxEntriesPerStream: a new entry of a full stream is refused; other streams and stream-less entries go on', {
      timeout,
    }, async ({ skip }) => {
      const limited = limiter(skip);
      const repo = await limited({ maxEntriesPerStream: 2 });
      await repo.addFailedEvent(ctx().input({ streamId: 's', streamPosition: 1 }));
      await repo.addFailedEvent(
        ctx().input({ streamId: 's', streamPosition: 2, status: 'parked' }),
      );
      const refused = ctx().input({ streamId: 's', streamPosition: 3, status: 'parked' });
      const error = await rejection(repo.addFailedEvent(refused));
      expect(error).toMatchObject({
        code: 'ES_DLQ_OVERFLOW',
        limit: 'maxEntriesPerStream',
        max: 2,
        projectionName: PROJECTION,
        streamId: 's',
        eventId: refused.eventId,
      });
      await repo.addFailedEvent(ctx().input({ streamId: 't', streamPosition: 1 }));
      for (let i = 0; i < 3; i++) await repo.addFailedEvent(ctx().input());
      await repo.addFailedEvent(ctx().input({ streamId: 's', projectionName: 'other-projection' }));
      const entries = await repo.listEntries({ projectionName: PROJECTION, streamId: 's' });
      expect(entries.map((e) => e.streamPosition)).toEqual([1, 2]);
    });

    it('concurrent adds never exceed the limit', { timeout }, async ({ skip }) => {
      const limited = limiter(skip);
      const repo = await limited({ maxEntriesPerProjection: 4, maxEntriesPerStream: 3 });
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          repo.addFailedEvent(
            ctx().input(i % 2 === 0 ? { streamId: 's', streamPosition: i + 1 } : {}),
          ),
        ),
      );
      const refused = results.filter((r) => r.status === 'rejected');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
      for (const r of refused) {
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DLQOverflowError);
      }
      expect(await repo.getProjectionDepth(PROJECTION)).toMatchObject({ depth: 4 });
      expect(
        (await repo.listEntries({ projectionName: PROJECTION, streamId: 's' })).length,
      ).toBeLessThanOrEqual(3);
    });

    it('validates the limits at construction', { timeout }, async ({ skip }) => {
      const limited = limiter(skip);
      for (const bad of [0, -1, 2.5, Number.NaN, '3' as unknown as number]) {
        await expectCode(
          Promise.resolve().then(() => limited({ maxEntriesPerProjection: bad })),
          'ES_INVALID_CONFIG',
        );
        await expectCode(
          Promise.resolve().then(() => limited({ maxEntriesPerStream: bad })),
          'ES_INVALID_CONFIG',
        );
      }
    });
  });
}
