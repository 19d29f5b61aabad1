import { HookrelayError, ValidationError } from '../../core/errors.ts'
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
import { type AttemptRow, earliestRetry, toAttemptRows } from './attempt-rows.ts'
import { type AttemptsSql, attemptsSql } from './attempts-sql.ts'
import { type ClaimsSql, claimsSql } from './claims-sql.ts'
import type { SqliteConnection } from './connection.ts'
import { type DeliveriesSql, deliveriesSql } from './deliveries-sql.ts'
import { type DeliveryLock, deliveryLock } from './delivery-lock.ts'
import { type EventTypesSql, eventTypesSql } from './event-types-sql.ts'
import { type EventsSql, eventsSql } from './events-sql.ts'
import { type FanOutsSql, type FanOutWrite, fanOutsSql } from './fan-outs-sql.ts'
import { Leases } from './leases.ts'
import { type PruneSql, pruneSql } from './prune-sql.ts'
import { publishSql } from './publish-sql.ts'
import { type SubscriptionsSql, subscriptionsSql } from './subscriptions-sql.ts'

/**
 * The SQLite store on Node's built-in `node:sqlite`: one writer, WAL, every statement prepared
 * once. Verbs are async-shaped for the port but run synchronously, so no two ever interleave.
 * `openSqliteStore` runs it on a worker thread behind `ThreadedSqliteStore` unless told not to.
 */
export class SqliteStore implements Store {
  readonly capabilities: StoreCapabilities = {
    supportsListenNotify: false,
    supportsManyWriters: false,
  }

  readonly #conn: SqliteConnection
  readonly #subscriptions: SubscriptionsSql
  readonly #events: EventsSql
  readonly #claims: ClaimsSql
  readonly #deliveries: DeliveriesSql
  readonly #attempts: AttemptsSql
  readonly #eventTypes: EventTypesSql
  readonly #prune: PruneSql
  readonly #access: AccessSql
  readonly #lock: DeliveryLock
  readonly #fanOuts: FanOutsSql
  readonly #publish: ReturnType<typeof publishSql>
  #closed = false

  /**
   * Wraps an open, migrated connection; use `openSqliteStore` instead. With `queueFanOuts`, a
   * publish to more than `fanOutSlice` subscriptions queues its deliveries for `writeQueuedFanOuts`
   * (the store's thread calls it) instead of writing them.
   */
  constructor(conn: SqliteConnection, queueFanOuts = false) {
    this.#conn = conn
    this.#subscriptions = subscriptionsSql(conn)
    this.#events = eventsSql(conn)
    this.#fanOuts = fanOutsSql(conn, this.#events)
    this.#publish = publishSql(conn, this.#subscriptions, this.#events, this.#fanOuts, queueFanOuts)
    // Scheduled claims are leased in this store's memory, under the file's delivery lock.
    const leases = new Leases()
    this.#lock = deliveryLock(conn)
    this.#claims = claimsSql(conn, leases, this.#lock)
    this.#deliveries = deliveriesSql(conn)
    this.#attempts = attemptsSql(conn, leases, this.#lock)
    this.#eventTypes = eventTypesSql(conn)
    this.#prune = pruneSql(conn)
    this.#access = accessSql(conn, leases)
  }

  /**
   * Runs `fn` in one transaction, in which each verb's own transaction is a savepoint: the
   * thread's group commit of calls that arrived together.
   */
  transaction<T>(fn: () => T): T {
    this.#open()
    try {
      return this.#conn.transaction(fn)
    } catch (error) {
      // Nothing of it was written, though records and releases in it ended their leases here.
      this.#claims.rescan()
      throw error
    }
  }

  #open(): void {
    if (this.#closed) throw new HookrelayError('closed', 'the store is closed')
  }

  async insertSubscription(subscription: StoredSubscription): Promise<void> {
    this.#open()
    this.#subscriptions.insert(subscription)
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
    return this.#subscriptions.update(subscription)
  }

  async deleteSubscription(id: string): Promise<boolean> {
    this.#open()
    return this.#subscriptions.delete(id)
  }

  async matchSubscriptions(tenant: string, eventType: string): Promise<StoredSubscription[]> {
    this.#open()
    return this.#subscriptions.match(tenant, eventType)
  }

  async insertEvent(event: WebhookEvent, deliveries: NewDelivery[]): Promise<InsertedEvent> {
    this.#open()
    const inserted = this.#events.insert(event, deliveries)
    // Due at the event's timestamp, which may be behind where the next claim would start.
    if (deliveries.length > 0) this.#claims.dueFrom(Date.parse(event.timestamp))
    return inserted
  }

