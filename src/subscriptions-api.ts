import { isSuccess } from './core/attempt-outcome.ts'
import { ConflictError, NotFoundError, ValidationError } from './core/errors.ts'
import { newId } from './core/ids.ts'
import { generateSecret, rotateSecrets, validateSecret } from './core/signing/index.ts'
import {
  applyPatch,
  buildSubscription,
  type SubscriptionInput,
  type SubscriptionPatch,
} from './core/subscription-input.ts'
import type {
  Attempt,
  Delivery,
  DeliveryStatus,
  Page,
  StoredSubscription,
  Subscription,
  SubscriptionHealth,
  SubscriptionState,
} from './core/types.ts'
import { eventName, numberIn, oneOf, tenantOf, timeOf } from './core/validate.ts'
import { buildRequest } from './delivery/attempt.ts'
import type { EngineContext } from './engine-context.ts'
import type { TimeRange } from './store/store.ts'
import { deliveryStatuses } from './core/delivery-status.ts'
import { toPublic } from './core/subscription-health.ts'

/** A subscription as `create` returns it: the only time the secret is shown. */
export type CreatedSubscription = Omit<Subscription, 'config'> & {
  config: Subscription['config'] & { secret: string }
}

/** The answer of `subscriptions.test`: what the receiver said to a `ping`. */
export interface PingResult {
  success: boolean
  statusCode: number | null
  durationMs: number
  /** The first 4 KiB of the receiver's body. */
  response: string
  error: string | null
}

/** The answer of `subscriptions.rotateSecret`. */
export interface RotatedSecret {
  /** The secret that signs from now on. */
  secret: string
  /**
   * When the secret it replaced stops signing (ISO 8601), so receivers know how long they have to
   * switch; null when no other secret still signs.
   */
  previousExpiresAt: string | null
}

/** What `subscriptions.recoverAll` did: how many it queued, and for each subscription. */
export interface RecoverAllResult {
  queued: number
  subscriptions: ({ id: string; queued: number } | { id: string; skipped: SubscriptionState })[]
}

/** Filters of `subscriptions.list`. */
export interface SubscriptionListQuery {
  tenant?: string
  name?: string
  event?: string
  state?: SubscriptionState
  /** Only `failing` ones (most recent attempt failed), `healthy` ones, or `disabled` ones. */
  health?: SubscriptionHealth
  limit?: number
  cursor?: string
}

const states: readonly SubscriptionState[] = ['active', 'paused', 'disabled']
const healths: readonly SubscriptionHealth[] = ['healthy', 'failing', 'disabled']

/** A page size: 1–100, default 50. */
export function pageLimit(limit: unknown): number {
  return limit === undefined ? 50 : Math.floor(numberIn(limit, 'limit', 1, 100))
}

/**
 * `hooks.subscriptions`: create, read, change and delete subscriptions, and everything a subscriber
 * needs (test ping, last error, secret rotation, recovery, delivery history).
 */
export class SubscriptionsApi {
  readonly #ctx: EngineContext

  constructor(context: EngineContext) {
    this.#ctx = context
  }

