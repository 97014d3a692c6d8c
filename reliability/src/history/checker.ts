/**
 * The history checker (research/reliability.md §4.2): what goes in must come out exactly once,
 * in per-stream order, in one total order for every subscriber.
 *
 * @module
 */
import type { AppendRecord, Fate, FateRecord, StoredRecord } from './history.js';

/** The kinds of anomaly the checker reports. */
export type AnomalyKind =
  /** An acknowledged (`ok`) event is not in the store. */
  | 'lost-write'
  /** An event of a failed (`fail`) append is in the store. */
  | 'aborted-write-visible'
  /** An event id is stored twice. */
  | 'duplicate-write'
  /** The store holds an event no append ever invoked. */
  | 'phantom-write'
  /** Per stream, stored versions are not 1, 2, 3… */
  | 'stream-version-gap'
  /** A subscriber expected the event and recorded no fate for it. */
  | 'lost'
  /** A subscriber recorded more than one fate (or more than one redrive) for the event. */
  | 'duplicate'
  /** A subscriber recorded a fate for an event that is not committed (failed or unknown-absent). */
  | 'aborted-read'
  /** A subscriber recorded a fate for an event id no append invoked. */
  | 'phantom-read'
  /** A subscriber's fates are not in the store's cursor order. */
  | 'reordered'
  /** Two subscribers disagree on the relative order of events both recorded. */
  | 'divergent-order'
  /** Per stream, a subscriber applied versions out of order. */
  | 'stream-reordered'
  /** Per-stream parking: a later version was applied while an earlier one is dead-lettered. */
  | 'overtook-dead-letter'
  /** A redrive applied an event that was never dead-lettered or parked. */
  | 'redrive-without-dead-letter';

/** One violation, with enough detail to find it. */
export interface Anomaly {
  readonly kind: AnomalyKind;
  readonly subscriber?: string;
  readonly eventId?: string;
  readonly streamId?: string;
  readonly detail: string;
}

/** What the checker is told about one subscriber. */
export interface SubscriberSpec {
  readonly name: string;
  /**
   * Which committed events this subscriber must give a fate to. Default: all. A projection that
   * filters event types, or one started mid-way, narrows it.
   */
  readonly expects?: (event: { eventId: string; streamId: string; version: number }) => boolean;
  /**
   * Per-stream parking is on (`dlqOrdering: 'per-stream'`): once a version of a stream is
   * dead-lettered, no later version of it may be applied by the main flow.
   */
  readonly perStreamParking?: boolean;
}

/** Input of {@link checkHistory}. */
export interface CheckOptions {
  readonly appends: readonly AppendRecord[];
  readonly fates: readonly FateRecord[];
  /**
   * The store's contents in its cursor order, read after the run. With it, unknown outcomes are
   * resolved (in the store = committed), acknowledged events are checked to be stored, and fates
   * are checked against the one total order. Without it, unknown outcomes are allowed at most once
   * and order is checked per stream only.
   */
  readonly stored?: readonly StoredRecord[];
  /** The subscribers to check; default: every subscriber with a fate, with default specs. */
  readonly subscribers?: readonly (SubscriberSpec | string)[];
  /** Events in the store that no append of this history invoked are allowed (fixtures). Default false. */
  readonly allowForeignEvents?: boolean;
  /** Keep at most this many anomalies (the counts stay exact). Default 100. */
  readonly maxAnomalies?: number;
}

/** The figures of a checked history. */
export interface CheckCounts {
  readonly appends: number;
  readonly appendsOk: number;
  readonly appendsFailed: number;
  readonly appendsUnknown: number;
  /** Events of unknown appends found in the store (committed after all). */
  readonly unknownCommitted: number;
  /** Committed events (ok + unknown-committed; all stored events when the store is given). */
  readonly events: number;
  readonly applied: number;
  readonly deadLettered: number;
  readonly parked: number;
  readonly skipped: number;
  readonly redriven: number;
  /** Acknowledged events missing from the store (lost writes). */
  readonly lost: number;
  /** Committed events a subscriber expected and gave no fate: silently skipped. */
  readonly silentlySkipped: number;
  readonly duplicated: number;
  readonly phantom: number;
  readonly reordered: number;
  readonly anomalies: number;
}

/** The verdict. */
export interface CheckResult {
  readonly valid: boolean;
  readonly anomalies: readonly Anomaly[];
  readonly counts: CheckCounts;
}

