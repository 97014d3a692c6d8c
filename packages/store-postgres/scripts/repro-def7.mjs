// Standalone repro of DEF-7 (postgres.js 3.4.9, porsager/postgres#1208, #1199, #1154).
//
//   node scripts/repro-def7.mjs [begin|idle|savepoint|guarded]   (DATABASE_URL, default local)
//
// begin:     a query in flight inside sql.begin; an admin connection terminates its backend. The
//            query rejects (CONNECTION_CLOSED), the callback rejects, and postgres.js's scope() then
//            sends `rollback` on the closed connection: execute() → write() → setImmediate(nextWrite)
//            → socket.write on `socket === null` → an uncaught TypeError kills the process.
// idle:      the backend is terminated while the transaction is idle; the callback's next query
//            goes through the same path.
// savepoint: the same inside sql.savepoint (`rollback to s0`).
// guarded:   `begin` again, but the callback never settles once the connection is lost (what
//            @es/store-postgres does): begin() rejects through its onclose race, nothing more is
//            sent, the process lives (the next query may still get the stale 57P01).
import postgres from 'postgres';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const mode = process.argv[2] ?? 'begin';
const app = `def7-repro-${process.pid}`;
const sql = postgres(url, { max: 1, connection: { application_name: app }, onnotice() {} });
const admin = postgres(url, { max: 1, onnotice() {} });
process.on('uncaughtException', (e) => {
  console.log(`UNCAUGHT ${e.name}: ${e.message}\n${e.stack.split('\n').slice(0, 3).join('\n')}`);
  process.exit(1);
});
process.on('unhandledRejection', (e) => {
  console.log(`UNHANDLED REJECTION ${e?.code ?? ''} ${e?.message ?? e}`);
  process.exit(1);
});
// (postgres.js queries are lazy: .then() sends this one.)
const kill = () =>
  admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ${app}`.then(
    () => {},
  );
const lostCodes = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'ECONNRESET', '57P01']);

await sql`SELECT 1`;
try {
  await sql.begin(async (tx) => {
    await tx`SELECT 1`;
    if (mode === 'idle') {
      await kill();
      await new Promise((r) => setTimeout(r, 200));
      await tx`SELECT 2`;
    } else if (mode === 'savepoint') {
      await tx.savepoint(async (sp) => {
        setTimeout(kill, 100);
        await sp`SELECT pg_sleep(2)`;
      });
    } else {
      setTimeout(kill, 100);
      try {
        await tx`SELECT pg_sleep(2)`;
      } catch (error) {
        if (mode === 'guarded' && lostCodes.has(error.code)) return new Promise(() => {});
        throw error;
      }
    }
  });
} catch (error) {
  console.log(`begin() rejected: ${error.code} ${error.message}`);
}
await new Promise((r) => setTimeout(r, 300));
for (let attempt = 1; attempt <= 3; attempt++) {
  try {
    console.log(`after: ${JSON.stringify(await sql`SELECT 'alive' AS state`)}`);
    break;
  } catch (error) {
    // The FATAL of the dead connection can be handed to the next query (a stale 57P01).
    console.log(`next query failed: ${error.code} ${error.message}`);
  }
}
await Promise.all([sql.end({ timeout: 1 }), admin.end({ timeout: 1 })]);
console.log('process survived');
