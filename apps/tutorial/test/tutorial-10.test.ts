import { describe, expect, it } from 'vitest';
import { createBackend } from '../src/backends.js';
import { runTutorial } from '../src/run-tutorial.js';

async function run() {
  const lines: string[] = [];
  const result = await runTutorial(() => createBackend('memory'), {
    part: '10',
    print: (line) => lines.push(line),
  });
  return { output: lines.join('\n'), result: result.tutorial10 };
}

describe('tutorial 10 on the in-memory backends', () => {
  it('resumes from the checkpoint after a restart without reprocessing', async () => {
    const { output, result } = await run();
    expect(result).toMatchObject({ firstRunProcessed: 7, secondRunProcessed: 2, reprocessed: 0 });
    expect(output).toContain('processed 2 new events, reprocessed 0');
  });

  it('dead-letters the poison event, parks its stream, and a redrive drains both in order', async () => {
    const { output, result } = await run();
    expect(result).toMatchObject({
      deadLettered: 1,
      parked: 1,
      redriveSucceeded: 2,
      dlqAfterRedrive: 0,
      poisonStreamOrder: ['TaskCreated@v1', 'TaskCompleted@v2'],
    });
    expect(output).toMatch(/Other streams kept flowing: 2 events processed/);
    expect(output).toMatch(/Health: healthy, DLQ depth 0/);
  });
});