interface EventInfo {
  readonly eventId: string;
  streamId: string;
  version: number | undefined;
  /** Index in the store's cursor order. */
  order: number | undefined;
  outcome: 'ok' | 'fail' | 'unknown' | 'foreign';
  stored: boolean;
}

const DEAD: ReadonlySet<Fate> = new Set(['dead-lettered', 'parked']);

/**
 * Checks a history:
 *
 * 1. every acknowledged event is stored (no lost write) and applied exactly once by every
 *    subscriber that expects it — its fates (applied, dead-lettered, parked, skipped) are exactly one;
 * 2. no event of a failed append is stored or given a fate;
 * 3. an unknown outcome is given at most one fate (exactly one when the store shows it committed,
 *    none when it shows it absent);
 * 4. per stream, each subscriber applies versions in increasing order, and with per-stream
 *    parking never applies a version after a dead-lettered one; redrives only apply dead-lettered
 *    events, each once, in per-stream order;
 * 5. every subscriber's fates follow the store's cursor order, and subscribers agree pairwise;
 * 6. applied ∪ dead-lettered ∪ skipped = all expected events, pairwise disjoint (1 and 3 together).
 */
export function checkHistory(options: CheckOptions): CheckResult {
  const max = options.maxAnomalies ?? 100;
  const anomalies: Anomaly[] = [];
  let anomalyCount = 0;
  const tally = {
    lost: 0,
    silentlySkipped: 0,
    duplicated: 0,
    phantom: 0,
    reordered: 0,
  };
  const report = (anomaly: Anomaly): void => {
    anomalyCount++;
    if (anomaly.kind === 'lost-write') tally.lost++;
    else if (anomaly.kind === 'lost') tally.silentlySkipped++;
    else if (anomaly.kind === 'duplicate' || anomaly.kind === 'duplicate-write') tally.duplicated++;
    else if (
      anomaly.kind === 'phantom-read' ||
      anomaly.kind === 'phantom-write' ||
      anomaly.kind === 'aborted-read' ||
      anomaly.kind === 'aborted-write-visible'
    )
      tally.phantom++;
    else if (
      anomaly.kind === 'reordered' ||
      anomaly.kind === 'divergent-order' ||
      anomaly.kind === 'stream-reordered' ||
      anomaly.kind === 'overtook-dead-letter'
    )
      tally.reordered++;
    if (anomalies.length < max) anomalies.push(anomaly);
  };

  // --- the events and what the appends say about them ---------------------------------------
  const events = new Map<string, EventInfo>();
  let appendsOk = 0;
  let appendsFailed = 0;
  let appendsUnknown = 0;
  for (const append of options.appends) {
    const outcome = append.outcome === 'pending' ? 'unknown' : append.outcome;
    if (outcome === 'ok') appendsOk++;
    else if (outcome === 'fail') appendsFailed++;
    else appendsUnknown++;
    for (const eventId of append.eventIds) {
      const known = events.get(eventId);
      if (known !== undefined) {
        // The same id in two appends: a retry. The strongest outcome wins (ok > unknown > fail).
        if (rank(outcome) > rank(known.outcome)) known.outcome = outcome;
        continue;
      }
      events.set(eventId, {
        eventId,
        streamId: append.streamId,
        version: undefined,
        order: undefined,
        outcome,
        stored: false,
      });
    }
  }

  // --- the store ------------------------------------------------------------------------------
  const stored = options.stored;
  let unknownCommitted = 0;
  if (stored !== undefined) {
    const versionsByStream = new Map<string, number[]>();
    for (let i = 0; i < stored.length; i++) {
      const row = stored[i] as StoredRecord;
      let info = events.get(row.eventId);
      if (info === undefined) {
        if (!options.allowForeignEvents) {
          report({
            kind: 'phantom-write',
            eventId: row.eventId,
            streamId: row.streamId,
            detail: `stored at order ${i} but never appended`,
          });
        }
        info = {
          eventId: row.eventId,
          streamId: row.streamId,
          version: row.version,
          order: i,
          outcome: 'foreign',
          stored: true,
        };
        events.set(row.eventId, info);
      } else if (info.stored) {
        report({
          kind: 'duplicate-write',
          eventId: row.eventId,
          streamId: row.streamId,
          detail: `stored twice (orders ${info.order} and ${i})`,
        });
        continue;
      } else {
        info.stored = true;
        info.order = i;
        info.version = row.version;
        info.streamId = row.streamId;
        if (info.outcome === 'fail') {
          report({
            kind: 'aborted-write-visible',
            eventId: row.eventId,
            streamId: row.streamId,
            detail: 'the append failed, yet the event is stored',
          });
        } else if (info.outcome === 'unknown') {
          unknownCommitted++;
        }
      }
      let versions = versionsByStream.get(row.streamId);
      if (versions === undefined) {
        versions = [];
        versionsByStream.set(row.streamId, versions);
      }
      versions.push(row.version);
    }
    for (const info of events.values()) {
      if (info.outcome === 'ok' && !info.stored) {
        report({
          kind: 'lost-write',
          eventId: info.eventId,
          streamId: info.streamId,
          detail: 'acknowledged but not in the store',
        });
      }
    }
    for (const [streamId, versions] of versionsByStream) {
      const sorted = [...versions].sort((a, b) => a - b);
      for (let i = 0; i < sorted.length; i++) {
        if (sorted[i] !== i + 1) {
          report({
            kind: 'stream-version-gap',
            streamId,
            detail: `stored versions are not 1..${sorted.length}: found ${sorted[i]} at index ${i}`,
          });
          break;
        }
      }
    }
  }

  /** Committed as far as this history can tell. */
  const committed = (info: EventInfo): boolean =>
    stored === undefined ? info.outcome === 'ok' : info.stored && info.outcome !== 'fail';

  // --- per subscriber ---------------------------------------------------------------------------
  const specs = resolveSubscribers(options);
  const fatesBySubscriber = new Map<string, FateRecord[]>();
  for (const fate of options.fates) {
    let list = fatesBySubscriber.get(fate.subscriber);
    if (list === undefined) {
      list = [];
      fatesBySubscriber.set(fate.subscriber, list);
    }
    list.push(fate);
  }

  let applied = 0;
  let deadLettered = 0;
  let parked = 0;
  let skipped = 0;
  let redriven = 0;
  const mainOrders = new Map<string, string[]>();

  for (const spec of specs) {
    const name = spec.name;
    const fates = fatesBySubscriber.get(name) ?? [];
    const main = new Map<string, FateRecord[]>();
    const redrives = new Map<string, FateRecord[]>();
    for (const fate of fates) {
      switch (fate.fate) {
        case 'applied':
          if (fate.redrive) redriven++;
          else applied++;
          break;
        case 'dead-lettered':
          deadLettered++;
          break;
        case 'parked':
          parked++;
          break;
        case 'skipped':
          skipped++;
          break;
      }
      const bucket = fate.redrive ? redrives : main;
      let list = bucket.get(fate.eventId);
      if (list === undefined) {
        list = [];
        bucket.set(fate.eventId, list);
      }
      list.push(fate);
    }

    // Membership: (1), (2), (3), (6).
    for (const [eventId, list] of main) {
      const info = events.get(eventId);
      if (info === undefined) {
        report({
          kind: 'phantom-read',
          subscriber: name,
          eventId,
          detail: `fate ${list[0]?.fate} for an event never appended`,
        });
        continue;
      }
      if (!committed(info) && info.outcome !== 'foreign') {
        // Without the store, an unknown outcome may or may not be committed: one fate is fine.
        if (!(stored === undefined && info.outcome === 'unknown')) {
          report({
            kind: 'aborted-read',
            subscriber: name,
            eventId,
            streamId: info.streamId,
            detail: `fate ${list[0]?.fate} for an event whose append ${info.outcome === 'fail' ? 'failed' : 'never committed'}`,
          });
          continue;
        }
      }
      if (list.length > 1) {
        report({
          kind: 'duplicate',
          subscriber: name,
          eventId,
          streamId: info.streamId,
          detail: `${list.length} fates: ${list.map((f) => f.fate).join(', ')}`,
        });
      }
    }
    for (const info of events.values()) {
      if (!committed(info)) continue;
      const version = info.version ?? 0;
      if (
        spec.expects !== undefined &&
        !spec.expects({ eventId: info.eventId, streamId: info.streamId, version })
      ) {
        continue;
      }
      if (!main.has(info.eventId)) {
        report({
          kind: 'lost',
          subscriber: name,
          eventId: info.eventId,
          streamId: info.streamId,
          detail: 'committed, expected, and no fate recorded',
        });
      }
    }
    for (const [eventId, list] of redrives) {
      const first = main.get(eventId)?.[0];
      if (first === undefined || !DEAD.has(first.fate)) {
        report({
          kind: 'redrive-without-dead-letter',
          subscriber: name,
          eventId,
          detail: `redriven but its fate was ${first?.fate ?? 'none'}`,
        });
      }
      if (list.length > 1) {
        report({
          kind: 'duplicate',
          subscriber: name,
          eventId,
          detail: `redriven and applied ${list.length} times`,
        });
      }
    }

    // Order: (4) per stream, (5) total.
    const ordered = (records: Iterable<FateRecord>) =>
      [...records].filter((f) => f.seq !== undefined).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    const mainFirsts = [...main.values()].map((list) => list[0] as FateRecord);
    const mainOrdered = ordered(mainFirsts);
    mainOrders.set(
      name,
      mainOrdered.map((f) => f.eventId),
    );
    checkStreamOrder(name, mainOrdered, events, 'applied', report);
    checkStreamOrder(
      name,
      ordered([...redrives.values()].map((list) => list[0] as FateRecord)),
      events,
      'redrive',
      report,
    );
    if (spec.perStreamParking) checkParking(name, mainFirsts, redrives, events, report);
    if (stored !== undefined) {
      let last = -1;
      let lastId = '';
      for (const fate of mainOrdered) {
        const order = events.get(fate.eventId)?.order;
        if (order === undefined) continue;
        if (order < last) {
          report({
            kind: 'reordered',
            subscriber: name,
            eventId: fate.eventId,
            detail: `recorded after ${lastId} but comes before it in the store's order (${order} < ${last})`,
          });
        }
        if (order > last) {
          last = order;
          lastId = fate.eventId;
        }
      }
    }
  }

  // (5) pairwise agreement of subscribers.
  const names = [...mainOrders.keys()];
  for (let a = 0; a < names.length; a++) {
    const orderA = mainOrders.get(names[a] as string) as string[];
    const indexA = new Map(orderA.map((id, i) => [id, i]));
    for (let b = a + 1; b < names.length; b++) {
      const orderB = mainOrders.get(names[b] as string) as string[];
      let last = -1;
      for (const id of orderB) {
        const i = indexA.get(id);
        if (i === undefined) continue;
        if (i < last) {
          report({
            kind: 'divergent-order',
            subscriber: `${names[a]} vs ${names[b]}`,
            eventId: id,
            detail: `${names[b]} recorded ${id} after an event ${names[a]} recorded later`,
          });
          break;
        }
        last = i;
      }
    }
  }

  return {
    valid: anomalyCount === 0,
    anomalies,
    counts: {
      appends: options.appends.length,
      appendsOk,
      appendsFailed,
      appendsUnknown,
      unknownCommitted,
      events:
        stored !== undefined
          ? [...events.values()].filter((e) => e.stored && e.outcome !== 'fail').length
          : [...events.values()].filter((e) => e.outcome === 'ok').length,
      applied,
      deadLettered,
      parked,
      skipped,
      redriven,
      lost: tally.lost,
      silentlySkipped: tally.silentlySkipped,
      duplicated: tally.duplicated,
      phantom: tally.phantom,
      reordered: tally.reordered,
      anomalies: anomalyCount,
    },
  };
}

