// In-memory cases: append, read and catch-up throughput of the @es in-memory backends, beside
// Emmett's in-memory event store and beside hand-written reference code doing the same bookkeeping.
//
//   node cases/memory.mjs <caseId> <impl>      (config in the BENCH_CONFIG environment variable)
//
// One process per (case, implementation): a fresh heap and JIT for each. The worker runs one
// warm-up pass and then `repeats` measured passes, each on fresh state, and reports every pass.

import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { emitFailure, emitProgress, emitSample, finish } from '../lib/child.mjs';
import { emmettEvents, esEvents, rawEventDocument } from '../lib/events.mjs';

const STREAMS = 1_000;

/** A minimal in-memory store: a log array and a Map of streams, expected-version check, no validation. */
class PlainStore {
  log = [];
  streams = new Map();

  async append(streamId, events, expectedVersion) {
    let stream = this.streams.get(streamId);
    if (stream === undefined) {
      stream = [];
      this.streams.set(streamId, stream);
    }
    if (stream.length !== expectedVersion) throw new Error('conflict');
    for (const event of events) {
      const stored = {
        event,
        streamId,
        streamPosition: stream.length + 1,
        globalPosition: this.log.length + 1,
        storedAt: new Date(),
      };
      stream.push(stored);
      this.log.push(stored);
    }
    return stream.length;
  }

  async read(streamId) {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return [];
    const events = new Array(stream.length);
    for (let i = 0; i < stream.length; i++) events[i] = stream[i].event;
    return events;
  }
}

/** Implementations of the append and read cases: `make()` → `{ append(stream, version, n), read(stream) }`. */
const STORES = {
  'hand-written Map/array store': {
    role: 'reference',
    make: async () => {
      const store = new PlainStore();
      return {
        append: (stream, version, n) => {
          const events = new Array(n);
          for (let i = 0; i < n; i++) events[i] = rawEventDocument(stream, version + i + 1);
          return store.append(stream, events, version);
        },
        read: (stream) => store.read(stream),
      };
    },
  },
  '@es InMemoryEventStore': {
    role: 'es',
    make: async () => {
      const { InMemoryEventStore } = await import('@es/core');
      const store = new InMemoryEventStore();
      return {
        append: (stream, version, n) =>
          store.appendEvents(stream, 'Order', esEvents(stream, version, n), version),
        read: async (stream) => (await store.getEvents(stream, 'Order')).events,
      };
    },
  },
  'Emmett getInMemoryEventStore': {
    role: 'peer',
    make: async () => {
      const { getInMemoryEventStore } = await import('@event-driven-io/emmett');
      const store = getInMemoryEventStore();
      return {
        append: (stream, version, n) =>
          store.appendToStream(`order-${stream}`, emmettEvents(n), {
            expectedStreamVersion: BigInt(version),
          }),
        read: async (stream) => (await store.readStream(`order-${stream}`)).events,
      };
    },
  },
};

async function appendPass(impl, total, perCall) {
  const store = await STORES[impl].make();
  const versions = new Array(STREAMS).fill(0);
  const ids = Array.from({ length: STREAMS }, (_, i) => `order-${i}`);
  const calls = Math.floor(total / perCall);
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const s = i % STREAMS;
    await store.append(ids[s], versions[s], perCall);
    versions[s] += perCall;
  }
  const ms = performance.now() - started;
  return ((calls * perCall) / ms) * 1000;
}

async function readPass(impl, streams, rounds) {
  const store = await STORES[impl].make();
  const ids = Array.from({ length: streams }, (_, i) => `order-${i}`);
  for (const id of ids) for (let v = 0; v < 100; v += 10) await store.append(id, v, 10);
  let events = 0;
  const started = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const id of ids) {
      const read = await store.read(id);
      if (read.length !== 100) throw new Error(`read ${read.length} events, expected 100`);
      events += read.length;
    }
  }
  return (events / (performance.now() - started)) * 1000;
}

/** Fills an @es InMemoryEventStore with `total` events over 1,000 streams (10 per append). */
async function seededStore(total) {
  const { InMemoryEventStore } = await import('@es/core');
  const store = new InMemoryEventStore();
  const versions = new Array(STREAMS).fill(0);
  for (let i = 0; i < total / 10; i++) {
    const s = i % STREAMS;
    await store.appendEvents(
      `order-${s}`,
      'Order',
      esEvents(`order-${s}`, versions[s], 10),
      versions[s],
    );
    versions[s] += 10;
  }
  return store;
}

/** 1 % of events fail (transiently), spread over the streams by a multiplicative hash of the position. */
function failsAt(globalPosition) {
  return Math.imul(globalPosition, 2654435761) >>> 0 < 42_949_673;
}

const RETRIES = 3;

