/**
 * Creates a throwaway database `es_test_<random>` on the PostgreSQL server for the integration
 * run and drops it at the end. Fails the run, loudly, when the server cannot be reached: these
 * tests are never skipped.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the throwaway database of this run. */
    databaseUrl: string;
  }
}

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const baseUrl = process.env.DATABASE_URL ?? DEFAULT_URL;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await admin`SELECT 1`;
  } catch (error) {
    await admin.end({ timeout: 1 }).catch(() => {});
    const where = redact(baseUrl);
    const reason =
      error instanceof Error ? `${error.name} ${(error as { code?: string }).code ?? ''}` : '';
    throw new Error(
      `The store-postgres integration tests need PostgreSQL, and ${where} is not reachable (${reason.trim()}).\n` +
        'Start it (pg_ctlcluster --skip-systemctl-redirect <version> main start, or scripts/ensure-postgres.sh) ' +
        'or set DATABASE_URL to a reachable server. These tests are never skipped.',
    );
  }
  const name = `es_test_${randomBytes(6).toString('hex')}`;
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  project.provide('databaseUrl', url.toString());
  return async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end({ timeout: 5 });
  };
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'DATABASE_URL';
  }
}
