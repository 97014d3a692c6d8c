/**
 * `@es/dlq/testing`: the conformance kit every `DLQRepository` implementation runs, and test
 * helpers. Needs `vitest` (an optional peer dependency).
 *
 * @module
 */
export type {
  DLQConformanceClock,
  DLQConformanceFactory,
  DLQConformanceSubject,
} from './testing/conformance-context.js';
export type { DLQConformanceOptions } from './testing/describe-dlq-repository-conformance.js';
export { describeDLQRepositoryConformance } from './testing/describe-dlq-repository-conformance.js';
export type { ManualClock } from './testing/manual-clock.js';
export { createManualClock } from './testing/manual-clock.js';
