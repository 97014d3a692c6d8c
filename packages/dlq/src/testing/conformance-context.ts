/**
 * What every part of the DLQ conformance kit works with.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { isEventSourceError } from '@es/core';
import { expect } from 'vitest';
import type { DLQLimits } from '../dlq-limits.js';
import type { AddFailedEventInput, DLQEntry, DLQRepository } from '../dlq-repository.js';

/** A clock the factory hands back so the kit can move the repository's "now". */
export interface DLQConformanceClock {
  /** Moves the repository's clock forward by exactly `ms` milliseconds. */
  advance(ms: number): void;
}

/** What the factory of {@link describeDLQRepositoryConformance} returns for each test. */
export interface DLQConformanceSubject {
  /** An empty repository. */
  readonly repo: DLQRepository;
  /** Called after the test (close connections, drop the schema…). */
  readonly cleanup?: (() => Promise<void>) | undefined;
  /**
   * The repository's clock, when the test controls it. Without one the kit lets real time pass
   * (a few milliseconds) where it needs later timestamps, and only checks relative order.
   */
  readonly clock?: DLQConformanceClock | undefined;
  /**
   * Creates a repository on the same (empty) storage and clock as `repo`, configured with these
   * overflow limits (it must throw `ES_INVALID_CONFIG` for invalid ones). Without it the
   * overflow tests are skipped.
   */
  readonly withLimits?: ((limits: DLQLimits) => DLQRepository | Promise<DLQRepository>) | undefined;
}

/** Creates a fresh subject for one test. */
export type DLQConformanceFactory = () => Promise<DLQConformanceSubject>;

/** The per-test state handed to each part of the kit. */
export interface KitContext {
  readonly repo: DLQRepository;
  /** See {@link DLQConformanceSubject.withLimits}. */
  readonly withLimits: ((limits: DLQLimits) => Promise<DLQRepository>) | undefined;
  readonly clock: DLQConformanceClock | undefined;
  /** Lets time pass (1 s on a controlled clock, a few real ms otherwise) so later writes are later. */
  tick(): Promise<void>;
  /** A valid `addFailedEvent` input with a fresh event id (a UUID), overridable. */
  input(overrides?: Partial<AddFailedEventInput>): AddFailedEventInput;
  /** Adds an entry and reads it back. */
  add(overrides?: Partial<AddFailedEventInput>): Promise<DLQEntry>;
  /** Reads an entry that must exist. */
  get(id: string): Promise<DLQEntry>;
}

/** The projection most kit tests write to. */
export const PROJECTION = 'conformance-projection';

/** Builds the {@link KitContext} of one test. */
export function createKitContext(subject: DLQConformanceSubject): KitContext {
  const { repo, clock, withLimits } = subject;
  const context: KitContext = {
    repo,
    withLimits: withLimits === undefined ? undefined : async (limits) => withLimits(limits),
    clock,
    async tick() {
      if (clock !== undefined) clock.advance(1_000);
      else await sleep(5);
    },
    input(overrides = {}) {
      return {
        eventId: randomUUID(),
        projectionName: PROJECTION,
        eventType: 'TaskCreated',
        eventData: { title: 'write the kit' },
        error: new Error('handler failed'),
        ...overrides,
      };
    },
    async add(overrides = {}) {
      const id = await repo.addFailedEvent(context.input(overrides));
      return context.get(id);
    },
    async get(id) {
      const entry = await repo.getFailedEventById(id);
      expect(entry, `entry ${id} should exist`).not.toBeNull();
      return entry as DLQEntry;
    },
  };
  return context;
}

/** Waits for real time to pass. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Asserts that `promise` rejects with an `EventSourceError` of `code`. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error, `should reject with ${code}`).toBeDefined();
  expect(isEventSourceError(error), `should be an EventSourceError: ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

/** The fields of an entry as plain data (dates as epoch ms), to compare snapshots. */
export function snapshotOf(entry: DLQEntry): Record<string, unknown> {
  return {
    ...entry,
    eventData: JSON.parse(JSON.stringify(entry.eventData)) as unknown,
    firstFailedAt: entry.firstFailedAt.getTime(),
    lastFailedAt: entry.lastFailedAt.getTime(),
    resolvedAt: entry.resolvedAt === null ? null : entry.resolvedAt.getTime(),
    claimedUntil: entry.claimedUntil?.getTime() ?? null,
  };
}

/** Every entry of the repository (every status, one projection or all), in stream order. */
export async function listEverything(
  repo: DLQRepository,
  projectionName?: string,
): Promise<DLQEntry[]> {
  const all: DLQEntry[] = [];
  let after: DLQEntry | undefined;
  for (;;) {
    const page = await repo.listEntries({
      statuses: ['failed', 'retrying', 'parked', 'resolved', 'discarded'],
      limit: 500,
      ...(projectionName === undefined ? {} : { projectionName }),
      ...(after === undefined ? {} : { after }),
    });
    all.push(...page);
    if (page.length < 500) return all;
    after = page[page.length - 1];
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `value` as the repository may legitimately store it: unchanged, or with `\u0000` and lone surrogates replaced by U+FFFD. */
export function storableForms(value: string): string[] {
  const replaced = value.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD');
  return replaced === value ? [value] : [value, replaced];
}
