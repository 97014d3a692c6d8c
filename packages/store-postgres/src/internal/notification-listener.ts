/**
 * LISTEN on one channel over a dedicated connection, for `PostgresEventBus`.
 *
 * @module
 * @internal
 */
import postgres, { type Sql } from 'postgres';
import type { NotificationSource, PGliteConnection } from '../connection.js';

/** What the listener reports. */
export interface ListenerCallbacks {
  /** A notification arrived on the channel. */
  onNotify(payload: string): void;
  /** The listening connection was lost (after LISTEN succeeded). Called at most once. */
  onClose(): void;
}

/** A live LISTEN. */
export interface ListenerHandle {
  /** One round trip on the listening connection (heartbeat); rejects when it is gone. */
  ping(): Promise<void>;
  /** UNLISTEN and release the connection. */
  close(): Promise<void>;
}

/** Opens a LISTEN; rejects when it cannot. */
export type ListenerFactory = (
  channel: string,
  callbacks: ListenerCallbacks,
) => Promise<ListenerHandle>;

/** The factory for a notification source. */
export function listenerFactory(
  source: NotificationSource,
  applicationName: string,
): ListenerFactory {
  return source.kind === 'pglite'
    ? pgliteListener(source.pglite)
    : postgresJsListener(source.sql, applicationName);
}

/**
 * A dedicated single-connection postgres.js client per LISTEN, built from the options of the
 * given client (its host, port, database, user, password, TLS and connection parameters), so that
 * the bus sees the connection close and decides how to reconnect (postgres.js's own `listen`
 * re-listens once and silently gives up when that fails).
 */
function postgresJsListener(
  source: Sql<Record<string, unknown>>,
  applicationName: string,
): ListenerFactory {
  return async (channel, callbacks) => {
    let listening = false;
    let closed = false;
    const o = source.options;
    const client = postgres({
      host: o.host,
      port: o.port,
      path: o.path || undefined,
      database: o.database,
      user: o.user,
      pass: o.pass,
      ssl: o.ssl,
      connect_timeout: o.connect_timeout,
      keep_alive: o.keep_alive,
      target_session_attrs: o.target_session_attrs,
      socket: (o as { socket?: unknown }).socket,
      connection: { ...o.connection, application_name: applicationName },
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      fetch_types: false,
      prepare: false,
      onnotice: () => {},
      onnotify: (name: string, payload: string) => {
        if (name === channel && !closed) callbacks.onNotify(payload);
      },
      onclose: () => {
        if (!listening || closed) return;
        closed = true;
        callbacks.onClose();
      },
    } as unknown as postgres.Options<Record<string, postgres.PostgresType>>);
    try {
      await client.unsafe(`LISTEN "${channel}"`);
    } catch (error) {
      closed = true;
      await client.end({ timeout: 0 }).catch(() => {});
      throw error;
    }
    listening = true;
    return {
      ping: async () => {
        await client.unsafe('SELECT 1');
      },
      close: async () => {
        closed = true;
        await client.end({ timeout: 1 }).catch(() => {});
      },
    };
  };
}

/** PGlite is in-process: its LISTEN cannot be lost. */
function pgliteListener(pglite: PGliteConnection): ListenerFactory {
  return async (channel, callbacks) => {
    const unlisten = await pglite.listen(channel, (payload) => callbacks.onNotify(payload));
    return {
      ping: async () => {
        await pglite.query('SELECT 1');
      },
      close: async () => {
        await unlisten();
      },
    };
  };
}
