/**
 * Transactions that survive the loss of their connection on postgres.js 3.4.x (DEF-7).
 *
 * postgres.js runs `sql.begin(fn)` as `Promise.race([scope(fn), connectionClosed])`. When the
 * backend goes away (pg_terminate_backend, a server restart, a reset), the race rejects — but
 * `scope` keeps running: once `fn` settles it sends `rollback` (or `commit`, or `rollback to`
 * for a savepoint) on the dead connection, and so does every query `fn` still issues. Such a
 * query goes through `execute()` → `write()` → `setImmediate(nextWrite)`, and `nextWrite` calls
 * `socket.write` on a socket that `closed()` has set to `null`: an uncaught `TypeError: Cannot
 * read properties of null (reading 'write')` that ends the process (porsager/postgres#1208,
 * #1199, #1154). Nothing about it can be caught by the caller.
 *
 * The way out is not to send anything more once the connection is gone: a callback that learns
 * its connection was lost never settles (so `scope` never reaches its rollback/commit), and the
 * statements of this package and the savepoints of its unit of work refuse to run. The caller
 * still gets the failure: `begin()` rejects through its race with the connection's close. A held
 * callback is plain garbage once that race rejected (nothing refers to it any more).
 *
 * A loss is recognised by the error (postgres.js's own connection codes, socket resets, SQLSTATE
 * classes 08 and 57P0x) or by the transaction's promise settling while the callback still runs.
 * Socket codes can also come from elsewhere (a handler's HTTP call), so a held callback is let go
 * after {@link RELEASE_MS} when the transaction has not failed by then: the connection was fine
 * after all, and the usual rollback runs.
 *
 * @module
 * @internal
 */
import type { DrizzleDatabaseLike } from './executor.js';

/** Errors of postgres.js and of the socket under it that mean the connection is gone. */
const LOSS_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ENOTCONN',
  '57P01', // admin_shutdown (pg_terminate_backend, smart/fast shutdown)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);

/** How long a held callback waits for its transaction to fail before it is let go. */
export const RELEASE_MS = 2_000;

/**
 * True when `error` (or one of its causes) says the connection under a transaction is gone.
 *
 * @param error - what a statement or a callback threw
 */
export function isConnectionLoss(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (LOSS_CODES.has(code) || code.startsWith('08'))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The state of one transaction: whether its connection was lost or it is over, so that nothing
 * more is sent on it.
 */
export class TransactionGuard {
  /**
   * @param release - let a held callback go after {@link RELEASE_MS} when the transaction has not
   *   failed by then (default true; false when only this package's statements run in it, so a
   *   loss they report is real)
   */
  constructor(private readonly release = true) {}

  private failure: unknown;
  private done = false;
  private readonly waiting: (() => void)[] = [];

  /** True when nothing may be sent on this transaction any more (lost, or over). */
  get stopped(): boolean {
    return this.done || this.failure !== undefined;
  }

  /**
   * Throws when nothing may be sent on this transaction any more.
   *
   * @throws the connection failure (or a plain Error when the transaction is simply over)
   */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.done) throw new Error('The transaction is over: no statement can run in it any more');
  }

  /** Records a connection loss (the first one wins). */
  lost(error: unknown): void {
    if (this.failure === undefined) this.failure = error ?? new Error('connection lost');
  }

  /** The transaction settled: nothing may run in it any more, and held callbacks stay held. */
  end(): void {
    this.done = true;
    const waiting = this.waiting.splice(0);
    for (let i = 0; i < waiting.length; i++) (waiting[i] as () => void)();
  }

  /**
   * What a callback (or savepoint) returns once its connection is lost: a promise that stays
   * pending if the transaction fails (it does at once when the connection is really gone) and
   * rejects with `error` after {@link RELEASE_MS} otherwise.
   */
  hold(error: unknown): Promise<never> {
    return new Promise<never>((_, reject) => {
      if (this.done || !this.release) return;
      const timer = setTimeout(() => {
        if (!this.done) reject(error);
      }, RELEASE_MS);
      (timer as { unref?: () => void }).unref?.();
      this.waiting.push(() => clearTimeout(timer));
    });
  }

  /**
   * Runs `work` as a transaction callback: its result is passed on unless the connection was lost,
   * in which case the callback is held (see {@link hold}).
   */
  async settle<T>(work: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await work();
    } catch (error) {
      if (isConnectionLoss(error)) this.lost(error);
      if (this.failure !== undefined || this.done) return this.hold(error);
      throw error;
    }
    if (this.failure !== undefined || this.done) return this.hold(this.failure);
    return result;
  }
}

/**
 * Runs a driver transaction so that a lost connection never makes the driver send more on it.
 *
 * @param begin - opens the transaction and runs the callback in it (`sql.begin`, `db.transaction`)
 * @param work - the callback's work, with the transaction and its guard
 * @param options - `release`: see {@link TransactionGuard}
 */
export function guardedTransaction<Tx, T>(
  begin: (callback: (tx: Tx) => Promise<T>) => Promise<T>,
  work: (tx: Tx, guard: TransactionGuard) => Promise<T>,
  options: { readonly release?: boolean } = {},
): Promise<T> {
  const guard = new TransactionGuard(options.release ?? true);
  const outcome = begin((tx) => guard.settle(() => work(tx, guard)));
  // However it ends (commit, rollback, or the race with the connection's close), the
  // transaction is over: statements still issued through the guard are refused.
  outcome.then(
    () => guard.end(),
    (error: unknown) => {
      if (isConnectionLoss(error)) guard.lost(error);
      guard.end();
    },
  );
  return outcome;
}

