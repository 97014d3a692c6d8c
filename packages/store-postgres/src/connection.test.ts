import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeDrizzle } from '../test/support/fake-drizzle.js';
import { isDrizzle, isPGlite, isPostgresJs, resolveConnection } from './connection.js';

// postgres.js connects lazily: creating a client opens nothing.
const client = postgres('postgres://nobody@127.0.0.1:1/none');
afterAll(() => client.end());

const pgliteLike = {
  query: async () => ({ rows: [] }),
  exec: async () => [],
  transaction: async () => undefined,
  listen: async () => async () => {},
  close: async () => {},
  waitReady: Promise.resolve(),
};

describe('resolveConnection', () => {
  it('tells the kinds of connection apart', () => {
    const { db } = fakeDrizzle(() => []);
    expect(isPostgresJs(client)).toBe(true);
    expect(isPGlite(pgliteLike)).toBe(true);
    expect(isDrizzle(db)).toBe(true);
    expect(isPostgresJs(db)).toBe(false);
    expect(isPGlite(client)).toBe(false);
    expect(resolveConnection(client, 'f').given).toBe('postgres-js');
    expect(resolveConnection(pgliteLike, 'f').given).toBe('pglite');
    expect(resolveConnection(db, 'f').given).toBe('drizzle');
  });

  it('uses a bare postgres.js client as is, never wrapping it in drizzle', async () => {
    const resolved = resolveConnection(client, 'X.connection');
    expect(resolved.executor).toBeDefined();
    expect(resolved.notificationSource).toEqual({ kind: 'postgres-js', sql: client });
    await expect(resolved.getDrizzle('X.connection')).rejects.toMatchObject({
      code: 'ES_INVALID_CONFIG',
      field: 'X.connection',
    });
    // Its parsers are untouched (drizzle would have replaced the timestamptz parser).
    expect(client.options.parsers['1184']).not.toBeTypeOf('undefined');
    // Not ours: close() leaves it alone (ending it would make the next line's end() throw nothing
    // either way, so check the resolved kind instead).
    await resolved.close();
    expect(resolved.given).toBe('postgres-js');
  });

  it('owns and ends the client it creates for a connection string', async () => {
    const resolved = resolveConnection('postgres://nobody@127.0.0.1:1/none', 'f');
    expect(resolved.given).toBe('string');
    await resolved.close();
    await resolved.close();
  });

  it('rejects anything else naming the field', () => {
    for (const value of [undefined, null, 42, {}, 'http://x', () => 1]) {
      expect(() => resolveConnection(value, 'PostgresEventStore.connection')).toThrow(
        expect.objectContaining({
          code: 'ES_INVALID_CONFIG',
          field: 'PostgresEventStore.connection',
        }),
      );
    }
  });
});
