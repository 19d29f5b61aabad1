import type { Command } from 'commander'
import type { SubscriptionStats } from '../../core/attempt-stats.ts'
import type { Delivery, Subscription } from '../../core/types.ts'
import { path } from '../api-client.ts'
import { type ApiFlags, apiCommand, clientFor, show } from '../api-command.ts'
import { wholeNumberFlag } from '../flag-values.ts'
import { formatHealth } from '../health.ts'
import { formatFields, formatTable, formatTime, plural } from '../output.ts'
import { deliveryHeaders, deliveryRow } from './deliveries.ts'

/** What `GET /webhooks/subscriptions/{id}` answers: never the secret. */
type SubscriptionDetail = Subscription & { recentDeliveries: Delivery[] }

/** How many of the recent deliveries `subs show` prints; `--json` has all the server sent. */
const shownDeliveries = 10

/** Adds `subs show <id>` and `subs stats <id>` to the `subscriptions` group. */
export function addSubscriptionShowCommands(group: Command): void {
  apiCommand(
    group,
    'show <id>',
    'Show every field of a subscription and its latest deliveries (not its secret).',
    ['hookrelay subs show sub_01HV...', 'hookrelay subs show sub_01HV... --json | jq .headers'],
  ).action(async (id: string, flags: ApiFlags) => {
    const detail = await clientFor(flags).get<SubscriptionDetail>(
      path`/webhooks/subscriptions/${id}`,
    )
    show(flags, detail, (sub) => process.stdout.write(formatSubscription(sub)))
  })

  apiCommand(
    group,
    'stats <id>',
    'Success rate, attempts and latency percentiles of a subscription over the last hours.',
    ['hookrelay subs stats sub_01HV...', 'hookrelay subs stats sub_01HV... --hours 168'],
  )
    .option('--hours <n>', 'the window: the last n hours, 1 to 168', '24')
    .action(async (id: string, flags: ApiFlags & { hours: string }) => {
      const hours = wholeNumberFlag(flags.hours, '--hours', 24, 1, 168)
      const stats = await clientFor(flags).get<SubscriptionStats>(
        path`/webhooks/subscriptions/${id}/stats`,
        { hours },
      )
      show(flags, stats, (s) => process.stdout.write(formatStats(s, hours)))
    })
}

function formatSubscription(sub: SubscriptionDetail): string {
  const headers = Object.entries(sub.headers).map(([name, value]) => `${name}: ${value}`)
  const out = [
    formatFields([
      ['ID', sub.id],
      ['Name', sub.name],
      ['State', sub.state],
      ['Disabled because', sub.disabledReason],
      ['Health', formatHealth(sub)],
      ['Events', sub.events.join(', ')],
      ['URL', sub.config.url],
      ['Content type', sub.config.contentType],
      ['Signature', sub.signatureScheme],
      ['Payload', sub.payload],
      ['Headers', headers.length === 0 ? 'none' : headers.join(', ')],
      ['Description', sub.description],
      ['Rate limit', sub.rateLimit === null ? 'none' : `${sub.rateLimit} a second`],
      [
        'Retries after',
        sub.retrySchedule === null ? "the server's schedule" : retryDelays(sub.retrySchedule),
      ],
      ['Created by', sub.createdBy],
      ['Created', formatTime(sub.createdAt)],
      ['Updated', formatTime(sub.updatedAt)],
    ]),
  ]
  const recent = sub.recentDeliveries
  if (recent.length === 0) {
    out.push('\nNo deliveries yet.\n')
    return out.join('')
  }
  const shown = recent.slice(0, shownDeliveries)
  out.push(`\nLatest deliveries, newest first:\n`)
  out.push(formatTable(deliveryHeaders, shown.map(deliveryRow)))
  if (recent.length > shown.length) {
    out.push(`More: hookrelay deliveries list ${sub.id}\n`)
  }
  return out.join('')
}

// An empty schedule never retries; otherwise each delay in the largest unit that holds it exactly.
function retryDelays(schedule: number[]): string {
  if (schedule.length === 0) return 'never retried'
  const units: [number, string][] = [
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1_000, 's'],
  ]
  return schedule
    .map((ms) => {
      const [size, unit] = units.find(([size]) => ms % size === 0) ?? [1, 'ms']
      return `${ms / size} ${unit}`
    })
    .join(', ')
}

function formatStats(stats: SubscriptionStats, hours: number): string {
  const { attempts, succeeded, failed, successRate } = stats.totals
  if (attempts === 0) return `No attempts in the last ${plural(hours, 'hour', 'hours')}.\n`
  const latency = stats.latency
  const out = [
    formatFields([
      ['Subscription', stats.subscriptionId],
      ['Window', `${formatTime(stats.since)} to ${formatTime(stats.until)}`],
      ['Attempts', `${attempts}: ${succeeded} succeeded, ${failed} failed`],
      ['Success rate', percent(successRate)],
      ['Last attempt', formatTime(stats.lastAttemptAt)],
      [
        'Latency',
        latency === null
          ? null
          : `p50 ${latency.p50} ms, p95 ${latency.p95} ms, p99 ${latency.p99} ms`,
      ],
    ]),
  ]
  if (stats.truncated) {
    out.push('(More attempts than one answer reads: the oldest are left out.)\n')
  }
  out.push('\nPer hour:\n')
  out.push(
    formatTable(
      ['HOUR', 'ATTEMPTS', 'P50', 'P95', 'P99'],
      stats.latencyPerHour.map((h) => [
        formatTime(h.hour),
        h.attempts,
        `${h.p50} ms`,
        `${h.p95} ms`,
        `${h.p99} ms`,
      ]),
    ),
  )
  return out.join('')
}

// 97.5%, and 100% rather than 100.0%.
function percent(rate: number | null): string {
  if (rate === null) return '-'
  const value = rate * 100
  return Number.isInteger(value) ? `${value}%` : `${value.toFixed(1)}%`
}