/**
 * A view of a drizzle transaction for this package's repositories whose statements and nested
 * transactions (savepoints) refuse to run once `guard` stopped — with the connection failure,
 * without reaching the driver. Nested transactions are guarded the same way.
 *
 * @param tx - the drizzle transaction
 * @param guard - the guard of the transaction
 */
export function guardedDrizzle(
  tx: DrizzleDatabaseLike,
  guard: TransactionGuard,
): DrizzleDatabaseLike {
  const session = tx._.session;
  const guardedSession: DrizzleDatabaseLike['_']['session'] = {
    prepareQuery(query, fields, name, isResponseInArrayMode) {
      const prepared = session.prepareQuery(query, fields, name, isResponseInArrayMode);
      return {
        execute: (values) => {
          if (guard.stopped) return refused(guard);
          return prepared.execute(values);
        },
      };
    },
  };
  return {
    _: { ...tx._, session: guardedSession },
    transaction: <T>(work: (inner: DrizzleDatabaseLike) => Promise<T>): Promise<T> => {
      if (guard.stopped) return refused(guard);
      return tx.transaction((inner: DrizzleDatabaseLike) =>
        guard.settle(() => work(guardedDrizzle(inner, guard))),
      );
    },
    // A transaction (not a database) for the executor's `inTransaction`.
    rollback: (tx as { rollback?: unknown }).rollback,
  } as DrizzleDatabaseLike;
}

/** A rejected promise with the reason `guard` stopped. */
export function refused(guard: TransactionGuard): Promise<never> {
  try {
    guard.check();
  } catch (error) {
    return Promise.reject(error);
  }
  return Promise.reject(new Error('unreachable: the guard stopped'));
}

/**
 * Guards the postgres.js client under a drizzle transaction (`tx.session.client`, when the
 * transaction runs on postgres.js): the statements a projection handler sends through the
 * transaction — and its nested transactions — are refused once `guard` stopped, so a handler that
 * swallows a connection error and queries on does not reach the dead connection. The session is
 * the transaction's own (drizzle creates one per transaction), so nothing shared is changed.
 * Other drivers (PGlite) are left alone.
 *
 * @param tx - a drizzle transaction
 * @param guard - the guard of the transaction
 */
export function guardDrizzleClient(tx: unknown, guard: TransactionGuard): void {
  const session = (tx as { session?: { client?: unknown } }).session;
  const client = session?.client;
  if (
    typeof client !== 'function' ||
    typeof (client as { unsafe?: unknown }).unsafe !== 'function'
  ) {
    return;
  }
  (session as { client: unknown }).client = guardedClient(client as ClientLike, guard);
}

type ClientLike = ((...args: unknown[]) => unknown) & {
  unsafe(...args: unknown[]): unknown;
  savepoint?(...args: unknown[]): Promise<unknown>;
};

/** A postgres.js transaction client whose statements and savepoints check `guard` first. */
function guardedClient(client: ClientLike, guard: TransactionGuard): ClientLike {
  return new Proxy(client, {
    apply(target, thisArg, args) {
      return guard.stopped ? refusedQuery(guard) : Reflect.apply(target, thisArg, args);
    },
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'unsafe' || property === 'file') {
        return (...args: unknown[]) => {
          if (guard.stopped) return refusedQuery(guard);
          const query = Reflect.apply(value, target, args) as PromiseLike<unknown>;
          // Learn of a loss from the statement itself, before a handler that catches it can
          // query on (drizzle awaits every statement it makes, so this starts nothing early).
          query.then(undefined, (error: unknown) => {
            if (isConnectionLoss(error)) guard.lost(error);
          });
          return query;
        };
      }
      if (property === 'savepoint') {
        return (...args: unknown[]) => {
          if (guard.stopped) return refused(guard);
          const work = args[args.length - 1] as (inner: ClientLike) => unknown;
          const rest = args.slice(0, -1);
          return Reflect.apply(value, target, [
            ...rest,
            (inner: ClientLike) => guard.settle(async () => work(guardedClient(inner, guard))),
          ]);
        };
      }
      return value.bind(target);
    },
  });
}

/**
 * What a refused postgres.js query looks like: a lazy thenable that rejects with the guard's
 * reason when awaited, and that keeps the query's chainable modifiers (`values()`, `raw()`, …).
 */
function refusedQuery(guard: TransactionGuard): PromiseLike<never> {
  const query: PromiseLike<never> & Record<string, unknown> = {
    // biome-ignore lint/suspicious/noThenProperty: it stands for a postgres.js query, a thenable
    then: (onFulfilled, onRejected) => refused(guard).then(onFulfilled, onRejected),
    catch: (onRejected: (reason: unknown) => unknown) => refused(guard).catch(onRejected),
    finally: (onFinally: () => void) => refused(guard).finally(onFinally),
  };
  for (const modifier of ['values', 'raw', 'execute', 'describe', 'simple', 'forEach', 'cursor']) {
    query[modifier] = () => query;
  }
  return query;
}