/** A one-paragraph description of a result, for assertion messages and logs. */
export function describeResult(result: CheckResult): string {
  const c = result.counts;
  const head = `${result.valid ? 'valid' : 'INVALID'}: ${c.events} events (${c.appendsOk} ok / ${c.appendsFailed} failed / ${c.appendsUnknown} unknown appends, ${c.unknownCommitted} unknown committed); applied ${c.applied}, dead-lettered ${c.deadLettered}, parked ${c.parked}, skipped ${c.skipped}, redriven ${c.redriven}; lost ${c.lost}, silently skipped ${c.silentlySkipped}, duplicated ${c.duplicated}, phantom ${c.phantom}, reordered ${c.reordered}`;
  if (result.valid) return head;
  const lines = result.anomalies
    .slice(0, 20)
    .map(
      (a) =>
        `  - ${a.kind}${a.subscriber ? ` [${a.subscriber}]` : ''}${a.eventId ? ` ${a.eventId}` : ''}: ${a.detail}`,
    );
  return [head, ...lines].join('\n');
}

function rank(outcome: EventInfo['outcome']): number {
  return outcome === 'ok' ? 3 : outcome === 'unknown' ? 2 : outcome === 'foreign' ? 1 : 0;
}

function resolveSubscribers(options: CheckOptions): SubscriberSpec[] {
  if (options.subscribers !== undefined) {
    return options.subscribers.map((s) => (typeof s === 'string' ? { name: s } : s));
  }
  const names = new Set<string>();
  for (const fate of options.fates) names.add(fate.subscriber);
  return [...names].sort().map((name) => ({ name }));
}

