import { Command } from 'commander'
import { addServeCommand } from './serve.ts'
import { packageVersion } from './version.ts'

/**
 * The `hookrelay` command with every subcommand, each defined in its own file. Errors are not
 * printed or exited on here: they throw, and `main.ts` reports them in one line.
 */
export function createProgram(): Command {
  const program = new Command('hookrelay')
    .description('Webhooks: subscriptions, signed deliveries, retries and an attempt log.')
    .version(packageVersion(), '-v, --version')
    .exitOverride()
    .configureOutput({
      // Commander's own errors (unknown option, missing value) in one line like ours.
      outputError: (text, write) => write(text.trimEnd().replaceAll('\n', ' ') + '\n'),
    })
  // Subcommands made with `program.command()` inherit the two settings above.
  addServeCommand(program)
  return program
}
