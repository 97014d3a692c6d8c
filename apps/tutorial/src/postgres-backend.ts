/**
 * The PostgreSQL backends (server or embedded PGlite), loaded on demand.
 *
 * @module
 */
import type { Backend, BackendKind, CreateBackendOptions } from './backends.js';

/** Creates a PostgreSQL-backed {@link Backend}. */
export async function createPostgresBackend(
  kind: Exclude<BackendKind, 'memory'>,
  _options: CreateBackendOptions,
): Promise<Backend> {
  throw new Error(`backend ${kind} is wired once @es/store-postgres lands`);
}
