import { emptyDeliveryCounts } from './core/delivery-counts.ts'
import { NotFoundError, ValidationError } from './core/errors.ts'
import type {
  Attempt,
  Delivery,
  DeliveryCounts,
  DeliveryStatus,
  Page,
  WebhookEvent,
} from './core/types.ts'
import { eventName, oneOf, tenantOf, timeOf } from './core/validate.ts'
import { attemptDelivery } from './delivery/attempt.ts'
import type { EngineContext } from './engine-context.ts'
import { pageLimit } from './subscriptions-api.ts'
import { deliveryStatuses, retryableStatuses } from './core/delivery-status.ts'
import type { RetryQuery } from './store/store.ts'

/** An event with what became of it: its deliveries and every attempt. */
export interface EventDetail extends WebhookEvent {
  deliveries: Delivery[]
  attempts: Attempt[]
}

/** An event in a list, with how many of its deliveries are in each status. */
export interface ListedEvent extends WebhookEvent {
  deliveryCounts: DeliveryCounts
}

/** Filters of `events.list`. Times are dates, ISO 8601 strings or epoch ms. */
export interface EventListQuery {
  tenant?: string
  type?: string
  /** Events at or after this time. */
  since?: Date | string | number
  /** Events before this time. */
  until?: Date | string | number
  /**
   * Events with at least one delivery in this status; `failed` ("has failed") also matches
   * `retrying`, a delivery that failed and waits for its next attempt.
   */
  status?: DeliveryStatus
  limit?: number
  cursor?: string
}

/** Filters of `events.retry`: those of `events.list`, without paging. */
export type EventRetryQuery = Omit<EventListQuery, 'limit' | 'cursor'>

/** What `events.retry` did. */
export interface EventRetryResult {
  /** Deliveries queued again: they are sent now. */
  queued: number
  /** Deliveries of the selected events left as they are: their subscription is not active. */
  skipped: number
  /** True when `maxRetriedDeliveries` were queued: some may be left, call again for them. */
  more: boolean
}

/**
 * The most deliveries one `events.retry` queues: one transaction, measured at about 0.2 s on
 * SQLite and 1 s on PostgreSQL on a development machine.
 */
export const maxRetriedDeliveries = 50_000

/** The filters of the event log, checked: what `list` and `retry` share. */
function eventFilterOf(query: EventRetryQuery): Omit<RetryQuery, 'limit'> {
  return {
    tenant: tenantOf(query.tenant),
    type: query.type === undefined ? undefined : eventName(query.type, 'type'),
    since: timeOf(query.since, 'since'),
    until: timeOf(query.until, 'until'),
    status:
      query.status === undefined ? undefined : oneOf(query.status, 'status', deliveryStatuses),
  }
}

/** `hooks.events`: the tenant's events, newest first, one event in full, and a bulk retry. */
export class EventsApi {
  readonly #ctx: EngineContext

  constructor(context: EngineContext) {
    this.#ctx = context
  }

  /**
   * The tenant's events, newest first, filtered by `type`, time and delivery status, each with its
   * delivery counts.
   */
  async list(query: EventListQuery = {}): Promise<Page<ListedEvent>> {
    const page = await this.#ctx.store.listEvents({
      ...eventFilterOf(query),
      limit: pageLimit(query.limit),
      cursor: query.cursor,
    })
    const counts = await this.#ctx.store.countDeliveries(page.data.map((e) => e.id))
    const data = page.data.map((event) => ({
      ...event,
      deliveryCounts: counts[event.id] ?? emptyDeliveryCounts(),
    }))
    return { data, nextCursor: page.nextCursor }
  }

  /**
   * Sends again, now, the deliveries that failed (`failed`, and `retrying`: waiting for their next
   * attempt) of the events the filters select, as `list` selects them; `status` narrows to
   * `failed` (both) or `retrying`. Their retry schedule starts again. Deliveries of paused,
   * disabled or deleted subscriptions are left, and counted as `skipped`. At most
   * `maxRetriedDeliveries` per call (`more` says when that many were queued). Throws
   * `ValidationError` for another status or an `until` not after `since`.
   *
   * @example
   * // The receiver failed every order.created of the last two hours; it is fixed now:
   * await hooks.events.retry({ type: 'order.created', since: Date.now() - 2 * 3_600_000 })
   */
  async retry(query: EventRetryQuery = {}): Promise<EventRetryResult> {
    const filter = eventFilterOf(query)
    if (filter.status !== undefined && !retryableStatuses.includes(filter.status)) {
      throw new ValidationError('status', 'only failed or retrying deliveries can be retried')
    }
    const { since, until } = filter
    if (since !== undefined && until !== undefined && until <= since) {
      throw new ValidationError('until', 'must be after since')
    }
    const limit = maxRetriedDeliveries
    const now = this.#ctx.options.now()
    const retried = await this.#ctx.store.retryDeliveries({ ...filter, limit }, now)
    if (retried.queued > 0) this.#ctx.notify()
    return { ...retried, more: retried.queued >= limit }
  }

  /** One event with its deliveries and attempts. Throws `NotFoundError`. */
  async get(id: string): Promise<EventDetail> {
    const event = await this.#ctx.store.getEvent(id)
    if (event === null) throw new NotFoundError('event', id)
    const [deliveries, attempts] = await Promise.all([
      this.#ctx.store.listDeliveries({ eventId: id, limit: 1_000 }),
      this.#ctx.store.listAttempts({ eventId: id }),
    ])
    return { ...event, deliveries: deliveries.data, attempts }
  }
}

/** `hooks.deliveries`: one delivery, its attempts, and a manual re-send. */
export class DeliveriesApi {
  readonly #ctx: EngineContext

  constructor(context: EngineContext) {
    this.#ctx = context
  }

  /** One delivery. Throws `NotFoundError`. */
  async get(id: string): Promise<Delivery> {
    const delivery = await this.#ctx.store.getDelivery(id)
    if (delivery === null) throw new NotFoundError('delivery', id)
    return delivery
  }

  /** Every attempt of a delivery, oldest first. Throws `NotFoundError`. */
  async attempts(id: string): Promise<Attempt[]> {
    await this.get(id)
    return this.#ctx.store.listAttempts({ deliveryId: id })
  }

  /**
   * Sends a delivery again now, whatever its status (GitHub's *redeliver*), and records it as a
   * `manual` attempt, which it returns. Throws `NotFoundError`.
   */
  async retry(id: string): Promise<Attempt> {
    const { store, options } = this.#ctx
    const claimed = await store.claimDelivery(id, {
      now: options.now(),
      leaseMs: options.leaseMs,
      leaseToken: `manual.${id}.${options.now()}`,
    })
    if (claimed === null) throw new NotFoundError('delivery', id)
    const result = await attemptDelivery(claimed, 'manual', this.#ctx.attempt)
    const health = await store.recordAttempts([result.record])
    await this.#ctx.afterRecord([result], health)
    return result.record.attempt
  }
}
