import { emptyDeliveryCounts } from './core/delivery-counts.ts'
import { NotFoundError } from './core/errors.ts'
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
import { deliveryStatuses } from './core/delivery-status.ts'

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

/** `hooks.events`: the tenant's events, newest first, and one event in full. */
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
      tenant: tenantOf(query.tenant),
      type: query.type === undefined ? undefined : eventName(query.type, 'type'),
      since: timeOf(query.since, 'since'),
      until: timeOf(query.until, 'until'),
      status:
        query.status === undefined ? undefined : oneOf(query.status, 'status', deliveryStatuses),
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