function streamAndVersion(
  fate: FateRecord,
  events: ReadonlyMap<string, EventInfo>,
): { streamId: string | undefined; version: number | undefined } {
  const info = events.get(fate.eventId);
  return {
    streamId: info?.streamId ?? fate.streamId,
    version: info?.version ?? fate.version,
  };
}

function checkStreamOrder(
  subscriber: string,
  ordered: readonly FateRecord[],
  events: ReadonlyMap<string, EventInfo>,
  what: 'applied' | 'redrive',
  report: (anomaly: Anomaly) => void,
): void {
  const lastVersion = new Map<string, number>();
  for (const fate of ordered) {
    if (what === 'applied' && fate.fate !== 'applied') continue;
    const { streamId, version } = streamAndVersion(fate, events);
    if (streamId === undefined || version === undefined) continue;
    const last = lastVersion.get(streamId);
    if (last !== undefined && version <= last) {
      report({
        kind: 'stream-reordered',
        subscriber,
        eventId: fate.eventId,
        streamId,
        detail: `${what === 'redrive' ? 'redrive ' : ''}version ${version} after version ${last}`,
      });
    }
    lastVersion.set(streamId, Math.max(version, last ?? 0));
  }
}

function checkParking(
  subscriber: string,
  fates: readonly FateRecord[],
  redrives: ReadonlyMap<string, FateRecord[]>,
  events: ReadonlyMap<string, EventInfo>,
  report: (anomaly: Anomaly) => void,
): void {
  // Per stream: the dead-lettered (or parked) versions, sorted, with the prefix maximum of the
  // sequence at which they were redriven (Infinity while one of them is not redriven).
  const dead = new Map<string, { version: number; redriveSeq: number }[]>();
  for (const fate of fates) {
    if (!DEAD.has(fate.fate)) continue;
    const { streamId, version } = streamAndVersion(fate, events);
    if (streamId === undefined || version === undefined) continue;
    const redrive = redrives.get(fate.eventId)?.[0];
    let list = dead.get(streamId);
    if (list === undefined) {
      list = [];
      dead.set(streamId, list);
    }
    list.push({ version, redriveSeq: redrive?.seq ?? Number.POSITIVE_INFINITY });
  }
  const prefix = new Map<string, { versions: number[]; maxSeq: number[] }>();
  for (const [stream, list] of dead) {
    list.sort((a, b) => a.version - b.version);
    const maxSeq: number[] = [];
    let max = Number.NEGATIVE_INFINITY;
    for (const d of list) {
      max = Math.max(max, d.redriveSeq);
      maxSeq.push(max);
    }
    prefix.set(stream, { versions: list.map((d) => d.version), maxSeq });
  }
  for (const fate of fates) {
    if (fate.fate !== 'applied') continue;
    const { streamId, version } = streamAndVersion(fate, events);
    if (streamId === undefined || version === undefined) continue;
    const p = prefix.get(streamId);
    if (p === undefined) continue;
    // The dead versions below this one, and the latest redrive among them.
    let lo = 0;
    let hi = p.versions.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((p.versions[mid] as number) < version) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) continue;
    const latestRedrive = p.maxSeq[lo - 1] as number;
    const seq = fate.seq ?? Number.NEGATIVE_INFINITY;
    if (!(latestRedrive < seq)) {
      report({
        kind: 'overtook-dead-letter',
        subscriber,
        eventId: fate.eventId,
        streamId,
        detail: `version ${version} applied while version ${p.versions[0]} of its stream is dead-lettered and not yet redriven`,
      });
    }
  }
}
