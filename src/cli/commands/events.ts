import { type Command, Option } from 'commander'
import type { Attempt, Delivery, DeliveryStatus, WebhookEvent } from '../../core/types.ts'
import { deliveryStatuses } from '../../core/delivery-status.ts'
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
import { formatFields, formatTable, formatTime, parseTime } from '../output.ts'

interface ListFlags extends ApiFlags, PagingFlags {
  type?: string
  since?: string
  until?: string
  status?: DeliveryStatus
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
      const { type, status, limit, cursor } = flags
      const since = flags.since === undefined ? undefined : parseTime(flags.since, '--since')
      const until = flags.until === undefined ? undefined : parseTime(flags.until, '--until')
      const page = await clientFor(flags).get<Page<ListedEvent>>('/webhooks/events', {
        type,
        since,
        until,
        status,
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

  apiCommand(group, 'show <id>', 'Show an event: its payload, its deliveries and every attempt.', [
    'hookrelay events show evt_01HV...',
    'hookrelay events show evt_01HV... --json | jq .attempts',
  ]).action(async (id: string, flags: ApiFlags) => {
    const event = await clientFor(flags).get<EventDetail>(path`/webhooks/events/${id}`)
    show(flags, event, (detail) => process.stdout.write(formatEvent(detail)))
  })
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
