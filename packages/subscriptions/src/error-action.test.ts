import { describe, expect, it } from 'vitest';
import { decideErrorAction, type ErrorAction } from './error-action.js';
import type { ErrorHandlingStrategy } from './error-handling-strategy.js';

describe('decideErrorAction', () => {
  // CONTRACT §6: [strategy, retryable + retries left, retryable + retries spent, non-retryable]
  const table: [ErrorHandlingStrategy, ErrorAction, ErrorAction, ErrorAction][] = [
    ['stop', 'stop', 'stop', 'stop'],
    ['continue', 'skip', 'skip', 'skip'],
    ['retry_then_continue', 'retry', 'skip', 'skip'],
    ['retry_then_dlq', 'retry', 'dlq', 'dlq'],
    ['dlq_only', 'dlq', 'dlq', 'dlq'],
  ];
  const columns = [
    { retryable: true, retryCount: 2 },
    { retryable: true, retryCount: 3 },
    { retryable: false, retryCount: 0 },
  ] as const;
  const cases = table.flatMap(([strategy, ...actions]) =>
    columns.map((column, i) => ({ strategy, ...column, expected: actions[i] as ErrorAction })),
  );

  it.each(cases)(
    '$strategy, retryable $retryable, retryCount $retryCount of 3 → $expected',
    ({ strategy, retryable, retryCount, expected }) => {
      const input = { strategy, retryable, retryCount, maxRetries: 3 };
      expect(decideErrorAction({ ...input, dlqEnabled: true })).toBe(expected);
      expect(decideErrorAction({ ...input, dlqEnabled: false })).toBe(
        expected === 'dlq' ? 'skip' : expected,
      );
    },
  );

  it('treats retryCount beyond maxRetries as spent', () => {
    expect(
      decideErrorAction({
        strategy: 'retry_then_dlq',
        retryable: true,
        retryCount: 10,
        maxRetries: 3,
        dlqEnabled: true,
      }),
    ).toBe('dlq');
  });

  it('throws InvalidConfigError for an unknown strategy', () => {
    expect(() =>
      decideErrorAction({
        strategy: 'retry' as ErrorHandlingStrategy,
        retryable: true,
        retryCount: 0,
        maxRetries: 3,
        dlqEnabled: true,
      }),
    ).toThrow(expect.objectContaining({ code: 'ES_INVALID_CONFIG', field: 'strategy' }));
  });
});
