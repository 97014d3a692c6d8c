/**
 * Test helpers of `@es/store-postgres`: a throwaway database for integration tests.
 *
 * @module
 */

export { TestDatabaseError } from './errors.js';
export type { CreateTestDatabaseOptions, TestDatabase } from './testing/create-test-database.js';
export { createTestDatabase } from './testing/create-test-database.js';
