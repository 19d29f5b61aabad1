#!/usr/bin/env node
// The `hookrelay` command. Failures print one line on stderr and exit non-zero, never a stack.
import { CommanderError } from 'commander'
import { HookrelayError } from '../core/errors.ts'
import { CliError } from './cli-error.ts'
import { createProgram } from './program.ts'

try {
  await createProgram().parseAsync(process.argv)
} catch (err) {
  // Commander has already printed its message (or the help, or the version).
  if (err instanceof CommanderError) process.exit(err.exitCode)
  const known = err instanceof CliError || err instanceof HookrelayError
  const message = err instanceof Error ? err.message : String(err)
  process.stderr.write(
    `error: ${known ? message : `unexpected: ${message}`}\n`.replace(/\n(?!$)/g, ' '),
  )
  process.exit(err instanceof CliError ? err.exitCode : 1)
}
