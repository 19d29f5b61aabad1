import type pg from 'pg'
import { HookrelayError } from '../../core/errors.ts'
import type {
  ApiKey,
  Attempt,
  AttemptTiming,
  BacklogStats,
  Delivery,
  DeliveryCounts,
  EventType,
  Page,
  StoredApiKey,
  StoredSubscription,
  Tenant,
  WebhookEvent,
} from '../../core/types.ts'
import type {
  AttemptRecord,
  AttemptTimingQuery,
  ClaimedDelivery,
  ClaimOptions,
  DeliveryQuery,
  EventQuery,
  InsertedEvent,
  NewDelivery,
  PruneResult,
  PublishedType,
  PublishEventOptions,
  RetriedDeliveries,
  RetryQuery,
  Store,
  StoreCapabilities,
  FailureRun,
  TimeRange,
  SubscriptionQuery,
} from '../store.ts'
import { type AccessSql, accessSql } from './access-sql.ts'
import { type AttemptsSql, attemptsSql } from './attempts-sql.ts'
import { type ClaimsSql, claimsSql } from './claims-sql.ts'
import { type DeliveriesSql, deliveriesSql } from './deliveries-sql.ts'
import { type EventTypesSql, eventTypesSql } from './event-types-sql.ts'
import { type EventsSql, eventsSql } from './events-sql.ts'
import { Listeners } from './listener.ts'
import { type PruneSql, pruneSql } from './prune-sql.ts'
import { type FanOutsSql, fanOutsSql } from './fan-outs-sql.ts'
import { fanOutSlice } from '../fan-out-slices.ts'
import { type SubscriptionsSql, subscriptionsSql } from './subscriptions-sql.ts'
import { guard, guarded } from './unavailable.ts'

/**
 * The PostgreSQL store on `pg`: a pool, named statements, claims with `FOR UPDATE SKIP LOCKED`
 * under leases, and `NOTIFY hookrelay_deliveries` whenever pending deliveries are written, so any
 * number of processes can publish and deliver on one database.
 */
export class PostgresStore implements Store {
  readonly capabilities: StoreCapabilities = {
    supportsListenNotify: true,
    supportsManyWriters: true,
  }

  readonly #pool: pg.Pool
  readonly #config: pg.ClientConfig
  readonly #subscriptions: SubscriptionsSql
  readonly #events: EventsSql
  readonly #claims: ClaimsSql
  readonly #deliveries: DeliveriesSql
  readonly #attempts: AttemptsSql
  readonly #eventTypes: EventTypesSql
  readonly #prune: PruneSql
  readonly #access: AccessSql
  readonly #fanOuts: FanOutsSql
  /** When a claim last found no queued fan-out (performance.now()); see `claimDueDeliveries`. */
  #fanOutsSeenEmptyAt = -Infinity
  readonly #listeners = new Listeners()
  #closed = false
  readonly #schema: string

  /** Wraps an open pool on a migrated schema; use `openPostgresStore` instead. */
  constructor(pool: pg.Pool, config: pg.ClientConfig, schema: string) {
    this.#pool = pool
    this.#config = config
    this.#schema = schema
    this.#subscriptions = guarded(subscriptionsSql(pool))
    this.#events = guarded(eventsSql(pool, schema))
    this.#claims = guarded(claimsSql(pool))
    this.#deliveries = guarded(deliveriesSql(pool))
    this.#attempts = guarded(attemptsSql(pool))
    this.#eventTypes = guarded(eventTypesSql(pool))
    this.#prune = guarded(pruneSql(pool))
    this.#access = guarded(accessSql(pool))
    this.#fanOuts = guarded(fanOutsSql(pool))
  }