  async publishEvent(
    event: WebhookEvent,
    options: PublishEventOptions = {},
  ): Promise<InsertedEvent> {
    this.#open()
    if (options.transaction !== undefined) {
      throw new ValidationError(
        'transaction',
        'only a PostgreSQL store can write inside a caller transaction',
      )
    }
    const { inserted, dueFrom } = this.#publish(event, options.excludeSubscriptionId)
    if (dueFrom !== null) this.#claims.dueFrom(dueFrom)
    return inserted
  }

  /** Whether any publish's deliveries are queued (by this store or another on the same file). */
  hasQueuedFanOuts(): boolean {
    this.#open()
    return this.#fanOuts.anyQueued()
  }

  /**
   * Writes queued deliveries, oldest publish first and a slice per transaction, until at least
   * `atLeast` are written or none is left.
   */
  writeQueuedFanOuts(atLeast: number): FanOutWrite {
    this.#open()
    const written = this.#fanOuts.write(atLeast)
    if (written.dueFrom !== null) this.#claims.dueFrom(written.dueFrom)
    return written
  }

  async getEvent(id: string): Promise<WebhookEvent | null> {
    this.#open()
    return this.#events.get(id)
  }

  async listEvents(query: EventQuery): Promise<Page<WebhookEvent>> {
    this.#open()
    return this.#events.list(query)
  }

  async countDeliveries(eventIds: string[]): Promise<Record<string, DeliveryCounts>> {
    this.#open()
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

  async claimDueDeliveries(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    this.#open()
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
    this.#claims.release(ids, leaseToken, at)
  }

  async recordAttempts(records: AttemptRecord[]): Promise<FailureRun[]> {
    return this.recordAttemptRows(toAttemptRows(records))
  }

  /** `recordAttempts` for records already flattened (the threaded store flattens them). */
  async recordAttemptRows(rows: AttemptRow[]): Promise<FailureRun[]> {
    this.#open()
    let health: FailureRun[]
    try {
      health = this.#attempts.record(rows)
    } catch (error) {
      // Their leases may have ended here while the rows stayed as they were.
      this.#claims.rescan()
      throw error
    }
    // A retry is due later than its claim, so nearly always ahead of where the next claim starts.
    const retry = earliestRetry(rows)
    if (retry !== null) this.#claims.dueFrom(retry)
    return health
  }

  async getDelivery(id: string): Promise<Delivery | null> {
    this.#open()
    return this.#deliveries.get(id)
  }

  async listDeliveries(query: DeliveryQuery): Promise<Page<Delivery>> {
    this.#open()
    return this.#deliveries.list(query)
  }

  async recoverDeliveries(
    subscription: StoredSubscription,
    range: TimeRange,
    at: number,
  ): Promise<number> {
    this.#open()
    const queued = this.#deliveries.recover(subscription, range, at)
    if (queued > 0) this.#claims.dueFrom(at)
    return queued
  }

  async retryDeliveries(query: RetryQuery, at: number): Promise<RetriedDeliveries> {
    this.#open()
    const retried = this.#deliveries.retry(query, at)
    if (retried.queued > 0) this.#claims.dueFrom(at)
    return retried
  }

  async nextDueAt(): Promise<number | null> {
    this.#open()
    const due = this.#claims.nextDueAt()
    // Queued deliveries are due at their event's timestamp, as if written.
    const queued = this.#fanOuts.earliestQueued()
    return queued === null ? due : Math.min(due ?? queued, queued)
  }

  async listAttempts(filter: { deliveryId: string } | { eventId: string }): Promise<Attempt[]> {
    this.#open()
    return this.#attempts.list(filter)
  }

  async lastFailedAttempt(subscriptionId: string): Promise<Attempt | null> {
    this.#open()
    return this.#attempts.lastFailed(subscriptionId)
  }

  async listAttemptTimings(query: AttemptTimingQuery): Promise<AttemptTiming[]> {
    this.#open()
    return this.#attempts.timings(query)
  }

  async upsertEventType(eventType: EventType): Promise<void> {
    this.#open()
    this.#eventTypes.upsert(eventType)
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
    return this.#prune.prune(before)
  }

  async insertTenant(tenant: Tenant): Promise<void> {
    this.#open()
    this.#access.insertTenant(tenant)
  }

  async getTenant(id: string): Promise<Tenant | null> {
    this.#open()
    return this.#access.getTenant(id)
  }

  async listTenants(): Promise<Tenant[]> {
    this.#open()
    return this.#access.listTenants()
  }

  async insertApiKey(key: StoredApiKey): Promise<void> {
    this.#open()
    this.#access.insertApiKey(key)
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
    return this.#access.backlogStats(now)
  }

  async ping(): Promise<void> {
    this.#open()
    this.#conn.statement('SELECT 1').get()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      this.#lock.release()
    } finally {
      this.#conn.db.close()
    }
  }
}
