/**
 * The storage backends the tutorial runs on: in memory (default), embedded PGlite, or a
 * PostgreSQL server. The PostgreSQL package is loaded only when asked for, so the in-memory
 * demo needs no database driver.
 *
 * @module
 */
import { type EventBus, type EventStore, InMemoryEventBus, InMemoryEventStore } from '@es/core';
import { type DLQRepository, InMemoryDLQRepository } from '@es/dlq';
import {
  type CheckpointRepository,
  InMemoryCheckpointRepository,
  type UnitOfWorkProvider,
} from '@es/subscriptions';

/** The backend names `--backend` accepts. */
export const BACKEND_KINDS = ['memory', 'pglite', 'postgres'] as const;
/** One of {@link BACKEND_KINDS}. */
export type BackendKind = (typeof BACKEND_KINDS)[number];

/** Everything the tutorial stores things in. */
export interface Backend {
  readonly kind: BackendKind;
  readonly eventStore: EventStore;
  readonly dlqRepo: DLQRepository;
  readonly checkpointRepo: CheckpointRepository;
  readonly eventBus?: EventBus;
  readonly unitOfWork?: UnitOfWorkProvider;
  /** A human description (never contains credentials). */
  readonly description: string;
  /** Releases connections; safe to call twice. */
  close(): Promise<void>;
}

/** Options of {@link createBackend}. */
export interface CreateBackendOptions {
  /** Required for `postgres` (the `DATABASE_URL`). */
  readonly databaseUrl?: string | undefined;
  /** PostgreSQL schema to use; default a fresh `tutorial_<random>` schema dropped on close. */
  readonly schema?: string | undefined;
}

/** Creates a backend of the given kind. */
export async function createBackend(
  kind: BackendKind,
  options: CreateBackendOptions = {},
): Promise<Backend> {
  if (kind === 'memory') {
    const eventBus = new InMemoryEventBus();
    return {
      kind,
      eventStore: new InMemoryEventStore({ eventBus }),
      dlqRepo: new InMemoryDLQRepository(),
      checkpointRepo: new InMemoryCheckpointRepository(),
      eventBus,
      description: 'in-memory backends',
      close: async () => {},
    };
  }
  const { createPostgresBackend } = await import('./postgres-backend.js');
  return createPostgresBackend(kind, options);
}
