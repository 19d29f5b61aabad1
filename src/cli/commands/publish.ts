import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { ApiClient } from '../api-client.ts'
import { type ApiFlags, apiCommand, clientFor, show } from '../api-command.ts'
import { CliError } from '../cli-error.ts'
import { plural } from '../output.ts'

interface PublishFlags extends ApiFlags {
  file?: string
  idempotencyKey?: string
}

/** What `POST /webhooks/events` answers. */
interface Published {
  id: string
  type: string
  deliveries: number
}

/** The body of `POST /webhooks/events`. */
export interface PublishBody {
  type: string
  data?: unknown
  idempotencyKey?: string
}

/** Adds `hookrelay publish <type> [data]`: publishes one event. */
export function addPublishCommand(program: Command): void {
  apiCommand(
    program,
    'publish <type> [data]',
    'Publish an event. The data is JSON: the argument, --file, or stdin (`-`, or piped in).',
    [
      `hookrelay publish order.created '{"id": 42, "total": 9.5}'`,
      'hookrelay publish order.created --file order.json --idempotency-key order-42',
      'echo \'{"id": 42}\' | hookrelay publish order.created',
    ],
  )
    .option('--file <path>', 'read the data from this JSON file (`-` is stdin)')
    .option('--idempotency-key <key>', 'publishing again with this key returns the first event')
    .action(async (type: string, data: string | undefined, flags: PublishFlags) => {
      const client = clientFor(flags)
      const payload = await readData(data, flags.file)
      await publishAndShow(client, flags, {
        type,
        ...(payload === undefined ? {} : { data: payload.value }),
        ...(flags.idempotencyKey === undefined ? {} : { idempotencyKey: flags.idempotencyKey }),
      })
    })
}

/**
 * Publishes through the REST API and prints the event id and how many deliveries it made, with
 * `note` (where the data came from) beside the type; with `--json`, the API's answer.
 */
export async function publishAndShow(
  client: ApiClient,
  flags: ApiFlags,
  body: PublishBody,
  note?: string,
): Promise<void> {
  const answer = await client.post<Published>('/webhooks/events', body)
  const about = note === undefined ? body.type : `${body.type}, ${note}`
  show(flags, answer, ({ id, deliveries }) =>
    process.stdout.write(
      `Published ${id} (${about}): ${plural(deliveries, 'delivery', 'deliveries')}\n`,
    ),
  )
}

/**
 * The event's data: from the argument, the file, or stdin; undefined for none (stdin is a terminal,
 * or piped in empty). Wrapped, so a JSON `null` is data too.
 */
async function readData(
  argument: string | undefined,
  file: string | undefined,
): Promise<{ value: unknown } | undefined> {
  if (argument !== undefined && file !== undefined) {
    throw new CliError('give the data as an argument or with --file, not both')
  }
  if (file !== undefined && file !== '-') {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      const code = (err as { code?: string }).code
      const why =
        code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code
      throw new CliError(`--file: cannot read ${file}: ${why ?? String(err)}`)
    }
    return { value: parseJson(text, `--file ${file}`) }
  }
  if (argument !== undefined && argument !== '-') {
    return { value: parseJson(argument, 'the data argument') }
  }
  // Only an explicit `-` waits on a terminal; otherwise stdin counts only when something pipes in.
  if (argument === undefined && file === undefined && process.stdin.isTTY === true) return undefined
  const text = await readStdin()
  if (text.trim() === '') return undefined
  return { value: parseJson(text, 'stdin') }
}

/** `text` parsed as JSON; a CliError naming `source` when it is not JSON. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw new CliError(`${source} is not JSON: ${why}`)
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