/** Catch-up implementations: `run(store, total, failures)` → events/s. */
const CATCHUPS = {
  'hand-written loop (readAll pages of 100, savePosition per page)': {
    role: 'reference',
    run: async (store, total, failures) => {
      const { InMemoryCheckpointRepository } = await import('@es/subscriptions');
      const { InMemoryDLQRepository } = await import('@es/dlq');
      const { ConnectionError } = await import('@es/resilience');
      const checkpoints = new InMemoryCheckpointRepository();
      const dlq = new InMemoryDLQRepository();
      let handled = 0;
      let dead = 0;
      const handle = async (stored) => {
        if (failures && failsAt(stored.globalPosition)) throw new ConnectionError('simulated');
        handled++;
      };
      const started = performance.now();
      let position = 0;
      for (;;) {
        let n = 0;
        let last;
        for await (const stored of store.readAll({ fromPosition: position, limit: 100 })) {
          n++;
          last = stored;
          for (let attempt = 0; ; attempt++) {
            try {
              await handle(stored);
              break;
            } catch (error) {
              if (attempt < RETRIES) continue;
              await dlq.addFailedEvent({
                eventId: stored.event.eventId,
                projectionName: 'bench',
                eventType: stored.event.eventType,
                eventData: stored.event,
                error,
                retryCount: attempt,
                streamId: stored.event.aggregateId,
                streamPosition: stored.streamPosition,
                position: stored.position,
              });
              dead++;
              break;
            }
          }
        }
        if (n === 0) break;
        position = last.position;
        await checkpoints.savePosition('bench', {
          position,
          eventId: last.event.eventId,
          eventType: last.event.eventType,
        });
      }
      const ms = performance.now() - started;
      if (handled + dead !== total)
        throw new Error(`${handled + dead} of ${total} events got a fate`);
      return { rate: (total / ms) * 1000, note: `${dead} dead-lettered` };
    },
  },
  '@es SubscriptionManager (defaults)': {
    role: 'es',
    run: (store, total, failures) => managerCatchup(store, total, failures, {}),
  },
  "@es SubscriptionManager (dlqOrdering: 'none')": {
    role: 'es',
    failuresOnly: true,
    run: (store, total, failures) =>
      managerCatchup(store, total, failures, { dlqOrdering: 'none' }),
  },
  '@es SubscriptionManager (batchSize 1000)': {
    role: 'es',
    noFailures: true,
    run: (store, total, failures) => managerCatchup(store, total, failures, { batchSize: 1000 }),
  },
};

async function managerCatchup(store, total, failures, config) {
  const { InMemoryCheckpointRepository, SubscriptionManager } = await import('@es/subscriptions');
  const { InMemoryDLQRepository } = await import('@es/dlq');
  const { ConnectionError } = await import('@es/resilience');
  const dlqRepo = new InMemoryDLQRepository();
  const manager = new SubscriptionManager({
    eventStore: store,
    checkpointRepo: new InMemoryCheckpointRepository(),
    dlqRepo,
  });
  const subscription = manager.subscribe(
    {
      name: 'bench',
      async handle(_event, context) {
        if (failures && failsAt(context.storedEvent.globalPosition)) {
          throw new ConnectionError('simulated');
        }
      },
    },
    {
      startFrom: 'beginning',
      errorHandling: {
        strategy: 'retry_then_dlq',
        retry: { maxRetries: RETRIES, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 },
      },
      ...config,
    },
  );
  const started = performance.now();
  await manager.start();
  await subscription.whenIdle();
  const ms = performance.now() - started;
  const counts = subscription.counts;
  await manager.stop();
  const fated = counts.processed + counts.deadLettered + counts.parked + counts.skipped;
  if (fated !== total) throw new Error(`${fated} of ${total} events got a fate`);
  return {
    rate: (total / ms) * 1000,
    note: `${counts.deadLettered} dead-lettered, ${counts.parked} parked`,
  };
}

// ---- DLQ in memory ----------------------------------------------------------------------------

const FAILURE = new Error('ConnectionError: simulated handler failure');
const DLQ_EVENT = rawEventDocument('order-dlq', 1);

/** A hand-written DLQ: a Map keyed by (eventId, projectionName), entries as plain objects. */
class PlainDlq {
  byKey = new Map();
  byId = new Map();
  seq = 0;
  now = 0;

