/**
 * {@link createTestDatabase}: a throwaway PostgreSQL database for integration tests.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { InvalidConfigError } from '@es/core';
import postgres from 'postgres';
import { TestDatabaseError } from '../errors.js';
import { describeDriverError, sqlStateOf } from '../internal/driver-error.js';

/** Options of {@link createTestDatabase}. */
export interface CreateTestDatabaseOptions {
  /** A server URL to create the database on; default `$DATABASE_URL`, else the local server. */
  readonly url?: string;
  /** Name prefix, a lowercase identifier; default `es_test`. */
  readonly prefix?: string;
}

/** A database made by {@link createTestDatabase}. */
export interface TestDatabase {
  /** Its name, `<prefix>_<12 hex digits>`. */
  readonly name: string;
  /** Its URL (the server URL with the database replaced). */
  readonly url: string;
  /** Drops it (terminating its connections). Idempotent. */
  drop(): Promise<void>;
}

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const PREFIX = /^[a-z_][a-z0-9_]{0,40}$/;

/**
 * Creates a uniquely named database on a PostgreSQL server for a test run; drop it afterwards.
 * Fails (never skips) when the server cannot be reached.
 *
 * @throws {InvalidConfigError} ES_INVALID_CONFIG for a bad prefix or URL
 * @throws {TestDatabaseError} ES_POSTGRES_TEST_DATABASE when the server refuses (unreachable, no
 *   privilege to create databases…); the driver error is in `cause`
 * @example
 * ```ts
 * // vitest globalSetup
 * export default async function setup(project) {
 *   const database = await createTestDatabase();
 *   project.provide('databaseUrl', database.url);
 *   return () => database.drop();
 * }
 * ```
 */
export async function createTestDatabase(
  options: CreateTestDatabaseOptions = {},
): Promise<TestDatabase> {
  const prefix = options.prefix ?? 'es_test';
  if (!PREFIX.test(prefix)) {
    throw new InvalidConfigError(
      'createTestDatabase.prefix',
      'must match /^[a-z_][a-z0-9_]{0,40}$/',
      prefix,
    );
  }
  const serverUrl = options.url ?? process.env.DATABASE_URL ?? DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch (error) {
    throw new InvalidConfigError(
      'createTestDatabase.url',
      'must be a postgres:// URL',
      'unparsable URL',
      {
        cause: error,
      },
    );
  }
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = postgres(serverUrl, {
    max: 1,
    onnotice: () => {},
    connect_timeout: 10,
    fetch_types: false,
  });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } catch (error) {
    await admin.end({ timeout: 1 }).catch(() => {});
    throw new TestDatabaseError(
      sqlStateOf(error),
      `Cannot create the test database on ${url.host}: ${describeDriverError(error)}`,
      { cause: error },
    );
  }
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      try {
        await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}
