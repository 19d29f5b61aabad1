import { type Command, Option } from 'commander'
import type { Attempt, Delivery, DeliveryStatus } from '../../core/types.ts'
import { path } from '../api-client.ts'
import {
  addPaging,
  type ApiFlags,
  apiCommand,
  clientFor,
  examplesHelp,
  type Page,
  type PagingFlags,
  printPage,
  show,
} from '../api-command.ts'
import { CliError } from '../cli-error.ts'
import { type Cell, formatTime } from '../output.ts'
import { deliveryStatuses } from '../../core/delivery-status.ts'

interface ListFlags extends ApiFlags, PagingFlags {
  subscription?: string
  status?: DeliveryStatus
}

/** The columns of a delivery in a table: `deliveries list`, `subs show`. */
export const deliveryHeaders = [
  'ID',
  'EVENT',
  'TYPE',
  'STATUS',
  'ATTEMPTS',
  'LAST RESULT',
  'NEXT ATTEMPT',
]

/** A delivery as a row under `deliveryHeaders`. */
export function deliveryRow(d: Delivery): Cell[] {
  return [
    d.id,
    d.eventId,
    d.eventType,
    d.status,
    d.attempts,
    d.lastStatusCode === null ? d.lastError : `HTTP ${d.lastStatusCode}`,
    formatTime(d.nextAttemptAt),
  ]
}

/** Adds `hookrelay deliveries`: list a subscription's deliveries, retry one. */
export function addDeliveriesCommand(program: Command): void {
  const group = program
    .command('deliveries')
    .description("A subscription's deliveries; send one again.")
    .addHelpText(
      'after',
      examplesHelp([
        'hookrelay deliveries list sub_01HV... --status failed',
        'hookrelay deliveries retry dlv_01HV...',
      ]),
    )

  addPaging(
    apiCommand(group, 'list [subscription]', "List a subscription's deliveries, newest first.", [
      'hookrelay deliveries list sub_01HV...',
      'hookrelay deliveries list sub_01HV... --status failed --json',
    ]),
  )
    .option('--subscription <id>', 'the subscription, the same as the argument')
    .addOption(
      new Option('--status <status>', 'only deliveries in this status').choices(deliveryStatuses),
    )
    .action(async (argument: string | undefined, flags: ListFlags) => {
      const subscription = subscriptionOf(argument, flags.subscription)
      const { status, limit, cursor } = flags
      const page = await clientFor(flags).get<Page<Delivery>>(
        path`/webhooks/subscriptions/${subscription}/deliveries`,
        { status, limit, cursor },
      )
      show(flags, page, () => printPage(page, 'No deliveries.', deliveryHeaders, deliveryRow))
    })

  apiCommand(
    group,
    'retry <id>',
    'Send one delivery again now, as a manual attempt; exits 1 when it was not a 2xx.',
    ['hookrelay deliveries retry dlv_01HV...'],
  ).action(async (id: string, flags: ApiFlags) => {
    const attempt = await clientFor(flags).post<Attempt>(path`/webhooks/deliveries/${id}/retry`)
    const ok = attempt.statusCode !== null && attempt.statusCode >= 200 && attempt.statusCode < 300
    show(flags, attempt, (a) => {
      const result =
        a.statusCode === null
          ? `no answer (${a.error ?? 'no error recorded'})`
          : `HTTP ${a.statusCode}`
      process.stdout.write(
        `Retried ${id}: ${ok ? 'succeeded' : 'failed'}, ${result} in ${a.durationMs} ms\n`,
      )
    })
    if (!ok) process.exitCode = 1
  })
}

// Both ways name the subscription: scripts written for the flag keep working, and two different
// ids cannot be meant at once.
function subscriptionOf(argument: string | undefined, flag: string | undefined): string {
  if (argument !== undefined && flag !== undefined) {
    throw new CliError('give the subscription as the argument or with --subscription, not both')
  }
  const id = argument ?? flag
  if (id === undefined) {
    throw new CliError('which subscription? give its id: hookrelay deliveries list sub_...')
  }
  return id
}
