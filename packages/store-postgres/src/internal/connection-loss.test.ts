import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  guardDrizzleClient,
  guardedDrizzle,
  guardedTransaction,
  isConnectionLoss,
  RELEASE_MS,
  TransactionGuard,
} from './connection-loss.js';
import type { DrizzleDatabaseLike } from './executor.js';

/**
 * A transaction the way postgres.js 3.4 runs one: `race(scope(callback), closed)`, where scope
 * sends ROLLBACK (or COMMIT) once the callback settles — on a dead connection that is the crash.
 */
function fakeDriver() {
  const sent: string[] = [];
  let alive = true;
  let close: (error: unknown) => void = () => {};
  const closed = new Promise<never>((_, reject) => {
    close = reject;
  });
  const send = (statement: string) => {
    if (!alive) sent.push(`${statement} ON A DEAD CONNECTION`);
    else sent.push(statement);
  };
  return {
    sent,
    lose(error: unknown) {
      alive = false;
      close(error);
    },
    begin<T>(callback: (tx: string) => Promise<T>): Promise<T> {
      const scope = (async () => {
        try {
          const result = await callback('tx');
          send('COMMIT');
          return result;
        } catch (error) {
          send('ROLLBACK');
          throw error;
        }
      })();
      return Promise.race([scope, closed]);
    },
  };
}

const lost = Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' });
const flush = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('isConnectionLoss', () => {
  it('knows the driver codes, socket resets and SQLSTATE classes 08 and 57P0x, also as a cause', () => {
    for (const code of [
      'CONNECTION_CLOSED',
      'CONNECTION_DESTROYED',
      'ECONNRESET',
      '57P01',
      '08006',
    ]) {
      expect(isConnectionLoss(Object.assign(new Error(code), { code })), code).toBe(true);
    }
    expect(isConnectionLoss(new Error('wrapped', { cause: lost }))).toBe(true);
    for (const code of ['23505', '40001', '57014', 'ES_CONCURRENCY', undefined]) {
      expect(isConnectionLoss(Object.assign(new Error('x'), { code })), String(code)).toBe(false);
    }
    expect(isConnectionLoss('CONNECTION_CLOSED')).toBe(false);
    expect(isConnectionLoss(null)).toBe(false);
  });
});

