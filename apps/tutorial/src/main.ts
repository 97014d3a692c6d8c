/**
 * Entry point: `node dist/main.js [--backend memory|pglite|postgres] [--part 9|10|all]`.
 *
 * @module
 */
import { createBackend } from './backends.js';
import { parseArgs, USAGE, UsageError } from './cli.js';
import { runTutorial } from './run-tutorial.js';

async function main(): Promise<number> {
  let options: ReturnType<typeof parseArgs>;
  try {
    options = parseArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  await runTutorial(() => createBackend(options.backend, { databaseUrl: options.databaseUrl }), {
    part: options.part,
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  },
);
