import { describe, expect, it } from 'vitest';
import { createBackend } from '../src/backends.js';
import { runTutorial } from '../src/run-tutorial.js';

async function run(random?: () => number) {
  const lines: string[] = [];
  const result = await runTutorial(() => createBackend('memory'), {
    part: '9',
    print: (line) => lines.push(line),
    retryDelayMs: 1,
    ...(random ? { random } : {}),
  });
  return { lines, output: lines.join('\n'), result };
}

const SECTIONS = [
  '1. Command Validation Errors',
  '2. Optimistic Concurrency with Retry',
  '3. Using Retry Utility',
  '4. Resilient Projection with DLQ',
  '5. Circuit Breaker Pattern',
  '6. Error Statistics',
  '7. Health Status',
];

describe('tutorial 9 on the in-memory backends', () => {
  it('prints the seven sections in the tutorial order', async () => {
    const { lines } = await run();
    const positions = SECTIONS.map((title) => lines.findIndex((line) => line.trim() === title));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('shows command validation and business-rule errors', async () => {
    const { output } = await run();
    expect(output).toContain('✓ Validation error: Title cannot be empty');
    expect(output).toContain('✓ Business rule error: Task already exists');
  });

  it('resolves a real concurrent conflict by retrying: one writer wins, the other finds it done', async () => {
    const { output, result } = await run();
    expect(result.tutorial9?.conflictsResolved).toBe(1);
    expect(output).toMatch(/Conflict on attempt 1 \(expected v1, actual v2\), retrying/);
    expect(output).toContain('{"success":true,"attempt":1,"version":2}');
    expect(output).toContain('{"success":true,"alreadyCompleted":true}');
  });

  it('dead-letters the orphan event and reports the real DLQ count (1, not 0 as in eventsource-py)', async () => {
    const { output, result } = await run();
    expect(output).toContain('✓ DLQ has 1 failed events');
    expect(output).toMatch(/^DLQ count: 1$/m);
    expect(result.tutorial9).toMatchObject({ dlqCount: 1, dlqEntries: 1 });
    expect(output).toMatch(/^Total errors: 1$/m);
    expect(output).toMatch(/^Permanent errors: 1$/m);
    expect(output).toContain('KeyError: 1');
  });

  it('never crashes in the circuit-breaker section, even when every call fails', async () => {
    const { output, result } = await run(() => 0);
    expect(result.tutorial9?.breakerState).toBe('open');
    expect(output.match(/Failed \(state=/g)).toHaveLength(3);
    expect(output.match(/Circuit open, failing fast/g)).toHaveLength(2);
    expect(output).toContain('✓ Circuit state: open');
  });

  it('never crashes on a random outcome (30 runs with Math.random)', async () => {
    for (let i = 0; i < 30; i++) {
      const { output } = await run(Math.random);
      expect(output).toContain('✓ Tutorial 9 complete!');
    }
  });

  it('reports health after the run', async () => {
    const { output } = await run();
    expect(output).toMatch(/^Healthy: (true|false)$/m);
    expect(output).toMatch(/^Warnings: \[.*\]$/m);
  });
});