describe('guardedTransaction', () => {
  it('passes results and ordinary failures through (commit, rollback)', async () => {
    const driver = fakeDriver();
    await expect(guardedTransaction(driver.begin, async () => 7)).resolves.toBe(7);
    const failure = new Error('handler');
    await expect(
      guardedTransaction(driver.begin, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(driver.sent).toEqual(['COMMIT', 'ROLLBACK']);
  });

  it('sends nothing more once the connection is lost under a running statement', async () => {
    const driver = fakeDriver();
    const outcome = guardedTransaction(driver.begin, async () => {
      driver.lose(lost);
      throw lost; // what the statement in flight rejects with
    });
    await expect(outcome).rejects.toBe(lost);
    await flush();
    expect(driver.sent).toEqual([]);
  });

  it('holds a callback that goes on after its transaction failed (idle in transaction)', async () => {
    const driver = fakeDriver();
    let guardOf: TransactionGuard | undefined;
    let resume: () => void = () => {};
    const outcome = guardedTransaction(driver.begin, async (_tx, guard) => {
      guardOf = guard;
      await new Promise<void>((resolve) => {
        resume = resolve;
      });
      return 'done';
    });
    driver.lose(lost);
    await expect(outcome).rejects.toBe(lost);
    expect(guardOf?.stopped).toBe(true);
    expect(() => guardOf?.check()).toThrow(lost);
    resume();
    await flush();
    expect(driver.sent).toEqual([]);
  });

  it('lets a held callback go after RELEASE_MS when the transaction did not fail after all', async () => {
    vi.useFakeTimers();
    const driver = fakeDriver();
    const reset = Object.assign(new Error('an HTTP call of the handler'), { code: 'ECONNRESET' });
    const outcome = guardedTransaction(driver.begin, async () => {
      throw reset;
    });
    const settled = expect(outcome).rejects.toBe(reset);
    await vi.advanceTimersByTimeAsync(RELEASE_MS - 1);
    expect(driver.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await settled;
    expect(driver.sent).toEqual(['ROLLBACK']);
  });

  it('never lets go when release is off', async () => {
    vi.useFakeTimers();
    const driver = fakeDriver();
    let state = 'pending';
    guardedTransaction(
      driver.begin,
      async () => {
        throw lost;
      },
      { release: false },
    ).then(
      () => {
        state = 'resolved';
      },
      () => {
        state = 'rejected';
      },
    );
    await vi.advanceTimersByTimeAsync(RELEASE_MS * 10);
    expect(state).toBe('pending');
    expect(driver.sent).toEqual([]);
  });
});

describe('guardedDrizzle', () => {
  function fakeDrizzle(log: string[]): DrizzleDatabaseLike {
    const db: DrizzleDatabaseLike = {
      _: {
        session: {
          prepareQuery: (query) => ({
            execute: async () => {
              log.push(query.sql);
              return [];
            },
          }),
        },
      },
      transaction: async (work) => {
        log.push('SAVEPOINT');
        return work(db);
      },
    };
    return db;
  }

  it('runs statements and savepoints until the guard stops, then refuses them', async () => {
    const log: string[] = [];
    const guard = new TransactionGuard();
    const db = guardedDrizzle(fakeDrizzle(log), guard);
    await db._.session
      .prepareQuery({ sql: 'SELECT 1', params: [] }, undefined, 'es', true)
      .execute();
    await db.transaction(async (inner) =>
      inner._.session
        .prepareQuery({ sql: 'SELECT 2', params: [] }, undefined, 'es', true)
        .execute(),
    );
    guard.lost(lost);
    await expect(
      db._.session.prepareQuery({ sql: 'SELECT 3', params: [] }, undefined, 'es', true).execute(),
    ).rejects.toBe(lost);
    await expect(db.transaction(async () => 1)).rejects.toBe(lost);
    expect(log).toEqual(['SELECT 1', 'SAVEPOINT', 'SELECT 2']);
  });

  it('refuses statements once the transaction is over', async () => {
    const log: string[] = [];
    const guard = new TransactionGuard();
    const db = guardedDrizzle(fakeDrizzle(log), guard);
    guard.end();
    await expect(
      db._.session.prepareQuery({ sql: 'SELECT 1', params: [] }, undefined, 'es', true).execute(),
    ).rejects.toThrow(/transaction is over/);
    expect(log).toEqual([]);
  });
});

describe('guardDrizzleClient', () => {
  function fakeClient(log: string[]) {
    const query = (text: string) => {
      const q = Object.assign(Promise.resolve([text]), { values: () => q });
      return q;
    };
    const client = Object.assign(
      (strings: TemplateStringsArray, ..._values: unknown[]) => query(strings.join('?')),
      {
        unsafe: (text: string) => query(text),
        savepoint: async (work: (inner: unknown) => Promise<unknown>) => {
          log.push('SAVEPOINT');
          return work(client);
        },
      },
    );
    return client;
  }

  it('refuses the statements and savepoints of a handler once the guard stopped', async () => {
    const log: string[] = [];
    const guard = new TransactionGuard();
    const tx = { session: { client: fakeClient(log) } };
    guardDrizzleClient(tx, guard);
    const client = tx.session.client;
    await expect(client.unsafe('SELECT 1').values()).resolves.toEqual(['SELECT 1']);
    await expect(client`SELECT ${1}`).resolves.toEqual(['SELECT ?']);
    await expect(
      client.savepoint(async (inner) => (inner as typeof client).unsafe('SELECT 2')),
    ).resolves.toEqual(['SELECT 2']);
    guard.lost(lost);
    await expect(client.unsafe('SELECT 3').values()).rejects.toBe(lost);
    await expect(client`SELECT 4`).rejects.toBe(lost);
    await expect(client.savepoint(async () => 1)).rejects.toBe(lost);
    expect(log).toEqual(['SAVEPOINT']);
  });

  it('learns of a loss from a failing statement', async () => {
    const guard = new TransactionGuard();
    const failing = Object.assign(() => Promise.reject(lost), {
      unsafe: () => Promise.reject(lost),
    });
    const tx = { session: { client: failing } };
    guardDrizzleClient(tx, guard);
    await expect(tx.session.client.unsafe()).rejects.toBe(lost);
    expect(guard.stopped).toBe(true);
  });

  it('leaves other drivers alone', () => {
    const session = { client: { query: () => undefined } };
    guardDrizzleClient({ session }, new TransactionGuard());
    guardDrizzleClient({}, new TransactionGuard());
    expect(typeof session.client.query).toBe('function');
  });
});
