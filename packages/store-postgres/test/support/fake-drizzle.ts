/**
 * A fake drizzle database for unit tests: every statement goes to `handler`, which returns rows
 * (arrays, in the statement's column order) or throws like a driver would.
 */
import type { DrizzleConnection } from '../../src/connection.js';

export interface RecordedQuery {
  readonly text: string;
  readonly params: readonly unknown[];
}

export type FakeHandler = (
  text: string,
  params: readonly unknown[],
  index: number,
) => unknown[][] | Promise<unknown[][]>;

export function fakeDrizzle(handler: FakeHandler): {
  db: DrizzleConnection;
  calls: RecordedQuery[];
} {
  const calls: RecordedQuery[] = [];
  const db = {
    _: {
      session: {
        prepareQuery(query: { sql: string; params: unknown[] }) {
          return {
            async execute() {
              calls.push({ text: query.sql, params: query.params });
              return handler(query.sql, query.params, calls.length - 1);
            },
          };
        },
      },
    },
    transaction: <T>(work: (tx: never) => Promise<T>) => work(db as never),
  };
  return { db: db as unknown as DrizzleConnection, calls };
}

/** A driver error like postgres.js's `PostgresError`. */
export function postgresError(code: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`server message with the value 'secret-value' (${code})`), {
    name: 'PostgresError',
    code,
    detail: 'Key (event_id)=(secret-value) already exists.',
    ...fields,
  });
}

/** drizzle's wrapper: the SQL and every parameter in the message, the driver error in `cause`. */
export function drizzleQueryError(cause: unknown): Error {
  return Object.assign(
    new Error('Failed query: insert into x values ($1)\nparams: secret-value', { cause }),
    { name: 'DrizzleQueryError', query: 'insert into x values ($1)', params: ['secret-value'] },
  );
}
