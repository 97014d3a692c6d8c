/**
 * Test helpers of `@es/core` for backend authors: the event-store conformance kit (built on
 * vitest, an optional peer dependency) and the event types it appends.
 *
 * @module
 */
export type { ConformanceItemAddedPayload } from './testing/conformance-events.js';
export {
  CONFORMANCE_AGGREGATE_TYPE,
  ConformanceBinCreated,
  ConformanceItemAdded,
  ConformanceItemRemoved,
  ConformanceItemRenamed,
  eventStoreConformanceRegistry,
} from './testing/conformance-events.js';
export type {
  EventStoreConformanceContext,
  EventStoreConformanceFactory,
  EventStoreConformanceFixture,
  EventStoreConformanceOptions,
} from './testing/event-store-conformance.js';
export {
  comparePositions,
  describeEventStoreConformance,
} from './testing/event-store-conformance.js';
