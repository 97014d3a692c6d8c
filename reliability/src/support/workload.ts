/**
 * Workloads: writers that append events while recording every append in a {@link History}, and
 * small helpers to wait for conditions.
 *
 * @module
 */
import type { DomainEvent, EventStore } from '@es/core';
import type { History } from '../history/history.js';
import { type Behaviour, REL_AGGREGATE_TYPE, relEvent } from './events.js';

/** A small seeded PRNG (mulberry32): failures reproduce from the seed in the test output. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed from `REL_SEED` or the clock, printed by the tests that use it. */
export function seedFromEnv(): number {
  const fromEnv = Number(process.env.REL_SEED);
  return Number.isInteger(fromEnv) ? fromEnv : Date.now() % 2_147_483_647;
}

/** Polls `condition` until it holds; throws after `timeoutMs` with `message`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  message: string | (() => string | Promise<string>),
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) {
      const text = typeof message === 'function' ? await message() : message;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${text}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Options of {@link Writer.run}. */
export interface WriterRunOptions {
  /** Events to append in total (over every stream). */
  readonly events: number;
  /** Streams to spread them over (`<prefix>0`…). */
  readonly streams: number;
  /** Parallel appenders (each owns its own streams, so versions never conflict). Default 1. */
  readonly concurrency?: number;
  /** Events per append call (a batch is atomic). Default 1. */
  readonly batch?: number;
  /** Decides the behaviour of the n-th event (poison, flaky…). Default: all `ok`. */
  readonly behaviour?: (n: number, stream: string, version: number) => Behaviour;
  /** Sleep between appends of one appender, in ms. Default 0. */
  readonly pauseMs?: number | (() => number);
  /** Stop early when this returns true. */
  readonly stop?: () => boolean;
  /** Padding size of each event, in characters (random sizes when a function). */
  readonly padding?: number | (() => number);
}

/**
 * Appends events to streams with exact expected versions, one appender per group of streams,
 * recording every append (ok / fail / unknown) in the history. After an unknown outcome the
 * appender re-reads its stream's version from the store before going on (never a blind retry).
 */
export class Writer {
  #n = 0;
  readonly #versions = new Map<string, number>();

  constructor(
    readonly store: EventStore,
    readonly history: History,
    readonly prefix = 's',
  ) {}

  /** Events created so far (whatever their append's outcome). */
  get eventsCreated(): number {
    return this.#n;
  }

  /** Runs the workload; resolves when every appender is done. */
  async run(options: WriterRunOptions): Promise<void> {
    const concurrency = options.concurrency ?? 1;
    const batch = options.batch ?? 1;
    const perAppender = Math.ceil(options.events / concurrency);
    const work: Promise<void>[] = [];
    let budget = options.events;
    for (let a = 0; a < concurrency; a++) {
      const streams: string[] = [];
      for (let s = a; s < options.streams; s += concurrency) streams.push(`${this.prefix}${s}`);
      if (streams.length === 0) streams.push(`${this.prefix}${a}`);
      work.push(
        (async () => {
          let i = 0;
          for (let done = 0; done < perAppender && budget > 0; ) {
            if (options.stop?.()) return;
            const stream = streams[i++ % streams.length] as string;
            const size = Math.min(batch, budget, perAppender - done);
            budget -= size;
            if ((await this.appendTo(stream, size, options)) === 'stopped') return;
            done += size;
            const pause =
              typeof options.pauseMs === 'function' ? options.pauseMs() : options.pauseMs;
            if (pause) await sleep(pause);
          }
        })(),
      );
    }
    await Promise.all(work);
  }

  /** Appends `count` events to `stream` in one call, recording the outcome. */
  async appendTo(
    stream: string,
    count: number,
    options: Pick<WriterRunOptions, 'behaviour' | 'padding' | 'stop'> = {},
  ): Promise<'ok' | 'fail' | 'unknown' | 'stopped'> {
    let version = this.#versions.get(stream);
    for (let attempt = 1; version === undefined; attempt++) {
      if (options.stop?.()) return 'stopped';
      try {
        version = (await this.store.getEvents(stream, REL_AGGREGATE_TYPE)).version;
      } catch (error) {
        // The store is unreachable for now (a fault test): wait and read again.
        if (options.stop?.()) return 'stopped';
        if (attempt >= 200) throw error;
        await sleep(Math.min(500, 10 * attempt));
      }
    }
    const events: DomainEvent[] = [];
    for (let k = 1; k <= count; k++) {
      const n = ++this.#n;
      const behaviour = options.behaviour?.(n, stream, version + k) ?? 'ok';
      const pad = typeof options.padding === 'function' ? options.padding() : options.padding;
      events.push(
        relEvent(stream, version + k, n, {
          ...(behaviour === 'ok' ? {} : { behaviour }),
          ...(behaviour === 'flaky' ? { failTimes: 1 } : {}),
          ...(pad ? { pad: 'x'.repeat(pad) } : {}),
        }),
      );
    }
    const { outcome } = await this.history.append(
      stream,
      events.map((e) => e.eventId),
      () => this.store.appendEvents(stream, REL_AGGREGATE_TYPE, events, version),
    );
    if (outcome === 'ok') {
      this.#versions.set(stream, version + count);
    } else {
      // Unknown or refused: learn the truth from the store before the next append.
      this.#versions.delete(stream);
    }
    return outcome;
  }
}
