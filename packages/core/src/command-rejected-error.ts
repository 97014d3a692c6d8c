/**
 * The error a command throws when a business rule rejects it.
 *
 * @module
 */
import { EventSourceError } from './errors.js';

/** Options of {@link CommandRejectedError}. */
export interface CommandRejectedErrorOptions extends ErrorOptions {
  /** The aggregate the command was addressed to. */
  readonly aggregateId?: string | undefined;
  /** The command's name, for example `'CompleteTask'`. */
  readonly commandName?: string | undefined;
}

/**
 * A command was rejected by a business rule before any event was applied.
 *
 * Throw it from an aggregate's command method (or a decider's `decide`) instead of a plain `Error`
 * when callers should be able to tell a rule violation from a bug. It is never retryable.
 *
 * @example
 * ```ts
 * if (this.state?.status === 'completed') {
 *   throw new CommandRejectedError('Task already completed', { aggregateId: this.aggregateId });
 * }
 * ```
 */
export class CommandRejectedError extends EventSourceError {
  override readonly name = 'CommandRejectedError';
  readonly code = 'ES_COMMAND_REJECTED';
  /** Why the command was rejected (also the message). */
  readonly reason: string;
  /** The aggregate the command was addressed to, when known. */
  readonly aggregateId: string | undefined;
  /** The command's name, when given. */
  readonly commandName: string | undefined;

  constructor(reason: string, options: CommandRejectedErrorOptions = {}) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.aggregateId = options.aggregateId;
    this.commandName = options.commandName;
  }
}
