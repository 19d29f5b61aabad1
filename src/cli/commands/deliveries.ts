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
import { formatTime } from '../output.ts'
import { deliveryStatuses } from '../../core/delivery-status.ts'

interface ListFlags extends ApiFlags, PagingFlags {
  subscription: string
  status?: DeliveryStatus
}

/** Adds `hookrelay deliveries`: list a subscription's deliveries, retry one. */
export function addDeliveriesCommand(program: Command): void {
  const group = program
    .command('deliveries')
    .description("A subscription's deliveries; send one again.")
    .addHelpText(
      'after',
      examplesHelp([
        'hookrelay deliveries list --subscription sub_01HV... --status failed',
        'hookrelay deliveries retry dlv_01HV...',
      ]),
    )

  addPaging(
    apiCommand(group, 'list', "List a subscription's deliveries, newest first.", [
      'hookrelay deliveries list --subscription sub_01HV...',
      'hookrelay deliveries list --subscription sub_01HV... --status failed --json',
    ]),
  )
    .requiredOption('--subscription <id>', 'the subscription')
    .addOption(
      new Option('--status <status>', 'only deliveries in this status').choices(deliveryStatuses),
    )
    .action(async (flags: ListFlags) => {
      const { status, limit, cursor } = flags
      const page = await clientFor(flags).get<Page<Delivery>>(
        path`/webhooks/subscriptions/${flags.subscription}/deliveries`,
        { status, limit, cursor },
      )
      show(flags, page, () =>
        printPage(
          page,
          'No deliveries.',
          ['ID', 'EVENT', 'TYPE', 'STATUS', 'ATTEMPTS', 'LAST RESULT', 'NEXT ATTEMPT'],
          (d) => [
            d.id,
            d.eventId,
            d.eventType,
            d.status,
            d.attempts,
            d.lastStatusCode === null ? d.lastError : `HTTP ${d.lastStatusCode}`,
            formatTime(d.nextAttemptAt),
          ],
        ),
      )
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
