/**
 * A resolved connection plus the schema: what every component of the package holds.
 *
 * @module
 * @internal
 */
import { InvalidConfigError } from '@es/core';
import { type ResolvedConnection, resolveConnection } from '../connection.js';
import { validateSchemaName } from '../schema-name.js';
import type { Executor, QueryOptions, Row } from './executor.js';

/** The connection and schema of one component. */
export class Database {
  readonly schema: string;
  /** `"schema"`, ready to prefix table names. */
  readonly quotedSchema: string;
  readonly connection: ResolvedConnection;

  /**
   * @param owner - the component, for error fields (`'PostgresEventStore'`)
   * @throws {InvalidConfigError} for a bad connection or schema
   */
  constructor(
    owner: string,
    options: { readonly connection?: unknown; readonly schema?: unknown },
  ) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidConfigError(owner, 'needs an options object with a connection', options);
    }
    this.schema = validateSchemaName(options.schema, `${owner}.schema`);
    this.quotedSchema = `"${this.schema}"`;
    this.connection = resolveConnection(options.connection, `${owner}.connection`);
  }

  /** Runs one statement. */
  query(text: string, params: readonly unknown[], options?: QueryOptions): Promise<Row[]> {
    const executor = this.connection.executor;
    if (executor !== undefined) return executor.query(text, params, options);
    return this.connection.getExecutor().then((e) => e.query(text, params, options));
  }

  /** The executor. */
  executor(): Promise<Executor> {
    return this.connection.getExecutor();
  }
}
