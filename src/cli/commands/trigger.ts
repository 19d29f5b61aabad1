import type { Command } from 'commander'
import type { EventType } from '../../core/types.ts'
import { type ApiClient, ApiError, path } from '../api-client.ts'
import { type ApiFlags, apiCommand, clientFor } from '../api-command.ts'
import { CliError } from '../cli-error.ts'
import { exampleFromSchema } from '../schema-example.ts'
import { parseJson, publishAndShow } from './publish.ts'

interface TriggerFlags extends ApiFlags {
  data?: string
}

/**
 * Adds `hookrelay trigger <type>` (as `stripe trigger`): publishes an example event of a type,
 * with data made from the event type's JSON Schema in the catalogue.
 */
export function addTriggerCommand(program: Command): void {
  apiCommand(
    program,
    'trigger <type>',
    "Publish an example event of a type. Its data comes from the event type's JSON Schema in " +
      'the catalogue: the example the schema gives, else the smallest data it accepts; {} for a ' +
      'type without a schema.',
    ['hookrelay trigger order.created', `hookrelay trigger order.created --data '{"id": 42}'`],
  )
    .option('--data <json>', 'publish this JSON as the data instead of the example')
    .action(async (type: string, flags: TriggerFlags) => {
      const client = clientFor(flags)
      if (flags.data !== undefined) {
        const data = parseJson(flags.data, '--data')
        await publishAndShow(client, flags, { type, data }, 'data from --data')
        return
      }
      const { data, note } = await exampleData(client, type)
      await publishAndShow(client, flags, { type, data }, note)
    })
}

/** The example data of `type`, and where it came from, for the printed line. */
async function exampleData(
  client: ApiClient,
  type: string,
): Promise<{ data: unknown; note: string }> {
  let eventType: EventType
  try {
    eventType = await client.get<EventType>(path`/webhooks/event-types/${type}`)
  } catch (err) {
    if (err instanceof ApiError && err.code === 'not_found') {
      return { data: {}, note: 'not in the catalogue: data {}' }
    }
    // The catalogue is read with the user role; publishing needs only the service role.
    if (err instanceof ApiError && err.code === 'forbidden') {
      throw new CliError(
        `reading the schema of ${type} needs a key with the user role: use one, or pass --data`,
      )
    }
    throw err
  }
  const data = eventType.schema === null ? undefined : exampleFromSchema(eventType.schema)
  if (data === undefined) return { data: {}, note: 'no schema to make data from: data {}' }
  return { data, note: 'example data from its schema' }
}
