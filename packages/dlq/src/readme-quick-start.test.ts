/**
 * Runs the README's quick start: the code between the region markers below is compared with the
 * README's "Quick start" block (import path aside), so the README cannot drift from code that runs.
 */
import { readFileSync } from 'node:fs';
import { expect, it, vi } from 'vitest';

const log = vi.spyOn(console, 'log').mockImplementation(() => {});

// #region quick-start
import { InMemoryDLQRepository, redrive } from './index.js';

const dlq = new InMemoryDLQRepository();

// A projection failed on event 2 of stream task-1 and gave up retrying: dead-letter it…
const failedId = await dlq.addFailedEvent({
  eventId: 'e-2',
  projectionName: 'task-list',
  eventType: 'TaskRenamed',
  eventData: { aggregateId: 'task-1', title: 'Ship it' },
  error: new Error('read model unavailable'),
  retryCount: 3,
  streamId: 'task-1',
  streamPosition: 2,
});
// …and park event 3 of the same stream behind it, so the stream stays in order.
await dlq.addFailedEvent({
  eventId: 'e-3',
  projectionName: 'task-list',
  eventType: 'TaskCompleted',
  eventData: { aggregateId: 'task-1' },
  error: `parked behind DLQ entry ${failedId}`,
  status: 'parked',
  streamId: 'task-1',
  streamPosition: 3,
});

console.log(await dlq.getFailureStats()); // { totalFailed: 1, totalParked: 1, … }
console.log(await dlq.getBlockedStreams('task-list')); // ['task-1']

// The fix is deployed: replay the stream through the projection, in order.
const report = await redrive({
  dlqRepo: dlq,
  projectionName: 'task-list',
  process: async (entry) => {
    console.log('re-handling', entry.eventType, entry.eventData);
  },
});
console.log(`${report.succeeded}/${report.selected} redriven`); // 2/2 redriven
console.log(await dlq.getBlockedStreams('task-list')); // []
// #endregion quick-start

it('the README quick start is this code, and it does what its comments say', () => {
  const source = readFileSync(new URL(import.meta.url), 'utf8');
  const region = /\/\/ #region quick-start\n([\s\S]*?)\/\/ #endregion quick-start/.exec(
    source,
  )?.[1];
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /## Quick start[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(region).toBeDefined();
  expect(block).toBe(region?.replace("from './index.js'", "from '@es/dlq'"));

  expect(log.mock.calls).toEqual([
    [
      expect.objectContaining({
        totalFailed: 1,
        totalRetrying: 0,
        totalParked: 1,
        affectedProjections: 1,
      }),
    ],
    [['task-1']],
    ['re-handling', 'TaskRenamed', { aggregateId: 'task-1', title: 'Ship it' }],
    ['re-handling', 'TaskCompleted', { aggregateId: 'task-1' }],
    ['2/2 redriven'],
    [[]],
  ]);
});
