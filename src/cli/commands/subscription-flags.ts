import { type Command, InvalidArgumentError, Option } from 'commander'
import { collect } from '../api-command.ts'
import { CliError } from '../cli-error.ts'

/** The subscription fields as `subscriptions create` and `update` take them. */
export interface SubscriptionFlags {
  name?: string
  event?: string[]
  endpoint?: string
  secret?: string
  scheme?: string
  header?: string[]
  description?: string
  rateLimit?: number
  payload?: string
}

/**
 * Adds the flags of a subscription's fields. `create` requires a name, events and an endpoint;
 * `update` requires nothing. The receiver's URL is `--endpoint` because `--url` is the server's on
 * every command.
 */
export function addSubscriptionFlags(command: Command, required: boolean): Command {
  const flag = (spec: string, description: string) => {
    const option = new Option(spec, description)
    return required ? option.makeOptionMandatory() : option
  }
  return command
    .addOption(flag('--name <name>', 'a name people recognise'))
    .addOption(
      flag('--event <event...>', 'event names or patterns (order.*, *); repeatable').argParser(
        collectEvents,
      ),
    )
    .addOption(flag('--endpoint <url>', "the receiver's URL the deliveries are POSTed to"))
    .option(
      '--secret <secret>',
      required
        ? 'the signing secret (default: one is generated)'
        : 'a new signing secret, replacing the current one at once',
    )
    .addOption(
      new Option('--scheme <scheme>', 'signature headers').choices([
        'standard',
        'github',
        'servicestack',
        'superoffice',
      ]),
    )
    .option('--header <name=value>', 'a header sent with every delivery; repeatable', header)
    .option('--description <text>', 'what the subscription is for')
    .option('--rate-limit <n>', 'deliveries per second at most', positiveNumber)
    .addOption(
      new Option('--payload <mode>', 'send the whole envelope or only its data').choices([
        'envelope',
        'data',
      ]),
    )
}

// Variadic and repeatable: every value of every --event, in order; commas split too.
function collectEvents(value: string, previous: string[] | undefined): string[] {
  return value
    .split(',')
    .map((event) => event.trim())
    .filter((event) => event !== '')
    .reduce((all, event) => collect(event, all), previous ?? [])
}

function header(value: string, previous: string[] | undefined): string[] {
  if (!/^[^=\s]+=/.test(value)) throw new InvalidArgumentError('must be name=value.')
  return collect(value, previous)
}

function positiveNumber(value: string): number {
  const number = Number(value)
  if (value.trim() === '' || !(number > 0) || !Number.isFinite(number)) {
    throw new InvalidArgumentError('must be a number above 0.')
  }
  return number
}

/**
 * The JSON body of `POST` (or `PUT`) `/webhooks/subscriptions` for the flags that were given;
 * `config` holds only the URL and secret given.
 */
export function subscriptionBody(flags: SubscriptionFlags): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  if (flags.name !== undefined) body.name = flags.name
  if (flags.event !== undefined) {
    if (flags.event.length === 0) throw new CliError('--event needs at least one event name')
    body.events = flags.event
  }
  const config: Record<string, string> = {}
  if (flags.endpoint !== undefined) config.url = flags.endpoint
  if (flags.secret !== undefined) config.secret = flags.secret
  if (Object.keys(config).length > 0) body.config = config
  if (flags.scheme !== undefined) body.signatureScheme = flags.scheme
  if (flags.header !== undefined) body.headers = headers(flags.header)
  if (flags.description !== undefined) body.description = flags.description
  if (flags.rateLimit !== undefined) body.rateLimit = flags.rateLimit
  if (flags.payload !== undefined) body.payload = flags.payload
  return body
}

function headers(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    out[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return out
}
