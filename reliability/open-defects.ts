/**
 * Reliability tests whose failures are open (a defect in a package, or a test not yet proven
 * stable on a shared server). They are left out of the CI tier — never silently: each one is
 * listed here with its reason, in docs/reliability.md, and counted as skipped in the run's closing
 * line. Run them with `ES_RELIABILITY=defects` (or `long`). Remove an entry when its fix lands.
 */
export const OPEN_DEFECTS: readonly { readonly test: string; readonly reason: string }[] = [
  {
    test: 'H2 (fast, EXPLAIN): the poll path of a caught-up subscriber uses the index',
    reason:
      'DEF-8: the held-back probe of readAll (heldBack/heldBackOfTypes) plans a sequential scan without statistics',
  },
  {
    test: 'D3: the subscriber’s connections are terminated again and again',
    reason:
      'DEF-7: postgres.js 3.4.9 raises an uncatchable TypeError when a transaction connection is terminated (porsager/postgres #1208, #1199, #1154)',
  },
];

/** True when the run includes the open defects (`ES_RELIABILITY=defects` or `long`). */
export function includeOpenDefects(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.ES_RELIABILITY === 'defects' || env.ES_RELIABILITY === 'long';
}

/** A test-name pattern that leaves the open defects out (for vitest's `testNamePattern`). */
export function excludingOpenDefects(): RegExp {
  const escaped = OPEN_DEFECTS.map((d) => d.test.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^(?!.*(?:${escaped.join('|')}))`);
}
