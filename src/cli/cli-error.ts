/**
 * A failure the command reports as one line on stderr, without a stack trace: bad input, or a
 * start that could not happen (port in use, database not writable).
 */
export class CliError extends Error {
  override name = 'CliError'
  /** The process exit code. Default is 1. */
  readonly exitCode: number

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause })
    this.exitCode = options.exitCode ?? 1
  }
}