  /**
   * Creates a subscription. Throws `ValidationError` naming the bad field, `UnsafeUrlError` for a
   * URL the SSRF guard refuses, `ConflictError` (`duplicate_subscription`) for a duplicate.
   *
   * @example
   * const sub = await hooks.subscriptions.create({
   *   tenant: 'acme', name: 'Orders', events: ['order.*'], config: { url: 'https://acme.example/hooks' },
   * })
   */
  async create(input: SubscriptionInput): Promise<CreatedSubscription> {
    const now = this.#ctx.options.now()
    const stored = buildSubscription(input, { id: newId('subscription', now), now })
    await this.#ctx.guard.checkUrl(stored.config.url)
    await this.#ctx.store.insertSubscription(stored)
    const secret = stored.secrets[0]!.secret
    return { ...this.#public(stored), config: { ...stored.config, secret } }
  }

  /** One subscription. Throws `NotFoundError`. */
  async get(id: string): Promise<Subscription> {
    return this.#public(await this.#load(id))
  }

  /** The tenant's subscriptions, newest first, filtered by `name`, `event` or `state`. */
  async list(query: SubscriptionListQuery = {}): Promise<Page<Subscription>> {
    const page = await this.#ctx.store.listSubscriptions({
      tenant: tenantOf(query.tenant),
      name: query.name,
      event: query.event === undefined ? undefined : eventName(query.event, 'event'),
      state: query.state === undefined ? undefined : oneOf(query.state, 'state', states),
      health: query.health === undefined ? undefined : oneOf(query.health, 'health', healths),
      limit: pageLimit(query.limit),
      cursor: query.cursor,
    })
    return { data: page.data.map((s) => this.#public(s)), nextCursor: page.nextCursor }
  }

  /**
   * Changes some fields; `{ config: { url } }` changes only the URL, `{ state: 'paused' }` pauses.
   * Re-enabling publishes `subscription.enabled`, pausing `subscription.paused`.
   */
  update(id: string, patch: SubscriptionPatch): Promise<Subscription> {
    return this.#ctx.lock.run(id, () => this.#update(id, patch))
  }

  async #update(id: string, patch: SubscriptionPatch): Promise<Subscription> {
    const current = await this.#load(id)
    const next = applyPatch(current, patch, this.#ctx.options.now())
    if (next.config.url !== current.config.url) await this.#ctx.guard.checkUrl(next.config.url)
    if (!(await this.#ctx.store.updateSubscription(next)))
      throw new NotFoundError('subscription', id)
    if (next.state !== 'active') this.#ctx.forget(id)
    if (next.state !== current.state) {
      const type = next.state === 'paused' ? 'subscription.paused' : 'subscription.enabled'
      await this.#ctx.systemEvent(next.tenant, type, stateData(next), next.id)
    }
    return this.#public(next)
  }

  /** Deletes a subscription; its pending deliveries are cancelled. Throws `NotFoundError`. */
  async delete(id: string): Promise<void> {
    if (!(await this.#ctx.store.deleteSubscription(id))) throw new NotFoundError('subscription', id)
    this.#ctx.forget(id)
  }

  /** The active subscribers of an event (ServiceStack's relay search). */
  async search(query: {
    tenant?: string
    event: string
  }): Promise<{ subscriptionId: string; config: Subscription['config'] }[]> {
    const tenant = tenantOf(query.tenant)
    const matched = await this.#ctx.store.matchSubscriptions(
      tenant,
      eventName(query.event, 'event'),
    )
    return matched.map((s) => ({ subscriptionId: s.id, config: s.config }))
  }

  /** Sends a `ping` event now and reports the receiver's answer. Nothing is stored. */
  async test(id: string): Promise<PingResult> {
    const subscription = await this.#load(id)
    const now = this.#ctx.options.now()
    const eventId = newId('event', now)
    const data = JSON.stringify({ subscriptionId: id, message: 'ping from Hookrelay' })
    const claimed = {
      id: newId('delivery', now),
      status: 'pending' as const,
      attempts: 0,
      leaseToken: 'ping',
      event: {
        id: eventId,
        tenant: subscription.tenant,
        type: 'ping',
        timestamp: new Date(now).toISOString(),
        dataJson: data,
      },
      subscription,
    }
    const result = await this.#ctx.sender.send(
      buildRequest(claimed, now, this.#ctx.options.timeoutMs),
    )
    return {
      success: isSuccess(result.statusCode),
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      response: result.responseBody,
      error: result.error,
    }
  }

  /** The most recent failed attempt, or null when there is none. Throws `NotFoundError`. */
  async lastError(id: string): Promise<Attempt | null> {
    await this.#load(id)
    return this.#ctx.store.lastFailedAttempt(id)
  }

  /** The secret that signs now (the one `create` showed, or the latest rotation's). */
  async secret(id: string): Promise<{ secret: string }> {
    const stored = await this.#load(id)
    const current = stored.secrets.find((s) => s.expiresAt === null) ?? stored.secrets[0]
    return { secret: current?.secret ?? '' }
  }

  /**
   * Replaces the signing secret (a new one is generated unless given); the old one keeps signing
   * for 24 h so receivers can switch over.
   */
  rotateSecret(id: string, options: { secret?: string } = {}): Promise<RotatedSecret> {
    return this.#ctx.lock.run(id, () => this.#rotateSecret(id, options))
  }

  async #rotateSecret(id: string, options: { secret?: string }): Promise<RotatedSecret> {
    const current = await this.#load(id)
    const secret = options.secret ?? generateSecret()
    validateSecret(current.signatureScheme, secret, 'secret')
    const now = this.#ctx.options.now()
    const next: StoredSubscription = {
      ...current,
      secrets: rotateSecrets(current.secrets, secret, now),
      updatedAt: new Date(now).toISOString(),
    }
    if (!(await this.#ctx.store.updateSubscription(next)))
      throw new NotFoundError('subscription', id)
    // The new secret comes first, without expiry; the others are old ones still in their grace.
    const expiries = next.secrets
      .slice(1)
      .flatMap((s) => (s.expiresAt === null ? [] : [s.expiresAt]))
    const previous = expiries.length === 0 ? null : new Date(Math.max(...expiries)).toISOString()
    return { secret, previousExpiresAt: previous }
  }

  /**
   * Sends again, now, every delivery of events since `since` (and before `until`, when given)
   * that did not succeed: failed, waiting for a retry (`retrying`) or cancelled; and delivers
   * events it missed while paused or disabled. Returns how many deliveries were queued. Throws
   * `ConflictError` when the subscription is not active.
   *
   * @example
   * // The receiver was down for the last two hours and is fixed now:
   * await hooks.subscriptions.recover(sub.id, { since: Date.now() - 2 * 3_600_000 })
   */
  async recover(
    id: string,
    options: { since: Date | string | number; until?: Date | string | number },
  ): Promise<{ queued: number }> {
    const range = rangeOf(options)
    const subscription = await this.#load(id)
    if (subscription.state !== 'active') {
      throw new ConflictError(
        'conflict',
        `subscription ${id} is ${subscription.state}: set its state to active before recovering`,
      )
    }
    const now = this.#ctx.options.now()
    const queued = await this.#ctx.store.recoverDeliveries(subscription, range, now)
    this.#ctx.notify()
    return { queued }
  }

  /**
   * `recover` for every active subscription of the tenant, one after another; paused and disabled
   * ones are skipped and listed as such. Returns the total and what each came to.
   *
   * @example
   * const { queued } = await hooks.subscriptions.recoverAll({ tenant: 'acme', since: outageStart })
   */
  async recoverAll(options: {
    tenant?: string
    since: Date | string | number
    until?: Date | string | number
  }): Promise<RecoverAllResult> {
    const range = rangeOf(options)
    const tenant = tenantOf(options.tenant)
    const now = this.#ctx.options.now()
    const result: RecoverAllResult = { queued: 0, subscriptions: [] }
    let cursor: string | undefined
    do {
      const page = await this.#ctx.store.listSubscriptions({ tenant, limit: 100, cursor })
      for (const s of page.data) {
        if (s.state !== 'active') {
          result.subscriptions.push({ id: s.id, skipped: s.state })
          continue
        }
        const queued = await this.#ctx.store.recoverDeliveries(s, range, now)
        result.queued += queued
        result.subscriptions.push({ id: s.id, queued })
      }
      cursor = page.nextCursor ?? undefined
    } while (cursor !== undefined)
    if (result.queued > 0) this.#ctx.notify()
    return result
  }

  /** The subscription's deliveries, newest first, optionally only those with `status`. */
  async deliveries(
    id: string,
    query: { status?: DeliveryStatus; limit?: number; cursor?: string } = {},
  ): Promise<Page<Delivery>> {
    await this.#load(id)
    return this.#ctx.store.listDeliveries({
      subscriptionId: id,
      status:
        query.status === undefined ? undefined : oneOf(query.status, 'status', deliveryStatuses),
      limit: pageLimit(query.limit),
      cursor: query.cursor,
    })
  }

  #public(stored: StoredSubscription): Subscription {
    return toPublic(stored, this.#ctx.options.disableAfter)
  }

  async #load(id: string): Promise<StoredSubscription> {
    const stored = typeof id === 'string' ? await this.#ctx.store.getSubscription(id) : null
    if (stored === null) throw new NotFoundError('subscription', String(id))
    return stored
  }
}

/** The data of a `subscription.*` state-change event. */
export function stateData(subscription: StoredSubscription): Record<string, unknown> {
  return {
    subscriptionId: subscription.id,
    name: subscription.name,
    url: subscription.config.url,
    state: subscription.state,
    reason: subscription.disabledReason,
  }
}

/** A recover's `since` and optional `until`, checked: `until` must be after `since`. */
function rangeOf(options: {
  since: Date | string | number
  until?: Date | string | number | undefined
}): TimeRange {
  const since = timeOf(options?.since, 'since') ?? Number.NaN
  if (Number.isNaN(since)) throw new ValidationError('since', 'must be a date or a time in ms')
  const until = timeOf(options.until, 'until')
  if (until !== undefined && until <= since)
    throw new ValidationError('until', 'must be after since')
  return { since, until }
}
