/**
 * Reliability tests whose failures are open (a defect in a package, or a test not yet proven
 * stable on a shared server). They are left out of the CI tier — never silently: each one is
 * listed here with its reason, in docs/reliability.md, and counted as skipped in the run's closing
 * line. Run them with `ES_RELIABILITY=defects` (or `long`). Remove an entry when its fix lands.
 */
export const OPEN_DEFECTS: readonly { readonly test: string; readonly reason: string }[] = [];

/** True when the run includes the open defects (`ES_RELIABILITY=defects` or `long`). */
export function includeOpenDefects(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.ES_RELIABILITY === 'defects' || env.ES_RELIABILITY === 'long';
}

/** A test-name pattern that leaves the open defects out (for vitest's `testNamePattern`). */
export function excludingOpenDefects(): RegExp {
  // With nothing open, match every name (an empty alternation would exclude them all).
  if (OPEN_DEFECTS.length === 0) return /^/;
  const escaped = OPEN_DEFECTS.map((d) => d.test.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^(?!.*(?:${escaped.join('|')}))`);
}
