/**
 * The PostgreSQL backends (a server, or embedded PGlite), loaded on demand. Each backend works in
 * a fresh schema that is migrated first and dropped on close, so runs never see each other.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Backend, BackendKind, CreateBackendOptions } from './backends.js';

/** Creates a PostgreSQL-backed {@link Backend}. */
export async function createPostgresBackend(
  kind: Exclude<BackendKind, 'memory'>,
  options: CreateBackendOptions,
): Promise<Backend> {
  const pg = await import('@es/store-postgres');
  const schema = pg.validateSchemaName(
    options.schema ?? `tutorial_${randomBytes(4).toString('hex')}`,
    'tutorial schema',
  );
  let connection: import('@es/store-postgres').PostgresConnection;
  let dropSchema: () => Promise<unknown>;
  let end: () => Promise<void>;
  let description: string;
  if (kind === 'postgres') {
    if (!options.databaseUrl) throw new Error('--backend postgres needs DATABASE_URL');
    const { default: postgres } = await import('postgres');
    const sql = postgres(options.databaseUrl, { max: 4, onnotice: () => {} });
    connection = sql;
    // The schema name was validated as an identifier above; quoting keeps it exact.
    dropSchema = () => sql.unsafe(`drop schema if exists "${schema}" cascade`);
    end = () => sql.end({ timeout: 5 });
    description = `PostgreSQL at ${redactUrl(options.databaseUrl)}, schema ${schema}`;
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite();
    await db.waitReady;
    connection = db;
    dropSchema = async () => {};
    end = () => db.close();
    description = `embedded PGlite (in-process PostgreSQL), schema ${schema}`;
  }
  await pg.migrate(connection, { schema });
  const eventBus = new pg.PostgresEventBus({ connection, schema });
  await eventBus.start();
  let closed = false;
  return {
    kind,
    eventStore: new pg.PostgresEventStore({ connection, schema }),
    checkpointRepo: new pg.PostgresCheckpointRepository({ connection, schema }),
    dlqRepo: new pg.PostgresDLQRepository({ connection, schema }),
    eventBus,
    description,
    async close() {
      if (closed) return;
      closed = true;
      await eventBus.close();
      try {
        await dropSchema();
      } finally {
        await end();
      }
    },
  };
}

/** The URL without its password, for printing. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return '(connection string)';
  }
}
