import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendKind, createBackend } from '../../src/backends.js';
import { type RunTutorialResult, runTutorial } from '../../src/run-tutorial.js';

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The output without what differs from run to run (ids, positions, times, schema names). */
function normalize(output: string): string {
  return output
    .replace(/running on .*\)/g, 'running on <backend>)')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    .replace(/checkpoint saved at \S+/g, 'checkpoint saved at <position>')
    .replace(/resumed from \S+,/g, 'resumed from <position>,')
    .replace(/#\d+/g, '#<id>')
    .replace(/Error rate: [\d.]+/g, 'Error rate: <n>')
    .replace(/retry after \d+ ms, at \S+\)/g, 'retry after <ms>, at <time>)');
}

async function run(kind: BackendKind) {
  const lines: string[] = [];
  const result: RunTutorialResult = await runTutorial(() => createBackend(kind, { databaseUrl }), {
    print: (line) => lines.push(line),
    random: () => 0.5,
    retryDelayMs: 1,
  });
  return { output: normalize(lines.join('\n')), result };
}

describe('the tutorial on PostgreSQL and PGlite prints what it prints in memory', () => {
  let memory: Awaited<ReturnType<typeof run>>;

  beforeAll(async () => {
    const sql = postgres(databaseUrl, { max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      await sql`select 1`;
    } catch (error) {
      throw new Error(
        `PostgreSQL is not reachable at ${new URL(databaseUrl).host}: the tutorial's integration tests need it (set DATABASE_URL)`,
        { cause: error },
      );
    } finally {
      await sql.end();
    }
    memory = await run('memory');
  });

  afterAll(() => {});

  for (const kind of ['postgres', 'pglite'] as const) {
    it(`runs both parts on ${kind} with the same output and outcomes`, async () => {
      const { output, result } = await run(kind);
      expect(result.tutorial9).toMatchObject({ dlqCount: 1, dlqEntries: 1, conflictsResolved: 1 });
      expect(result.tutorial10).toMatchObject({
        firstRunProcessed: 7,
        secondRunProcessed: 2,
        reprocessed: 0,
        deadLettered: 1,
        parked: 1,
        redriveSucceeded: 2,
        dlqAfterRedrive: 0,
      });
      expect(output).toBe(memory.output);
    });
  }

  it('drops the schemas it created', async () => {
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const rows =
        await sql`select count(*)::int as n from pg_namespace where nspname like 'tutorial\\_%'`;
      expect(rows[0]?.n).toBe(0);
    } finally {
      await sql.end();
    }
  });
});
