/**
 * Reliability tests whose failures are open (a defect in a package, or a test not yet proven
 * stable on a shared server). They are left out of the CI tier — never silently: each one is
 * listed here with its reason, in docs/reliability.md, and counted as skipped in the run's closing
 * line. Run them with `ES_RELIABILITY=defects` (or `long`). Remove an entry when its fix lands.
 */
export const OPEN_DEFECTS: readonly { readonly test: string; readonly reason: string }[] = [
  {
    test: 'C3: two processors for the same subscription (a zombie)',
    reason: 'two processors of one subscription can double an effect; needs fencing/leases',
  },
  {
    test: 'H2 (fast, EXPLAIN): the poll path of a caught-up subscriber uses the index',
    reason: 'the held-back probe of readAll plans a scan; plan to be fixed in store-postgres',
  },
  {
    test: 'a stored row with an unknown event type stops the subscription before it',
    reason: 'unknown event type from PostgreSQL: stop-before behaviour not yet proven',
  },
  {
    test: 'D3: the subscriber’s connections are terminated again and again',
    reason:
      'postgres.js 3.4.9 raises an uncatchable TypeError when a connection dies mid-query (porsager/postgres #1154)',
  },
  {
    test: 'D5: PostgreSQL restarts while idle and while busy',
    reason: 'reconnect of the LISTEN connection after a cluster restart not yet proven',
  },
  {
    test: 'B5: a long-open transaction stalls the subscription',
    reason: 'sensitive to other transactions on the shared server; needs an isolated cluster',
  },
  {
    test: 'F6: kill -9 during a redrive',
    reason: 'a crash between the handler commit and markResolved can repeat the effect',
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
