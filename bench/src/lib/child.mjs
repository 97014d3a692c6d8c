// The protocol between the orchestrator (main.mjs) and the worker processes it forks.
//
// A worker sends, over the IPC channel:
//   { kind: 'sample', ...SampleRecord }   one measured value (one implementation, one repeat)
//   { kind: 'progress', text }            what it is doing now (shown on stderr by the parent)
//   { kind: 'failure', group, impl, message, stack }  a case that crashed (the worker goes on)
//   { kind: 'info', key, value }          facts for the report (for example the PostgreSQL settings)
// and exits 0 when it is done. Any other exit code is reported as a crash of the whole worker.

import { fork } from 'node:child_process';

/**
 * @typedef {object} SampleRecord
 * @property {string} section   'resilience' | 'memory' | 'postgres' | 'dlq'
 * @property {string} group     stable id of one comparison (the rows compared with one reference)
 * @property {string} title     the case, as shown in the report
 * @property {string} [variant] for example 'synchronous_commit=off'
 * @property {string} impl      implementation, as shown in the report
 * @property {'reference'|'es'|'peer'} role
 * @property {string} unit      'events/s', 'ops/s', 'calls/s'…
 * @property {number} repeat    1-based
 * @property {number} value     higher is better
 * @property {Record<string, number|string>} [details]  p50/p99 latency, conflicts, caps…
 * @property {string} [note]    shown under the table
 */

/** Sends a message to the parent when running as a forked worker; prints it otherwise. */
function send(message) {
  if (typeof process.send === 'function') process.send(message);
  else process.stderr.write(`${JSON.stringify(message)}\n`);
}

/** Reports one measured value. */
export function emitSample(record) {
  send({ kind: 'sample', ...record });
}

/** Reports what the worker is doing now. */
export function emitProgress(text) {
  send({ kind: 'progress', text });
}

/** Reports a crashed case; the worker carries on with the next one. */
export function emitFailure(group, impl, error) {
  send({
    kind: 'failure',
    group,
    impl,
    message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    stack: error instanceof Error ? (error.stack ?? '') : '',
  });
}

/** Reports a fact for the report. */
export function emitInfo(key, value) {
  send({ kind: 'info', key, value });
}

/** Waits until the IPC channel has flushed, then exits (workers must not lose their last messages). */
export function finish(code = 0) {
  if (typeof process.send !== 'function') process.exit(code);
  process.send({ kind: 'done' }, () => process.exit(code));
}

/**
 * Forks a worker and feeds its messages to `onMessage`. Resolves with the exit code (signals map to
 * 128+n). `track` receives the child so the caller can kill it on Ctrl-C.
 */
export function runWorker(script, args, { env, execArgv = [], onMessage, track }) {
  return new Promise((resolve) => {
    const child = fork(script, args, {
      env: { ...process.env, ...env },
      execArgv,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    track?.(child);
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.length > 20_000) stderr = stderr.slice(-20_000);
    });
    child.on('message', (message) => onMessage(message));
    child.on('error', (error) => {
      stderr += `\n${error.stack ?? error}`;
    });
    child.on('exit', (code, signal) => {
      track?.(null);
      resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stderr });
    });
  });
}
