/**
 * The figures each reliability test reports (events, faults injected, lost, duplicated, silently
 * skipped…), appended as JSON lines to `reliability/.results/figures.jsonl` for the report in
 * `docs/reliability.md` (`node scripts/figures-table.mjs` prints them as a table).
 *
 * @module
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { CheckResult } from '../history/checker.js';
import { PACKAGE_ROOT } from './child-bundle.js';

/** One test's figures. */
export interface Figures {
  /** The catalogue id, for example `'C1'`. */
  readonly id: string;
  readonly backend: 'memory' | 'postgres' | 'none';
  /** Committed events the test judged. */
  readonly events: number;
  /** Faults injected (kills, terminations, resets, crashes, poison events…). */
  readonly faults: number;
  /** Acknowledged events missing from the store. */
  readonly lost: number;
  /** Events given more than one fate. */
  readonly duplicated: number;
  /** Committed events a subscriber gave no fate: silently skipped. */
  readonly skipped: number;
  /** Dead-lettered and parked events (their fate, recorded). */
  readonly deadLettered?: number;
  /** Skipped-and-recorded events (strategy `skip`). */
  readonly recordedSkips?: number;
  readonly durationMs?: number;
  readonly notes?: string;
}

/** The file the figures go to. */
export const FIGURES_FILE = path.join(PACKAGE_ROOT, '.results', 'figures.jsonl');

/** Appends one test's figures (with the tier and a timestamp) to {@link FIGURES_FILE}. */
export function recordFigures(figures: Figures): void {
  try {
    mkdirSync(path.dirname(FIGURES_FILE), { recursive: true });
    const tier = process.env.ES_RELIABILITY === 'long' ? 'long' : 'fast';
    appendFileSync(
      FIGURES_FILE,
      `${JSON.stringify({ ...figures, tier, at: new Date().toISOString() })}\n`,
    );
  } catch {
    // Figures are a report, never a reason to fail a test.
  }
}

/** Figures from a checker result (events, lost, duplicated, silently skipped, DLQ, skips). */
export function figuresOf(
  id: string,
  backend: Figures['backend'],
  result: CheckResult,
  extra: { faults: number; durationMs?: number; notes?: string },
): Figures {
  const c = result.counts;
  return {
    id,
    backend,
    events: c.events,
    faults: extra.faults,
    lost: c.lost,
    duplicated: c.duplicated,
    skipped: c.silentlySkipped,
    deadLettered: c.deadLettered + c.parked,
    recordedSkips: c.skipped,
    ...(extra.durationMs === undefined ? {} : { durationMs: extra.durationMs }),
    ...(extra.notes === undefined ? {} : { notes: extra.notes }),
  };
}
