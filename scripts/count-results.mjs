// Adds up vitest JSON reports and prints the one closing line CI reads: `N passed, N failed`.
// Usage: node scripts/count-results.mjs <report.json>... [--extra-failed N]
import { existsSync, readFileSync } from 'node:fs';

const args = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--extra-failed') {
    failed += Number(args[++i] ?? 0);
    continue;
  }
  if (!existsSync(arg)) {
    console.error(`count-results: missing report ${arg} (counted as 1 failure)`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(arg, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that failed to load has no failed tests but is a failure all the same.
  for (const file of report.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
