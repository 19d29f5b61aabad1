import { Command } from 'commander'
import { addBenchCommand } from './commands/bench.ts'
import { addDeliveriesCommand } from './commands/deliveries.ts'
import { addEventTypesCommand } from './commands/event-types.ts'
import { addEventsCommand } from './commands/events.ts'
import { addKeysCommand } from './commands/keys.ts'
import { addListenCommand } from './commands/listen.ts'
import { addPublishCommand } from './commands/publish.ts'
import { addRecoverCommand } from './commands/recover.ts'
import { addSubscriptionsCommand } from './commands/subscriptions.ts'
import { addTenantsCommand } from './commands/tenants.ts'
import { addTriggerCommand } from './commands/trigger.ts'
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
  // The client commands: each calls a running server over its REST API, loading no server code.
  addPublishCommand(program)
  addTriggerCommand(program)
  addSubscriptionsCommand(program)
  addEventsCommand(program)
  addEventTypesCommand(program)
  addDeliveriesCommand(program)
  addRecoverCommand(program)
  addKeysCommand(program)
  addTenantsCommand(program)
  // Tools that need no server: a local receiver, and a measurement of this machine.
  addListenCommand(program)
  addBenchCommand(program)
  return program
}
