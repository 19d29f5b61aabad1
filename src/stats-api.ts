import {
  type SubscriptionStats,
  type SubscriptionSummary,
  subscriptionStats,
  summarizeBySubscription,
} from './core/attempt-stats.ts'
import { NotFoundError } from './core/errors.ts'
import { numberIn, tenantOf } from './core/validate.ts'
import type { EngineContext } from './engine-context.ts'

/** The most attempts one statistics answer reads; past it the oldest are left out. */
export const maxStatsAttempts = 100_000

/** The window of a statistics query: the last `hours` hours, 1–168. Default is 24. */
export interface StatsWindow {
  hours?: number
}

/**
 * `hooks.stats`: what a subscription's attempts looked like lately — success rates, attempts per
 * minute by outcome, latency percentiles. Read from the attempt log, nothing extra is kept.
 *
 * @example
 * const stats = await hooks.stats.subscription(sub.id, { hours: 24 })
 * stats.totals.successRate // 0.98
 */
export class StatsApi {
  readonly #ctx: EngineContext

  constructor(context: EngineContext) {
    this.#ctx = context
  }

  /** One subscription's attempts over the window. Throws `NotFoundError`. */
  async subscription(id: string, window: StatsWindow = {}): Promise<SubscriptionStats> {
    const stored = typeof id === 'string' ? await this.#ctx.store.getSubscription(id) : null
    if (stored === null) throw new NotFoundError('subscription', String(id))
    const { since, until } = this.#window(window)
    const timings = await this.#ctx.store.listAttemptTimings({
      tenant: stored.tenant,
      subscriptionId: id,
      since,
      limit: maxStatsAttempts,
    })
    const truncated = timings.length === maxStatsAttempts
    return subscriptionStats(id, timings, { since, until, truncated })
  }

  /** A line per subscription of the tenant that had attempts in the window, by id. */
  async subscriptions(
    query: StatsWindow & { tenant?: string } = {},
  ): Promise<SubscriptionSummary[]> {
    const { since } = this.#window(query)
    const timings = await this.#ctx.store.listAttemptTimings({
      tenant: tenantOf(query.tenant),
      since,
      limit: maxStatsAttempts,
    })
    return summarizeBySubscription(timings)
  }

  #window(window: StatsWindow): { since: number; until: number } {
    const hours = window.hours === undefined ? 24 : numberIn(window.hours, 'hours', 1, 168)
    const until = this.#ctx.options.now()
    return { since: until - hours * 3_600_000, until }
  }
}
