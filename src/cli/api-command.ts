import { type Command, InvalidArgumentError, Option } from 'commander'
import { ApiClient } from './api-client.ts'
import { CliError } from './cli-error.ts'
import { type Cell, printJson, printTable } from './output.ts'

/** The server `--url` points at when neither it nor `HOOKRELAY_URL` is given. */
export const defaultServerUrl = 'http://127.0.0.1:8080'

/** The flags of every command that calls the server. */
export interface ApiFlags {
  url: string
  key?: string
  asTenant?: string
  json?: boolean
}

/** A list answer of the REST API. */
export interface Page<T> {
  data: T[]
  nextCursor?: string | null
}

/**
 * Adds a subcommand of `parent` that calls the server: with `--url`, `--key`, `--as-tenant` and
 * `--json`, and `examples` at the end of its `--help`.
 */
export function apiCommand(
  parent: Command,
  usage: string,
  description: string,
  examples: string[],
): Command {
  const heading = 'Connection options:'
  const connection = (option: Option) => option.helpGroup(heading)
  const command = parent.command(usage)
  // Under their own heading, after the command's own flags. Help groups come in the order of their
  // first option, and these are added first: move them last (a stable sort, only for the help).
  command.on('beforeHelp', () => {
    const last = (option: Option) => Number(option.helpGroupHeading === heading)
    const options = command.options as Option[]
    options.sort((a, b) => last(a) - last(b))
  })
  return command
    .description(description)
    .addOption(
      connection(new Option('--url <url>', 'the Hookrelay server'))
        .env('HOOKRELAY_URL')
        .default(defaultServerUrl),
    )
    .addOption(connection(new Option('--key <key>', 'API key (required)')).env('HOOKRELAY_KEY'))
    .addOption(
      connection(new Option('--as-tenant <id>', 'with an admin key: act for this tenant')).env(
        'HOOKRELAY_TENANT',
      ),
    )
    .addOption(connection(new Option('--json', 'print the raw API answer as JSON, for scripts')))
    .addHelpText('after', examplesHelp(examples))
}

/** The text `addHelpText('after', …)` gets: an `Examples:` block, one command a line. */
export function examplesHelp(examples: string[]): string {
  return `\nExamples:\n${examples.map((line) => `  $ ${line}`).join('\n')}\n`
}

/** The client for a command's flags; a CliError when no key was given. */
export function clientFor(flags: ApiFlags): ApiClient {
  // An empty variable counts as unset, as for `serve`.
  const key = flags.key === '' ? undefined : flags.key
  if (key === undefined) {
    throw new CliError('no API key: pass --key <key> or set HOOKRELAY_KEY')
  }
  const tenant = flags.asTenant === '' ? undefined : flags.asTenant
  return new ApiClient({
    url: flags.url === '' ? defaultServerUrl : flags.url,
    key,
    ...(tenant === undefined ? {} : { tenant }),
  })
}

/** Prints `answer` as JSON with `--json`, otherwise as `human` writes it for people. */
export function show<T>(flags: { json?: boolean }, answer: T, human: (answer: T) => void): void {
  if (flags.json === true) printJson(answer)
  else human(answer)
}

/**
 * Prints one page of a list as a table (or `empty` when it has no rows), and on stderr how to
 * get the next page, where there is one.
 */
export function printPage<T>(
  page: Page<T>,
  empty: string,
  headers: string[],
  row: (item: T) => Cell[],
): void {
  if (page.data.length === 0) process.stdout.write(`${empty}\n`)
  else printTable(headers, page.data.map(row))
  if (typeof page.nextCursor === 'string') {
    process.stderr.write(`more: add --cursor ${page.nextCursor}\n`)
  }
}

/** Adds `--limit` and `--cursor`, the paging flags of a list command. */
export function addPaging(command: Command): Command {
  return command
    .option('--limit <n>', 'at most this many, 1 to 100 (the server default is 50)', pageLimit)
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
}

/** The paging flags as sent. */
export interface PagingFlags {
  limit?: number
  cursor?: string
}

function pageLimit(value: string): number {
  const limit = /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN
  if (!(limit >= 1 && limit <= 100)) throw new InvalidArgumentError('must be 1 to 100.')
  return limit
}

/**
 * Every item of a list, following `nextCursor` page after page.
 *
 * @example
 * const all = await listAll((cursor) => client.get('/webhooks/subscriptions', { cursor }))
 */
export async function listAll<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
): Promise<T[]> {
  const items: T[] = []
  let cursor: string | undefined
  do {
    const page = await fetchPage(cursor)
    items.push(...page.data)
    cursor = page.nextCursor ?? undefined
  } while (cursor !== undefined)
  return items
}

/** A commander argument parser for repeatable flags: every value, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}
