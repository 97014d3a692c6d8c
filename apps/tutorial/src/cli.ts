/**
 * Command-line parsing of the tutorial: `--backend memory|pglite|postgres`, `--part 9|10|all`.
 *
 * @module
 */
import { BACKEND_KINDS, type BackendKind } from './backends.js';

/** The parts of the tutorial that can be run. */
export const PARTS = ['9', '10', 'all'] as const;
/** One of {@link PARTS}. */
export type Part = (typeof PARTS)[number];

/** Parsed command line. */
export interface CliOptions {
  readonly backend: BackendKind;
  readonly part: Part;
  readonly databaseUrl: string | undefined;
  readonly help: boolean;
}

/** The usage text. */
export const USAGE = `Usage: pnpm --filter @es/tutorial start [-- options]

Options:
  --backend memory|pglite|postgres   storage backend (default memory; postgres reads DATABASE_URL)
  --part 9|10|all                    tutorial part to run (default all)
  -h, --help                         show this help`;

/** Thrown for a command line the tutorial does not understand. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Parses `argv` (without node and the script); throws {@link UsageError} for bad input. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  let backend: BackendKind = 'memory';
  let part: Part = 'all';
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') continue;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--backend') {
      const v = value();
      if (!(BACKEND_KINDS as readonly string[]).includes(v)) {
        throw new UsageError(`--backend must be one of ${BACKEND_KINDS.join(', ')} (got ${v})`);
      }
      backend = v as BackendKind;
    } else if (flag === '--part') {
      const v = value();
      if (!(PARTS as readonly string[]).includes(v)) {
        throw new UsageError(`--part must be one of ${PARTS.join(', ')} (got ${v})`);
      }
      part = v as Part;
    } else {
      throw new UsageError(`unknown argument: ${arg}`);
    }
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (backend === 'postgres' && !databaseUrl && !help) {
    throw new UsageError(
      '--backend postgres reads the connection string from DATABASE_URL, which is not set',
    );
  }
  return { backend, part, databaseUrl, help };
}
