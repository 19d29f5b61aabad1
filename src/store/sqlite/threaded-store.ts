import { Worker } from 'node:worker_threads'
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
import { toAttemptRows } from './attempt-rows.ts'
import {
  type CallMessage,
  type ReadyMessage,
  type ReplyMessage,
  reviveError,
  type StoreVerb,
  type ThreadData,
} from './thread-protocol.ts'

interface Pending {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
}

// Sources run as .ts (type stripping) and the build emits .js beside them.
const threadFile = new URL(
  import.meta.url.endsWith('.ts') ? './sqlite-thread.ts' : './sqlite-thread.js',
  import.meta.url,
)

/**
 * The SQLite store with its database on a worker thread: every verb is a message to the thread,
 * answered after its transaction committed. The main thread keeps no SQLite work at all, which is
 * what lets the delivery worker's HTTP use a whole core. Use `openSqliteStore`.
 */
export class ThreadedSqliteStore implements Store {
  readonly capabilities: StoreCapabilities = {
    supportsListenNotify: false,
    supportsManyWriters: false,
  }

  readonly #worker: Worker
  readonly #pending = new Map<number, Pending>()
  // Calls made in one turn of the event loop go to the thread as one message: each message
  // wakes the thread with a system call, which under load costs more than the call's SQL.
  #outbox: CallMessage[] = []
  #nextId = 1
  #closed = false
  #exited: Promise<void>

