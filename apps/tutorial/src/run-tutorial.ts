/**
 * Runs the selected parts of the tutorial on one backend.
 *
 * @module
 */
import type { Backend } from './backends.js';
import type { Part } from './cli.js';
import { runTutorial9, type Tutorial9Result } from './tutorial-09.js';

/** Options of {@link runTutorial}. */
export interface RunTutorialOptions {
  readonly part?: Part;
  readonly print?: (line: string) => void;
  readonly random?: () => number;
  readonly retryDelayMs?: number;
}

/** What the run observed. */
export interface RunTutorialResult {
  readonly tutorial9?: Tutorial9Result;
}

/** Runs the selected parts of the tutorial on `backend`. */
export async function runTutorial(
  backend: Backend,
  options: RunTutorialOptions = {},
): Promise<RunTutorialResult> {
  const print = options.print ?? console.log;
  const part = options.part ?? 'all';
  print(`(running on ${backend.description})`);
  const result: { tutorial9?: Tutorial9Result } = {};
  if (part === '9' || part === 'all') {
    result.tutorial9 = await runTutorial9(backend, {
      print,
      ...(options.random ? { random: options.random } : {}),
      ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
    });
  }
  return result;
}
