/**
 * A postgres.js client that records the statements it runs through `unsafe`, so a test can
 * EXPLAIN exactly what a component sent.
 *
 * @module
 */
import type { Sql } from 'postgres';

/** Wraps `sql`; `statements` maps each statement text run through `unsafe` to its last parameters. */
export function recording(sql: Sql): { sql: Sql; statements: Map<string, unknown[]> } {
  const statements = new Map<string, unknown[]>();
  const proxy = new Proxy(sql, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === 'unsafe') {
        return (text: string, params?: unknown[], options?: unknown) => {
          statements.set(text, params ?? []);
          return (target.unsafe as (...a: unknown[]) => unknown)(text, params, options);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { sql: proxy as Sql, statements };
}