  async addFailedEvent(input) {
    const key = `${input.eventId}\u0000${input.projectionName}`;
    const at = this.now++;
    const existing = this.byKey.get(key);
    if (existing !== undefined) {
      existing.retryCount = input.retryCount ?? 0;
      existing.lastFailedAt = at;
      existing.errorMessage = String(input.error?.message ?? input.error);
      existing.errorStacktrace = input.error?.stack ?? null;
      existing.status = 'failed';
      return existing.id;
    }
    const id = String(++this.seq);
    const entry = {
      id,
      eventId: input.eventId,
      projectionName: input.projectionName,
      eventType: input.eventType,
      eventData: structuredClone(input.eventData),
      errorMessage: String(input.error?.message ?? input.error),
      errorStacktrace: input.error?.stack ?? null,
      retryCount: input.retryCount ?? 0,
      firstFailedAt: at,
      lastFailedAt: at,
      status: input.status ?? 'failed',
      resolvedAt: null,
      resolvedBy: null,
      streamId: input.streamId ?? null,
      streamPosition: input.streamPosition ?? null,
    };
    this.byKey.set(key, entry);
    this.byId.set(id, entry);
    return id;
  }

  async getFailedEvents({ projectionName, status = 'failed', limit = 100 } = {}) {
    const matches = [];
    for (const e of this.byId.values()) {
      if (
        e.status === status &&
        (projectionName === undefined || e.projectionName === projectionName)
      ) {
        matches.push(e);
      }
    }
    matches.sort((a, b) => b.firstFailedAt - a.firstFailedAt || Number(b.id) - Number(a.id));
    return matches.slice(0, limit).map((e) => ({ ...e }));
  }

  async markResolved(id, by) {
    const e = this.byId.get(id);
    if (e === undefined || e.status === 'resolved') return false;
    e.status = 'resolved';
    e.resolvedAt = this.now++;
    e.resolvedBy = by;
    return true;
  }

  /** Redrive: stream order, claim, process, resolve. */
  async redrive(projectionName, process) {
    const selected = [...this.byId.values()]
      .filter(
        (e) =>
          e.projectionName === projectionName && (e.status === 'failed' || e.status === 'parked'),
      )
      .sort(
        (a, b) =>
          (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0) ||
          a.streamPosition - b.streamPosition ||
          a.firstFailedAt - b.firstFailedAt,
      );
    let succeeded = 0;
    for (const entry of selected) {
      if (entry.status !== 'failed' && entry.status !== 'parked') continue;
      entry.status = 'retrying';
      await process({ ...entry });
      entry.status = 'resolved';
      entry.resolvedAt = this.now++;
      entry.resolvedBy = 'redrive';
      succeeded++;
    }
    return succeeded;
  }
}

const DLQS = {
  'hand-written Map': {
    role: 'reference',
    make: async () => new PlainDlq(),
    redrive: (repo, projection, process) => repo.redrive(projection, process),
  },
  '@es InMemoryDLQRepository': {
    role: 'es',
    make: async () => {
      const { InMemoryDLQRepository } = await import('@es/dlq');
      let t = Date.now();
      return new InMemoryDLQRepository({ clock: () => t++ });
    },
    redrive: async (repo, projectionName, process) => {
      const { redrive } = await import('@es/dlq');
      return (await redrive({ dlqRepo: repo, projectionName, process })).succeeded;
    },
  },
};

function dlqInput(i, projectionName) {
  return {
    eventId: `ev-${i}`,
    projectionName,
    eventType: 'OrderPlaced',
    eventData: DLQ_EVENT,
    error: FAILURE,
    retryCount: 3,
    streamId: `order-${i >> 3}`,
    streamPosition: (i & 7) + 1,
  };
}

/** `size` entries over 10 projections; 1 in 10 resolved afterwards. */
async function seededDlq(impl, size) {
  const repo = await DLQS[impl].make();
  const ids = [];
  for (let i = 0; i < size; i++)
    ids.push(await repo.addFailedEvent(dlqInput(i, `projection-${i % 10}`)));
  for (let i = 0; i < size; i++) if ((i / 10) % 10 < 1) await repo.markResolved(ids[i], 'seed');
  return repo;
}

async function timeBoxed(ms, call) {
  let calls = 0;
  const started = performance.now();
  do {
    await call();
    calls++;
  } while (performance.now() - started < ms || calls < 3);
  return (calls / (performance.now() - started)) * 1000;
}

