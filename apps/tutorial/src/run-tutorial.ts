/**
 * Runs the selected parts of the tutorial, each on a fresh backend.
 *
 * @module
 */
import type { Backend } from './backends.js';
import type { Part } from './cli.js';
import { runTutorial9, type Tutorial9Result } from './tutorial-09.js';
import { runTutorial10, type Tutorial10Result } from './tutorial-10.js';

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
  readonly tutorial10?: Tutorial10Result;
}

/**
 * Runs the selected parts of the tutorial. Each part gets a fresh backend from `openBackend`
 * (Tutorial 10 reads its store from the beginning), closed when the part ends.
 */
export async function runTutorial(
  openBackend: () => Promise<Backend>,
  options: RunTutorialOptions = {},
): Promise<RunTutorialResult> {
  const print = options.print ?? console.log;
  const part = options.part ?? 'all';
  const result: { tutorial9?: Tutorial9Result; tutorial10?: Tutorial10Result } = {};
  if (part === '9' || part === 'all') {
    const backend = await openBackend();
    try {
      print(`(running on ${backend.description})`);
      result.tutorial9 = await runTutorial9(backend, {
        print,
        ...(options.random ? { random: options.random } : {}),
        ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
      });
    } finally {
      await backend.close();
    }
  }
  if (part === '10' || part === 'all') {
    if (part === 'all') print('');
    const backend = await openBackend();
    try {
      print(`(running on ${backend.description})`);
      result.tutorial10 = await runTutorial10(backend, { print });
    } finally {
      await backend.close();
    }
  }
  return result;
}