  /** Writes every delivery queued so far (fan-outs-sql.ts): before a call that reads them. */
  async #writeQueued(): Promise<void> {
    await this.#fanOuts.write(Infinity, false)
  }

  #open(): void {
    if (this.#closed) throw new HookrelayError('closed', 'the store is closed')
  }

  /**
   * Calls `onNotify` whenever any process writes pending deliveries to this database (and once
   * after a dropped connection is back), until the function it resolves to is called or the
   * store closes.
   *
   * @example
   * const stop = await store.listen(() => worker.wake())
   */
  async listen(onNotify: () => void): Promise<() => Promise<void>> {
    this.#open()
    return guard(() => this.#listeners.add(this.#config, this.#schema, onNotify))
  }

  async insertSubscription(subscription: StoredSubscription): Promise<void> {
    this.#open()
    await this.#subscriptions.insert(subscription)
  }

  async getSubscription(id: string): Promise<StoredSubscription | null> {
    this.#open()
    return this.#subscriptions.get(id)
  }

  async listSubscriptions(query: SubscriptionQuery): Promise<Page<StoredSubscription>> {
    this.#open()
    return this.#subscriptions.list(query)
  }

  async updateSubscription(subscription: StoredSubscription): Promise<boolean> {
    this.#open()
    await this.#writeQueued()
    return this.#subscriptions.update(subscription)
  }

  async deleteSubscription(id: string): Promise<boolean> {
    this.#open()
    await this.#writeQueued()
    return this.#subscriptions.delete(id)
  }

  async matchSubscriptions(tenant: string, eventType: string): Promise<StoredSubscription[]> {
    this.#open()
    return this.#subscriptions.match(tenant, eventType)
  }

  async insertEvent(event: WebhookEvent, deliveries: NewDelivery[]): Promise<InsertedEvent> {
    this.#open()
    return this.#events.insert(event, deliveries)
  }

  /**
   * Publishes in a transaction of its own or, with `options.transaction`, on that client inside
   * the caller's open transaction, which commits or rolls it back; its NOTIFY then reaches the
   * workers only at the caller's commit.
   *
   * @example
   * const client = await pool.connect()
   * await client.query('BEGIN')
   * await client.query('INSERT INTO orders (id) VALUES ($1)', [42])
   * await store.publishEvent(event, { transaction: client })
   * await client.query('COMMIT')
   */
  async publishEvent(
    event: WebhookEvent,
    options: PublishEventOptions = {},
  ): Promise<InsertedEvent> {
    this.#open()
    const published = await this.#events.publish(event, options)
    if (published.inserted && published.deliveries > fanOutSlice)
      this.#fanOutsSeenEmptyAt = -Infinity
    return published
  }

  async getEvent(id: string): Promise<WebhookEvent | null> {
    this.#open()
    return this.#events.get(id)
  }

  async listEvents(query: EventQuery): Promise<Page<WebhookEvent>> {
    this.#open()
    await this.#writeQueued()
    return this.#events.list(query)
  }

  async countDeliveries(eventIds: string[]): Promise<Record<string, DeliveryCounts>> {
    this.#open()
    await this.#writeQueued()
    return this.#events.countDeliveries(eventIds)
  }

  async listEventsSince(
    tenant: string,
    since: number,
    limit: number,
    afterId?: string,
  ): Promise<WebhookEvent[]> {
    this.#open()
    return this.#events.listSince(tenant, since, limit, afterId)
  }

  /**
   * Writes as many queued deliveries as it may claim first, leaving those another process is
   * writing to it. After a claim found none, the next look is at least 50 ms later, unless this
   * store queued some or `nextDueAt` found some since: the look is a round trip on every claim.
   */
  async claimDueDeliveries(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    this.#open()
    if (performance.now() - this.#fanOutsSeenEmptyAt >= 50) {
      const written = await this.#fanOuts.write(options.limit, true)
      if (written === 0) this.#fanOutsSeenEmptyAt = performance.now()
    }
    return this.#claims.claimDue(options)
  }

  async claimDelivery(
    id: string,
    options: Omit<ClaimOptions, 'limit'>,
  ): Promise<ClaimedDelivery | null> {
    this.#open()
    return this.#claims.claimOne(id, options)
  }

  async releaseDeliveries(ids: string[], leaseToken: string, at: number): Promise<void> {
    this.#open()
    await this.#claims.release(ids, leaseToken, at)
  }

  async recordAttempts(records: AttemptRecord[]): Promise<FailureRun[]> {
    this.#open()
    return this.#attempts.record(records)
  }

  async getDelivery(id: string): Promise<Delivery | null> {
    this.#open()
    return this.#deliveries.get(id)
  }

  async listDeliveries(query: DeliveryQuery): Promise<Page<Delivery>> {
    this.#open()
    await this.#writeQueued()
    return this.#deliveries.list(query)
  }

  async recoverDeliveries(
    subscription: StoredSubscription,
    range: TimeRange,
    at: number,
  ): Promise<number> {
    this.#open()
    await this.#writeQueued()
    return this.#deliveries.recover(subscription, range, at)
  }

  async retryDeliveries(query: RetryQuery, at: number): Promise<RetriedDeliveries> {
    this.#open()
    await this.#writeQueued()
    return this.#deliveries.retry(query, at)
  }

  async nextDueAt(): Promise<number | null> {
    this.#open()
    const [due, queued] = await Promise.all([
      this.#claims.nextDueAt(),
      this.#fanOuts.earliestQueued(),
    ])
    if (queued === null) return due
    // Queued deliveries are due at their event's timestamp, as if written, and the next claim
    // writes them.
    this.#fanOutsSeenEmptyAt = -Infinity
    return Math.min(due ?? queued, queued)
  }

  async listAttempts(filter: { deliveryId: string } | { eventId: string }): Promise<Attempt[]> {
    this.#open()
    return this.#attempts.list(filter)
  }

  async listAttemptTimings(query: AttemptTimingQuery): Promise<AttemptTiming[]> {
    this.#open()
    return this.#attempts.timings(query)
  }

  async lastFailedAttempt(subscriptionId: string): Promise<Attempt | null> {
    this.#open()
    return this.#attempts.lastFailed(subscriptionId)
  }

  async upsertEventType(eventType: EventType): Promise<void> {
    this.#open()
    await this.#eventTypes.upsert(eventType)
  }

  async getEventType(name: string): Promise<EventType | null> {
    this.#open()
    return this.#eventTypes.get(name)
  }

  async listEventTypes(): Promise<EventType[]> {
    this.#open()
    return this.#eventTypes.list()
  }

  async listPublishedTypes(tenant: string, limit: number): Promise<PublishedType[]> {
    this.#open()
    return this.#eventTypes.published(tenant, limit)
  }

  async prune(before: number): Promise<PruneResult> {
    this.#open()
    await this.#writeQueued()
    return this.#prune.prune(before)
  }

  async insertTenant(tenant: Tenant): Promise<void> {
    this.#open()
    await this.#access.insertTenant(tenant)
  }

  async listTenants(): Promise<Tenant[]> {
    this.#open()
    return this.#access.listTenants()
  }

  async getTenant(id: string): Promise<Tenant | null> {
    this.#open()
    return this.#access.getTenant(id)
  }

  async insertApiKey(key: StoredApiKey): Promise<void> {
    this.#open()
    await this.#access.insertApiKey(key)
  }

  async findApiKeyByHash(hash: string): Promise<StoredApiKey | null> {
    this.#open()
    return this.#access.findApiKeyByHash(hash)
  }

  async listApiKeys(tenant: string | null): Promise<ApiKey[]> {
    this.#open()
    return this.#access.listApiKeys(tenant)
  }

  async deleteApiKey(id: string): Promise<boolean> {
    this.#open()
    return this.#access.deleteApiKey(id)
  }

  async countApiKeys(): Promise<number> {
    this.#open()
    return this.#access.countApiKeys()
  }

  async backlogStats(now: number): Promise<BacklogStats> {
    this.#open()
    await this.#writeQueued()
    return this.#access.backlogStats(now)
  }

  async ping(): Promise<void> {
    this.#open()
    await guard(() => this.#pool.query('SELECT 1'))
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#listeners.close()
    await this.#pool.end()
  }
}