/** The case table: id → { title, impls, pass(impl) → { rate, note? } }. */
function cases(config) {
  const m = config.memory;
  const catchup = (failures) => ({
    title: failures
      ? `catch-up of ${m.catchupEvents.toLocaleString('en-US')} events, 1 % failing → 3 zero-delay retries → DLQ`
      : `catch-up of ${m.catchupEvents.toLocaleString('en-US')} events (no-op handler)`,
    unit: 'events/s',
    impls: Object.entries(CATCHUPS)
      .filter(([, c]) => (failures ? !c.noFailures : !c.failuresOnly))
      .map(([name, c]) => ({ name, role: c.role })),
    setup: () => seededStore(m.catchupEvents),
    pass: (impl, store) => CATCHUPS[impl].run(store, m.catchupEvents, failures),
  });
  const storeImpls = Object.entries(STORES).map(([name, s]) => ({ name, role: s.role }));
  const dlqImpls = Object.entries(DLQS).map(([name, d]) => ({ name, role: d.role }));
  return {
    'memory/append-1': {
      title: 'append 1 event per call (1,000 streams, expected version)',
      unit: 'events/s',
      impls: storeImpls,
      pass: async (impl) => ({ rate: await appendPass(impl, m.appendEvents, 1) }),
    },
    'memory/append-10': {
      title: 'append 10 events per call (1,000 streams, expected version)',
      unit: 'events/s',
      impls: storeImpls,
      pass: async (impl) => ({ rate: await appendPass(impl, m.appendEvents, 10) }),
    },
    'memory/read-100': {
      title: 'read a 100-event stream',
      unit: 'events/s',
      impls: storeImpls,
      pass: async (impl) => ({ rate: await readPass(impl, m.readStreams, m.readRounds) }),
    },
    'memory/catchup': catchup(false),
    'memory/catchup-failures': catchup(true),
    'dlq/memory/add': {
      section: 'dlq',
      title: `in memory: addFailedEvent (${config.dlqAdds.toLocaleString('en-US')} new entries)`,
      unit: 'entries/s',
      impls: dlqImpls,
      pass: async (impl) => {
        const repo = await DLQS[impl].make();
        const started = performance.now();
        for (let i = 0; i < config.dlqAdds; i++) await repo.addFailedEvent(dlqInput(i, 'dlq-add'));
        return { rate: (config.dlqAdds / (performance.now() - started)) * 1000 };
      },
    },
    ...Object.fromEntries(
      config.dlqSizes.flatMap((size) => {
        const n = size.toLocaleString('en-US');
        const getCase = (title, query) => ({
          section: 'dlq',
          title,
          unit: 'queries/s',
          impls: dlqImpls,
          setupPerImpl: (impl) => seededDlq(impl, size),
          pass: async (_impl, repo) => ({
            rate: await timeBoxed(m.queryWindowMs, async () => {
              const rows = await repo.getFailedEvents(query);
              if (rows.length === 0) throw new Error('no entries returned');
            }),
          }),
        });
        return [
          [
            `dlq/memory/get-${size}`,
            getCase(
              `in memory: getFailedEvents() (status failed, newest 100) with ${n} entries`,
              {},
            ),
          ],
          [
            `dlq/memory/get-${size}-projection`,
            getCase(`in memory: getFailedEvents({ projectionName }) with ${n} entries`, {
              projectionName: 'projection-3',
            }),
          ],
        ];
      }),
    ),
    'dlq/memory/redrive': {
      section: 'dlq',
      title: `in memory: redrive ${config.redriveEntries.memory.toLocaleString('en-US')} entries (no-op handler)`,
      unit: 'entries/s',
      impls: dlqImpls,
      pass: async (impl) => {
        const entries = config.redriveEntries.memory;
        const repo = await DLQS[impl].make();
        for (let i = 0; i < entries; i++) await repo.addFailedEvent(dlqInput(i, 'redrive'));
        let processed = 0;
        const started = performance.now();
        const succeeded = await DLQS[impl].redrive(repo, 'redrive', async () => {
          processed++;
        });
        const ms = performance.now() - started;
        if (succeeded !== entries || processed !== entries) {
          throw new Error(`redrove ${succeeded}/${processed} of ${entries}`);
        }
        return { rate: (entries / ms) * 1000 };
      },
    },
  };
}

/** The (case, implementation) pairs, for the orchestrator. */
export function memoryPlan(config) {
  return Object.entries(cases(config)).map(([id, c]) => ({
    id,
    impls: c.impls.map((i) => i.name),
  }));
}

async function main() {
  const [caseId, implName] = process.argv.slice(2);
  const config = JSON.parse(process.env.BENCH_CONFIG ?? '{}');
  const spec = cases(config)[caseId];
  const impl = spec.impls.find((i) => i.name === implName);
  try {
    const state =
      spec.setup !== undefined
        ? await spec.setup()
        : spec.setupPerImpl !== undefined
          ? await spec.setupPerImpl(implName)
          : undefined;
    emitProgress(`${spec.title} › ${implName} (warm-up)`);
    // (the warm-up pass of a case with shared state runs on that state, like the measured passes)
    await spec.pass(implName, state);
    for (let repeat = 1; repeat <= config.repeats; repeat++) {
      emitProgress(`${spec.title} › ${implName} (run ${repeat}/${config.repeats})`);
      globalThis.gc?.();
      const { rate, note } = await spec.pass(implName, state);
      emitSample({
        section: spec.section ?? 'memory',
        group: caseId,
        title: spec.title,
        impl: implName,
        role: impl.role,
        unit: spec.unit,
        repeat,
        value: rate,
        ...(note === undefined ? {} : { details: { outcome: note } }),
      });
    }
  } catch (error) {
    emitFailure(caseId, implName, error);
  }
  finish(0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
