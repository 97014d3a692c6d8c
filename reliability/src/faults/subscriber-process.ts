/**
 * The fork-and-SIGKILL harness: a subscriber runs in `child_process.fork()` and is killed at
 * random moments (or kills itself at a named crash point), then restarted.
 *
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process';
import type { ChildConfig } from './crash-points.js';

/** A message from a subscriber child. */
export interface ChildMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** How a child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * One forked subscriber process.
 *
 * @example
 * ```ts
 * const child = SubscriberProcess.start(bundle, { url, schema, subscriber: 'p' });
 * await child.waitFor('ready');
 * child.kill('SIGKILL');
 * const exit = await child.exited; // { code: null, signal: 'SIGKILL' }
 * ```
 */
export class SubscriberProcess {
  /** Resolves when the process ends. */
  readonly exited: Promise<ChildExit>;
  /** The messages received (the last 1 000–2 000). */
  readonly messages: ChildMessage[] = [];
  readonly #child: ChildProcess;
  readonly #waiters: {
    predicate: (m: ChildMessage) => boolean;
    resolve: (m: ChildMessage) => void;
  }[] = [];
  #stderr = '';
  #exit: ChildExit | undefined;

  private constructor(script: string, config: ChildConfig, env: NodeJS.ProcessEnv) {
    this.#child = fork(script, [], {
      env: { ...process.env, ...env, REL_CHILD_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-20_000);
    });
    this.#child.on('message', (message: ChildMessage) => {
      this.messages.push(message);
      if (this.messages.length > 2_000) this.messages.splice(0, 1_000);
      for (const waiter of [...this.#waiters]) {
        if (waiter.predicate(message)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
    });
    this.exited = new Promise<ChildExit>((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
  }

  /** Forks `script` (a bundled `.mjs`) with `config`. */
  static start(
    script: string,
    config: ChildConfig,
    env: NodeJS.ProcessEnv = {},
  ): SubscriberProcess {
    return new SubscriberProcess(script, config, env);
  }

  /** The OS process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** How it ended, once it has. */
  get exit(): ChildExit | undefined {
    return this.#exit;
  }

  /** The tail of its stderr (for failure messages). */
  get stderr(): string {
    return this.#stderr;
  }

  /**
   * Resolves with the first message (from now on, or already received when `includePast`) of
   * `type` that satisfies `predicate`; rejects when the child exits first or after `timeoutMs`.
   */
  waitFor(
    type: string,
    options: {
      timeoutMs?: number;
      predicate?: (m: ChildMessage) => boolean;
      includePast?: boolean;
    } = {},
  ): Promise<ChildMessage> {
    const predicate = (m: ChildMessage) =>
      m.type === type && (options.predicate === undefined || options.predicate(m));
    if (options.includePast) {
      const past = this.messages.find(predicate);
      if (past !== undefined) return Promise.resolve(past);
    }
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise<ChildMessage>((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (m: ChildMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `child ${this.pid}: no '${type}' message within ${timeoutMs} ms\n${this.#stderr}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
      void this.exited.then((exit) => {
        if (!this.#waiters.includes(waiter)) return;
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        clearTimeout(timer);
        reject(
          new Error(
            `child ${this.pid} exited (code ${exit.code}, signal ${exit.signal}) before '${type}'\n${this.#stderr}`,
          ),
        );
      });
    });
  }

  /** Sends a message over IPC (ignored once the child is gone). */
  send(message: ChildMessage): void {
    if (this.#child.connected) this.#child.send(message);
  }

  /** Sends a signal (SIGKILL by default). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.#exit === undefined) this.#child.kill(signal);
  }

  /** Asks for a graceful stop and waits for the exit (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 30_000): Promise<ChildExit> {
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