  private constructor(worker: Worker) {
    this.#worker = worker
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()))
    worker.on('message', (replies: ReplyMessage[]) => {
      for (const reply of replies) this.#settle(reply)
    })
    worker.on('error', (error) => this.#fail(error))
    worker.on('exit', () => this.#fail(new HookrelayError('closed', 'the store is closed')))
    // An idle store must not keep the process alive; a call in flight must.
    worker.unref()
  }

  /** Starts the thread and waits until it has the database open and migrated. */
  static async open(data: ThreadData): Promise<ThreadedSqliteStore> {
    // V8 grows a busy thread's young generation to 64 MB and more on a machine with memory to
    // spare; this one holds only the messages of calls in flight, and 16 MB cost nothing
    // measurable in throughput while draining a backlog (RSS 482 → 391–402 MB at 300,000).
    const worker = new Worker(threadFile, {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: 16 },
    })
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    if (!ready.ready) {
      await worker.terminate()
      throw reviveError(ready.error)
    }
    return new ThreadedSqliteStore(worker)
  }

  #call<T>(verb: StoreVerb, ...args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new HookrelayError('closed', 'the store is closed'))
    const id = this.#nextId++
    if (this.#pending.size === 0) this.#worker.ref()
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      this.#outbox.push({ id, verb, args })
      if (this.#outbox.length === 1) setImmediate(this.#send)
    })
  }

  readonly #send = (): void => {
    const calls = this.#outbox
    this.#outbox = []
    if (calls.length > 0) this.#worker.postMessage(calls)
  }

  #settle(reply: ReplyMessage): void {
    const pending = this.#pending.get(reply.id)
    if (pending === undefined) return
    this.#pending.delete(reply.id)
    if (this.#pending.size === 0) this.#worker.unref()
    if (reply.ok) pending.resolve(reply.value)
    else pending.reject(reviveError(reply.error))
  }

  #fail(error: Error): void {
    this.#closed = true
    for (const pending of this.#pending.values()) pending.reject(error)
    this.#pending.clear()
  }

  insertSubscription(subscription: StoredSubscription): Promise<void> {
    return this.#call('insertSubscription', subscription)
  }

  getSubscription(id: string): Promise<StoredSubscription | null> {
    return this.#call('getSubscription', id)
  }

  listSubscriptions(query: SubscriptionQuery): Promise<Page<StoredSubscription>> {
    return this.#call('listSubscriptions', query)
  }

  updateSubscription(subscription: StoredSubscription): Promise<boolean> {
    return this.#call('updateSubscription', subscription)
  }

  deleteSubscription(id: string): Promise<boolean> {
    return this.#call('deleteSubscription', id)
  }

  matchSubscriptions(tenant: string, eventType: string): Promise<StoredSubscription[]> {
    return this.#call('matchSubscriptions', tenant, eventType)
  }

  insertEvent(event: WebhookEvent, deliveries: NewDelivery[]): Promise<InsertedEvent> {
    return this.#call('insertEvent', event, deliveries)
  }

  publishEvent(event: WebhookEvent, options?: PublishEventOptions): Promise<InsertedEvent> {
    // Refused here, before anything is posted: a pg client cannot cross to the thread anyway.
    if (options?.transaction !== undefined) {
      return Promise.reject(
        new ValidationError(
          'transaction',
          'only a PostgreSQL store can write inside a caller transaction',
        ),
      )
    }
    return this.#call('publishEvent', event, options)
  }

  getEvent(id: string): Promise<WebhookEvent | null> {
    return this.#call('getEvent', id)
  }

  listEvents(query: EventQuery): Promise<Page<WebhookEvent>> {
    return this.#call('listEvents', query)
  }

  countDeliveries(eventIds: string[]): Promise<Record<string, DeliveryCounts>> {
    return this.#call('countDeliveries', eventIds)
  }

  listEventsSince(
    tenant: string,
    since: number,
    limit: number,
    afterId?: string,
  ): Promise<WebhookEvent[]> {
    return this.#call('listEventsSince', tenant, since, limit, afterId)
  }

  claimDueDeliveries(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    return this.#call('claimDueDeliveries', options)
  }

  claimDelivery(id: string, options: Omit<ClaimOptions, 'limit'>): Promise<ClaimedDelivery | null> {
    return this.#call('claimDelivery', id, options)
  }

  releaseDeliveries(ids: string[], leaseToken: string, at: number): Promise<void> {
    return this.#call('releaseDeliveries', ids, leaseToken, at)
  }

  recordAttempts(records: AttemptRecord[]): Promise<FailureRun[]> {
    return this.#call('recordAttemptRows', toAttemptRows(records))
  }

  getDelivery(id: string): Promise<Delivery | null> {
    return this.#call('getDelivery', id)
  }

  listDeliveries(query: DeliveryQuery): Promise<Page<Delivery>> {
    return this.#call('listDeliveries', query)
  }

  recoverDeliveries(
    subscription: StoredSubscription,
    range: TimeRange,
    at: number,
  ): Promise<number> {
    return this.#call('recoverDeliveries', subscription, range, at)
  }

  retryDeliveries(query: RetryQuery, at: number): Promise<RetriedDeliveries> {
    return this.#call('retryDeliveries', query, at)
  }

  nextDueAt(): Promise<number | null> {
    return this.#call('nextDueAt')
  }

  listAttempts(filter: { deliveryId: string } | { eventId: string }): Promise<Attempt[]> {
    return this.#call('listAttempts', filter)
  }

  listAttemptTimings(query: AttemptTimingQuery): Promise<AttemptTiming[]> {
    return this.#call('listAttemptTimings', query)
  }

  lastFailedAttempt(subscriptionId: string): Promise<Attempt | null> {
    return this.#call('lastFailedAttempt', subscriptionId)
  }

  upsertEventType(eventType: EventType): Promise<void> {
    return this.#call('upsertEventType', eventType)
  }

  getEventType(name: string): Promise<EventType | null> {
    return this.#call('getEventType', name)
  }

  listEventTypes(): Promise<EventType[]> {
    return this.#call('listEventTypes')
  }

  listPublishedTypes(tenant: string, limit: number): Promise<PublishedType[]> {
    return this.#call('listPublishedTypes', tenant, limit)
  }

  prune(before: number): Promise<PruneResult> {
    return this.#call('prune', before)
  }

  insertTenant(tenant: Tenant): Promise<void> {
    return this.#call('insertTenant', tenant)
  }

  listTenants(): Promise<Tenant[]> {
    return this.#call('listTenants')
  }

  getTenant(id: string): Promise<Tenant | null> {
    return this.#call('getTenant', id)
  }

  insertApiKey(key: StoredApiKey): Promise<void> {
    return this.#call('insertApiKey', key)
  }

  findApiKeyByHash(hash: string): Promise<StoredApiKey | null> {
    return this.#call('findApiKeyByHash', hash)
  }

  listApiKeys(tenant: string | null): Promise<ApiKey[]> {
    return this.#call('listApiKeys', tenant)
  }

  deleteApiKey(id: string): Promise<boolean> {
    return this.#call('deleteApiKey', id)
  }

  countApiKeys(): Promise<number> {
    return this.#call('countApiKeys')
  }

  backlogStats(now: number): Promise<BacklogStats> {
    return this.#call('backlogStats', now)
  }

  ping(): Promise<void> {
    return this.#call('ping')
  }

  /** Waits for the calls in flight, closes the database and ends the thread. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#worker.ref()
    // Messages are handled in order, so every call sent before this one is answered first.
    this.#send()
    this.#worker.postMessage('close')
    await this.#exited
  }
}
