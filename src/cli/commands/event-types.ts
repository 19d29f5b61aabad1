import type { Command } from 'commander'
import type { EventType } from '../../core/types.ts'
import { path } from '../api-client.ts'
import {
  type ApiFlags,
  apiCommand,
  clientFor,
  examplesHelp,
  type Page,
  printPage,
  show,
} from '../api-command.ts'
import { formatFields, formatTime } from '../output.ts'

/** Adds `hookrelay event-types`: list the catalogue, show one type with its JSON Schema. */
export function addEventTypesCommand(program: Command): void {
  const group = program
    .command('event-types')
    .description('The event-type catalogue: what may be published, with optional JSON Schemas.')
    .addHelpText(
      'after',
      examplesHelp(['hookrelay event-types list', 'hookrelay event-types show order.created']),
    )

  apiCommand(group, 'list', 'List every event type, by name.', [
    'hookrelay event-types list',
    'hookrelay event-types list --json',
  ]).action(async (flags: ApiFlags) => {
    const page = await clientFor(flags).get<Page<EventType>>('/webhooks/event-types')
    show(flags, page, () =>
      printPage(page, 'No event types.', ['NAME', 'SCHEMA', 'UPDATED', 'DESCRIPTION'], (t) => [
        t.name,
        t.schema === null ? 'no' : 'yes',
        formatTime(t.updatedAt),
        t.description,
      ]),
    )
  })

  apiCommand(group, 'show <name>', 'Show an event type: its description and JSON Schema.', [
    'hookrelay event-types show order.created',
    'hookrelay event-types show order.created --json | jq .schema',
  ]).action(async (name: string, flags: ApiFlags) => {
    const eventType = await clientFor(flags).get<EventType>(path`/webhooks/event-types/${name}`)
    show(flags, eventType, (t) => {
      process.stdout.write(
        formatFields([
          ['Name', t.name],
          ['Description', t.description],
          ['Created', formatTime(t.createdAt)],
          ['Updated', formatTime(t.updatedAt)],
        ]),
      )
      process.stdout.write(
        t.schema === null
          ? '\nNo schema: any data is accepted.\n'
          : `\nSchema:\n${JSON.stringify(t.schema, null, 2)}\n`,
      )
    })
  })
}
