/**
 * A subscriber process for the crash tests (bundled to `.cache/child/subscriber.mjs` and run with
 * `child_process.fork`). It runs one subscription with the PostgreSQL unit of work, writing every
 * application to `rel_applied` in the subscription's transaction, and kills itself with SIGKILL at
 * a named crash point when told to (`crashAt` / `crashOn`). Configuration comes as JSON in the
 * `REL_CHILD_CONFIG` environment variable; it talks to the parent over IPC.
 *
 * Messages to the parent: `{ type: 'ready' }` once started, `{ type: 'idle', position, counts }`
 * each time it has caught up, `{ type: 'redriven', report }` in redrive mode, `{ type: 'stopped',
 * checkpoint }` after a graceful stop, `{ type: 'stats', rss, heapUsed, counts }` every 2 s. From the parent: `{ type: 'stop' }`. SIGTERM also stops
 * gracefully (the manager drains and flushes its checkpoint).
 */
import type { DLQRepository } from '@es/dlq';
import type { PostgresTransaction } from '@es/store-postgres';
import type { ErrorHandlingStrategy, UnitOfWork, UnitOfWorkProvider } from '@es/subscriptions';
import '../../src/support/events.js';
import { type ChildConfig, type CrashPoint, crashPointHit } from '../../src/faults/crash-points.js';
import { appliedProjection, pgStack } from '../../src/support/postgres.js';

const config = JSON.parse(process.env.REL_CHILD_CONFIG ?? '{}') as ChildConfig;
const hits = new Map<CrashPoint, number>();

function reached(point: CrashPoint): void {
  if (crashPointHit(config, point, hits)) process.kill(process.pid, 'SIGKILL');
}

function send(message: unknown): void {
  if (process.send !== undefined && process.connected) process.send(message);
}

/** A DLQ repository whose writes pass a crash point once they are done. */
function crashingDlq(inner: DLQRepository): DLQRepository {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'addFailedEvent' || typeof value !== 'function') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return async (input: Parameters<DLQRepository['addFailedEvent']>[0]) => {
        const id = await (value as DLQRepository['addFailedEvent']).call(target, input);
        reached(input.status === 'parked' ? 'after-park' : 'after-dlq-insert');
        return id;
      };
    },
  });
}

/** The unit of work with crash points before and after COMMIT. */
function crashingUnitOfWork(
  inner: UnitOfWorkProvider<PostgresTransaction>,
): UnitOfWorkProvider<PostgresTransaction> {
  return {
    async runInTransaction(work) {
      const result = await inner.runInTransaction(async (uow) => {
        const wrapped: UnitOfWork<PostgresTransaction> = {
          transaction: uow.transaction,
          checkpointRepo: uow.checkpointRepo,
          dlqRepo: crashingDlq(uow.dlqRepo),
          savepoint: (fn) => uow.savepoint(fn),
        };
        const value = await work(wrapped);
        reached('before-commit');
        return value;
      });
      reached('after-commit');
      return result;
    },
  };
}

async function main(): Promise<void> {
  const stack = pgStack(config.url, config.schema, {
    applicationName: config.applicationName ?? `rel-child-${config.subscriber}`,
    max: 3,
    txMax: 2,
  });
  const sleepMs = config.handlerDelayMs ?? 0;
  const projection = appliedProjection({
    name: config.subscriber,
    schema: config.schema,
    ...(config.fixed === true ? { fixed: true } : {}),
    ...(sleepMs > 0 ? { beforeApply: () => new Promise<void>((r) => setTimeout(r, sleepMs)) } : {}),
    afterApply: (_event, context) =>
      reached(context.redrive ? 'after-redrive-handler' : 'after-handler'),
  });
  const manager = stack.manager({
    unitOfWork: crashingUnitOfWork(stack.unitOfWork),
    dlqRepo: crashingDlq(stack.dlq),
    pollIntervalMs: 20,
  });
  const subscription = manager.subscribe(projection, {
    batchSize: config.batchSize ?? 50,
    dlqOrdering: config.dlqOrdering ?? 'per-stream',
    errorHandling: {
      strategy: (config.strategy ?? 'retry_then_dlq') as ErrorHandlingStrategy,
      retry: { maxRetries: config.maxRetries ?? 2, initialDelayMs: 0, maxDelayMs: 0, jitter: 0 },
    },
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await manager.stop();
    send({ type: 'stopped', checkpoint: subscription.checkpoint, state: subscription.state });
    await stack.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());

  if (config.mode === 'redrive') {
    const report = await subscription.redrive({ includeRetrying: true, pageSize: 10 });
    send({
      type: 'redriven',
      report: {
        selected: report.selected,
        succeeded: report.succeeded,
        failed: report.failed,
        skippedUnavailable: report.skippedUnavailable,
      },
    });
    await stop();
    return;
  }

  await manager.start();
  send({ type: 'ready', pid: process.pid });
  // Resource figures every 2 s, busy or idle (for the soak's memory and connection checks).
  const stats = setInterval(() => {
    const memory = process.memoryUsage();
    const lastError = subscription.lastError;
    send({
      type: 'stats',
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      counts: subscription.counts,
      state: subscription.state,
      position: subscription.position,
      lastError:
        lastError === null
          ? null
          : {
              source: lastError.source,
              code: lastError.code,
              message: lastError.message,
              at: lastError.at,
            },
    });
  }, 2_000);
  stats.unref();
  while (!stopping) {
    await subscription.whenIdle();
    if (stopping) break;
    send({
      type: 'idle',
      position: subscription.position,
      checkpoint: subscription.checkpoint,
      state: subscription.state,
      counts: subscription.counts,
      rss: process.memoryUsage().rss,
      heapUsed: process.memoryUsage().heapUsed,
    });
    if (subscription.state === 'error' || subscription.state === 'stopped') break;
    await new Promise((r) => setTimeout(r, 25));
  }
}

main().catch((error) => {
  process.stderr.write(
    `subscriber child failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(2);
});
