/**
 * Test helpers of `@es/subscriptions`, for implementers of its ports. Import from
 * `@es/subscriptions/testing`; needs `vitest`.
 *
 * @module
 */
export type { CheckpointConformanceOptions } from './testing/checkpoint-conformance.js';
export { describeCheckpointRepositoryConformance } from './testing/checkpoint-conformance.js';
