import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { isSuccess } from '../core/attempt-outcome.ts'
import type { BacklogStats } from '../core/types.ts'
import type { Hookrelay } from '../hookrelay.ts'

/** Prometheus metrics of one engine, for `GET /metrics`. */
export interface Metrics {
  /** The `content-type` of `render()`'s text. */
  contentType: string
  /** The metrics in Prometheus's text format; the backlog gauges are read from the store now. */
  render(): Promise<string>
  /** Stops counting the engine's publishes and attempts. */
  stop(): void
}

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** The clock deciding which deliveries are due, in epoch ms. Default is `Date.now`. */
  now?: () => number
}

/**
 * Counters of publishes, attempts and finished deliveries, an attempt-duration histogram, backlog
 * gauges and process metrics, in a registry of their own (two servers in one process never clash).
 * No tenant label: tenants are unbounded.
 *
 * @example
 * const metrics = createMetrics(hooks)
 * const text = await metrics.render()
 */
export function createMetrics(hooks: Hookrelay, options: MetricsOptions = {}): Metrics {
  const now = options.now ?? Date.now
  const register = new Registry()
  collectDefaultMetrics({ register })
  const registers = [register]

  const published = new Counter({
    name: 'hookrelay_events_published_total',
    help: 'Events published, system events included.',
    registers,
  })
  const attempts = new Counter({
    name: 'hookrelay_attempts_total',
    help: 'Delivery attempts made, by result (success is a 2xx answer).',
    labelNames: ['result'] as const,
    registers,
  })
  const finished = new Counter({
    name: 'hookrelay_deliveries_finished_total',
    help: 'Attempts that left their delivery succeeded or failed for good, by status.',
    labelNames: ['status'] as const,
    registers,
  })
  const duration = new Histogram({
    name: 'hookrelay_attempt_duration_seconds',
    help: 'How long delivery attempts took, in seconds.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    registers,
  })
  // Every series exists from the first scrape, so rate() sees the first increment.
  for (const result of ['success', 'failure']) attempts.inc({ result }, 0)
  for (const status of ['succeeded', 'failed']) finished.inc({ status }, 0)

  // The registry collects every metric at once, so the three gauges share one store query.
  let reading: Promise<BacklogStats | null> | null = null
  const queryBacklog = async () => {
    try {
      return await hooks.store.backlogStats(now())
    } catch {
      return null // a failing store keeps the last values; /readyz reports it
    }
  }
  const readBacklog = () => (reading ??= queryBacklog().finally(() => (reading = null)))
  const backlogGauge = (name: string, help: string, pick: (stats: BacklogStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const stats = await readBacklog()
        if (stats !== null) this.set(pick(stats))
      },
    })
  backlogGauge(
    'hookrelay_backlog_pending',
    'Pending deliveries, due now or later.',
    (s) => s.pending,
  )
  backlogGauge('hookrelay_backlog_due', 'Pending deliveries due now.', (s) => s.due)
  backlogGauge(
    'hookrelay_subscriptions_disabled',
    'Subscriptions disabled after failing.',
    (s) => s.disabledSubscriptions,
  )

  const unobserve = hooks.observe({
    published: () => published.inc(),
    attempted(attempt, status) {
      attempts.inc({ result: isSuccess(attempt.statusCode) ? 'success' : 'failure' })
      duration.observe(attempt.durationMs / 1000)
      if (status === 'succeeded' || status === 'failed') finished.inc({ status })
    },
  })

  return {
    contentType: register.contentType,
    render: () => register.metrics(),
    stop: unobserve,
  }
}
