import { type Command, Option } from 'commander'
import type { Attempt, Delivery, DeliveryStatus, WebhookEvent } from '../../core/types.ts'
import { deliveryStatuses, retryableStatuses } from '../../core/delivery-status.ts'
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
import { formatFields, formatTable, formatTime, parseTime, plural } from '../output.ts'

/** The event log's filters, as flags. */
interface FilterFlags extends ApiFlags {
  type?: string
  since?: string
  until?: string
  status?: DeliveryStatus
}

interface ListFlags extends FilterFlags, PagingFlags {}

/** What `POST /webhooks/events/retry` answers. */
interface RetryResult {
  queued: number
  skipped: number
  more: boolean
}

/** A listed event; servers before issue 5 send no `deliveryCounts`. */
type ListedEvent = WebhookEvent & { deliveryCounts?: Record<DeliveryStatus, number> }

/** What `GET /webhooks/events/{id}` answers. */
type EventDetail = WebhookEvent & { deliveries: Delivery[]; attempts: Attempt[] }

/** Adds `hookrelay events`: list and show. */
export function addEventsCommand(program: Command): void {
  const group = program
    .command('events')
    .description("The tenant's events, their deliveries and every attempt.")
    .addHelpText(
      'after',
      examplesHelp([
        'hookrelay events list --since 2h --status failed',
        'hookrelay events show evt_01HV...',
        'hookrelay events retry --type order.created --since 2h',
      ]),
    )

  addPaging(
    apiCommand(group, 'list', "List the tenant's events, newest first.", [
      'hookrelay events list --type order.created --since 2h',
      'hookrelay events list --since 2024-05-01 --until 2024-05-02 --status failed --json',
    ]),
  )
    .option('--type <type>', 'only events of this type')
    .option('--since <time>', 'only events at or after: an ISO time, or a time ago (30m, 2h, 7d)')
    .option('--until <time>', 'only events before: an ISO time, or a time ago')
    .addOption(
      new Option(
        '--status <status>',
        'only events with a delivery in this status (failed also matches retrying)',
      ).choices(deliveryStatuses),
    )
    .action(async (flags: ListFlags) => {
      const { limit, cursor } = flags
      const page = await clientFor(flags).get<Page<ListedEvent>>('/webhooks/events', {
        ...filtersOf(flags),
        limit,
        cursor,
      })
      show(flags, page, () => {
        const counts = page.data.some((event) => event.deliveryCounts !== undefined)
        const headers = ['ID', 'TYPE', 'TIME', ...(counts ? ['DELIVERIES'] : [])]
        printPage(page, 'No events.', headers, (event) => [
          event.id,
          event.type,
          formatTime(event.timestamp),
          ...(counts ? [formatCounts(event.deliveryCounts)] : []),
        ])
      })
    })

  apiCommand(
    group,
    'retry',
    'Send again, now, the failed and retrying deliveries of the events these filters select (of ' +
      'active subscriptions; those of paused or disabled ones are counted as skipped).',
    [
      'hookrelay events retry --type order.created --since 2h',
      'hookrelay events retry --since 2024-05-01T08:00Z --until 2024-05-01T10:00Z --status retrying',
    ],
  )
    .option('--type <type>', 'events of this type')
    .option('--since <time>', 'events at or after: an ISO time, or a time ago (30m, 2h, 7d)')
    .option('--until <time>', 'events before: an ISO time, or a time ago')
    .addOption(
      new Option(
        '--status <status>',
        'only deliveries in this status (failed also matches retrying)',
      ).choices(retryableStatuses),
    )
    .action(async (flags: FilterFlags) => {
      const filters = filtersOf(flags)
      if (Object.values(filters).every((value) => value === undefined)) {
        // Without a filter this would be every failure of the tenant: say it, rather than guess.
        throw new CliError(
          'give at least one of --type, --since, --until or --status; ' +
            'to send every failure since a time again, use hookrelay recover --since',
        )
      }
      const result = await clientFor(flags).post<RetryResult>('/webhooks/events/retry', filters)
      show(flags, result, printRetried)
    })

  apiCommand(group, 'show <id>', 'Show an event: its payload, its deliveries and every attempt.', [
    'hookrelay events show evt_01HV...',
    'hookrelay events show evt_01HV... --json | jq .attempts',
  ]).action(async (id: string, flags: ApiFlags) => {
    const event = await clientFor(flags).get<EventDetail>(path`/webhooks/events/${id}`)
    show(flags, event, (detail) => process.stdout.write(formatEvent(detail)))
  })
}

/** The filters of `list` and `retry` as the API takes them: times as ISO strings. */
function filtersOf(flags: FilterFlags) {
  const { type, status } = flags
  const since = flags.since === undefined ? undefined : parseTime(flags.since, '--since')
  const until = flags.until === undefined ? undefined : parseTime(flags.until, '--until')
  return { type, since, until, status }
}

function printRetried(result: RetryResult): void {
  const skipped =
    result.skipped === 0
      ? ''
      : `; left ${plural(result.skipped, 'delivery', 'deliveries')} of subscriptions that are ` +
        'not active'
  const more = result.more ? '; that is the most one retry queues, run it again for the rest' : ''
  process.stdout.write(
    `Queued ${plural(result.queued, 'delivery', 'deliveries')} again${skipped}${more}\n`,
  )
}

/** `2 succeeded, 1 failed`: the statuses that have deliveries; `none` when none has. */
export function formatCounts(counts: Partial<Record<DeliveryStatus, number>> | undefined): string {
  if (counts === undefined) return '-'
  const parts = deliveryStatuses
    .filter((status) => (counts[status] ?? 0) > 0)
    .map((status) => `${counts[status]} ${status}`)
  return parts.length === 0 ? 'none' : parts.join(', ')
}

function formatEvent(event: EventDetail): string {
  const out = [
    formatFields([
      ['Event', event.id],
      ['Type', event.type],
      ['Time', formatTime(event.timestamp)],
      ['Tenant', event.tenant],
      ['Idempotency key', event.idempotencyKey],
    ]),
    `\nPayload:\n${JSON.stringify(event.data ?? null, null, 2)}\n`,
  ]
  if (event.deliveries.length === 0) {
    out.push('\nNo deliveries: no subscription matched.\n')
    return out.join('')
  }
  out.push(`\nDeliveries:\n`)
  out.push(
    formatTable(
      ['ID', 'SUBSCRIPTION', 'STATUS', 'ATTEMPTS', 'NEXT ATTEMPT'],
      event.deliveries.map((d) => [
        d.id,
        d.subscriptionId,
        d.status,
        d.attempts,
        formatTime(d.nextAttemptAt),
      ]),
    ),
  )
  for (const delivery of event.deliveries) {
    const attempts = event.attempts.filter((a) => a.deliveryId === delivery.id)
    out.push(`\nAttempts of ${delivery.id}:\n`)
    if (attempts.length === 0) {
      out.push('  none yet\n')
      continue
    }
    const table = formatTable(
      ['STARTED', 'TRIGGER', 'STATUS', 'DURATION', 'ERROR'],
      attempts.map((a) => [
        formatTime(a.startedAt),
        a.trigger,
        a.statusCode,
        `${a.durationMs} ms`,
        a.error,
      ]),
    )
    out.push(table.replace(/^(?=.)/gm, '  '))
  }
  return out.join('')
}
