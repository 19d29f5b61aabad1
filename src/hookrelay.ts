import { ApiKeysApi, TenantsApi } from './access-api.ts'
import type { StateEventType } from './core/state-events.ts'
import {
  buildEvent,
  type EntityChangeInput,
  entityChangeEvent,
  type PublishInput,
} from './core/event-input.ts'
import { newId } from './core/ids.ts'
import type { Attempt, DeliveryStatus, WebhookEvent } from './core/types.ts'
import type { AttemptResult } from './delivery/attempt.ts'
import { HttpSender } from './delivery/http-sender.ts'
import { SsrfGuard } from './delivery/ssrf-guard.ts'
import { DeliveryWorker } from './delivery/worker.ts'
import type { EngineContext } from './engine-context.ts'
import { EventTypeCatalog } from './event-types.ts'
import { DeliveriesApi, EventsApi } from './events-api.ts'
import { StatsApi } from './stats-api.ts'
import { KeyedLock } from './keyed-lock.ts'
import { type EventListener, Listeners } from './listeners.ts'
import { type HookrelayOptions, type ResolvedOptions, resolveOptions } from './options.ts'
import type { PruneResult, QueryClient, Store, FailureRun } from './store/store.ts'
import { SubscriptionsApi, stateData } from './subscriptions-api.ts'

/** A published event, with how many subscriptions it will be delivered to. */
export type PublishedEvent = WebhookEvent & { deliveries: number }

/**
 * Watches what the engine does, for metrics and logs: called synchronously after each commit, so
 * it must be quick; what it throws is logged and ignored.
 */
export interface EngineObserver {
  /** An event was written with `deliveries` deliveries (not called for a repeated idempotency key). */
  published?(event: WebhookEvent, deliveries: number): void
  /** An attempt was recorded; `status` is its delivery's status after it. */
  attempted?(attempt: Attempt, status: DeliveryStatus): void
}

/** Options of `publish`. */
export interface PublishOptions {
  /** Leave these subscriptions out (state-change events skip the subscription they are about). */
  excludeSubscriptionId?: string
  /**
   * A `pg` client inside your open transaction (PostgreSQL stores only; others throw
   * `ValidationError`): the event and its deliveries are written in that transaction and exist
   * only if it commits (the transactional outbox). In-process listeners and observers are not
   * called for such a publish, since the engine cannot know whether it will commit; workers are
   * woken by the NOTIFY that PostgreSQL sends at the commit.
   *
   * @example
   * const client = await pool.connect()
   * try {
   *   await client.query('BEGIN')
   *   await client.query('INSERT INTO orders (id, total) VALUES ($1, $2)', [42, 99])
   *   await hooks.publish(
   *     { tenant: 'acme', type: 'order.created', data: { id: 42 } },
   *     { transaction: client },
   *   )
   *   await client.query('COMMIT')
   * } catch (error) {
   *   await client.query('ROLLBACK')
   *   throw error
   * } finally {
   *   client.release()
   * }
   */
  transaction?: QueryClient
}

/**
 * One Hookrelay engine: subscriptions, publishing, the delivery worker and the history, over one
 * store. Made by `createHookrelay`.
 */
export class Hookrelay {
  /** Create, read, change and delete subscriptions; test, recover, rotate secrets. */
  readonly subscriptions: SubscriptionsApi
  /** The tenant's events and each event's deliveries and attempts. */
  readonly events: EventsApi
  /** One delivery, its attempts, and a manual re-send. */
  readonly deliveries: DeliveriesApi
  /** Success rates, attempts per minute and latency percentiles, from the attempt log. */
  readonly stats: StatsApi
  /** The event-type catalogue, with optional JSON Schemas checked on publish. */
  readonly eventTypes: EventTypeCatalog
  /** Tenants, to which API keys belong (the standalone server's admin routes). */
  readonly tenants: TenantsApi
  /** API keys, stored only as hashes: create, verify, list, delete. */
  readonly keys: ApiKeysApi
  /** The store underneath, for adapters and tools. */
  readonly store: Store

  readonly #options: ResolvedOptions
  readonly #sender: HttpSender
  readonly #worker: DeliveryWorker
  readonly #listeners: Listeners
  readonly #lock = new KeyedLock()
  readonly #observers = new Set<EngineObserver>()
  #pruneTimer: NodeJS.Timeout | null = null
  #unlisten: Promise<() => Promise<void>> | null = null
  #stopping: Promise<void> | null = null
  #closing: Promise<void> | null = null

  /** Use `createHookrelay`, which opens the store. */
  constructor(store: Store, options: ResolvedOptions) {
    this.store = store
    this.#options = options
    const guard = new SsrfGuard({
      allowPrivateNetworks: options.allowPrivateNetworks,
      ...(options.resolve ? { resolve: options.resolve } : {}),
    })
    this.#sender = new HttpSender({ guard, userAgent: options.userAgent })
    this.#listeners = new Listeners(options.logger)
    const context: EngineContext = {
      store,
      guard,
      sender: this.#sender,
      options,
      attempt: {
        sender: this.#sender,
        now: options.now,
        random: options.random,
        timeoutMs: options.timeoutMs,
        retrySchedule: options.retrySchedule,
        jitter: options.jitter,
      },
      systemEvent: (tenant, type, data, subjectId) => this.#announce(tenant, type, data, subjectId),
      notify: () => this.#worker.notify(),
      forget: (id) => this.#worker.forget(id),
      lock: this.#lock,
      afterRecord: (results, health) => this.#afterRecord(results, health),
    }
    this.#worker = new DeliveryWorker({
      store,
      attempt: context.attempt,
      settings: options,
      logger: options.logger,
      afterRecord: context.afterRecord,
    })
    this.subscriptions = new SubscriptionsApi(context)
    this.events = new EventsApi(context)
    this.stats = new StatsApi(context)
    this.tenants = new TenantsApi(context)
    this.keys = new ApiKeysApi(context)
    this.deliveries = new DeliveriesApi(context)
    this.eventTypes = new EventTypeCatalog(store, options.now)
  }

  /**
   * Publishes an event: it and its deliveries to every matching active subscription are written in
   * one transaction before this resolves (with `transaction`, in the caller's). A repeated
   * `idempotencyKey` returns the first event.
   *
   * @example await hooks.publish({ tenant: 'acme', type: 'order.created', data: { id: 42 } })
   */
  async publish(input: PublishInput, options: PublishOptions = {}): Promise<PublishedEvent> {
    const now = this.#options.now()
    const { event } = buildEvent(input, { id: newId('event', now), now })
    await this.eventTypes.check(event.type, event.data)
    const result = await this.store.publishEvent(event, {
      excludeSubscriptionId: options.excludeSubscriptionId,
      transaction: options.transaction,
    })
    // In a caller's transaction nothing is committed yet, and may never be: the NOTIFY at its
    // commit wakes the workers, and listeners and observers are left out.
    if (result.inserted && options.transaction === undefined) {
      if (result.deliveries > 0) this.#worker.notify()
      this.#listeners.emit(result.event)
      this.#observe((o) => o.published?.(result.event, result.deliveries))
    }
    return { ...result.event, deliveries: result.deliveries }
  }

  /**
   * Publishes an entity change as the event `<entity>.<action>` with data
   * `{ entity, id, action, changes, fieldValues, actor }`.
   *
   * @example await hooks.entityChanged({ tenant: 'acme', entity: 'contact', id: 7, action: 'updated' })
   */
  entityChanged(
    input: EntityChangeInput,
    options: Pick<PublishOptions, 'transaction'> = {},
  ): Promise<PublishedEvent> {
    return this.publish(entityChangeEvent(input), options)
  }

  /**
   * Adds an in-process subscriber for an event name or pattern; it gets every matching event after
   * commit. Its errors are logged, never rethrown. Returns a function that removes it.
   *
   * @example const off = hooks.on('contact.*', (event) => console.log(event.type))
   */
  on(pattern: string, listener: EventListener): () => void {
    return this.#listeners.on(pattern, listener)
  }

  /**
   * Adds an observer of publishes and attempts (metrics use this). Returns a function that
   * removes it.
   *
   * @example hooks.observe({ attempted: (attempt) => histogram.observe(attempt.durationMs) })
   */
  observe(observer: EngineObserver): () => void {
    this.#observers.add(observer)
    return () => {
      this.#observers.delete(observer)
    }
  }

  #observe(call: (observer: EngineObserver) => void): void {
    for (const observer of this.#observers) {
      try {
        call(observer)
      } catch (err) {
        this.#options.logger.error({ err }, 'an engine observer threw')
      }
    }
  }

  /** Starts the delivery worker and retention pruning (`createHookrelay` does unless `worker: false`). */
  start(): void {
    this.#worker.start()
    if (this.#pruneTimer === null && this.#options.retentionMs > 0) {
      this.#pruneTimer = setInterval(() => void this.#pruneQuietly(), 3_600_000)
      this.#pruneTimer.unref()
    }
    // Other processes' publishes wake this worker at once; polling stays as the fallback.
    if (this.#unlisten === null && this.store.listen !== undefined) {
      this.#unlisten = this.store
        .listen(() => this.#worker.notify())
        .then((stop) => {
          // What was written while the listening connection opened woke nobody: look once more.
          this.#worker.notify()
          return stop
        })
        .catch((err: unknown) => {
          this.#options.logger.warn({ err }, 'listening for new deliveries failed; polling only')
          return async () => {}
        })
    }
  }

  /** Resolves when nothing is due any more and every attempt made is recorded. */
  drain(): Promise<void> {
    return this.#worker.drain()
  }

  /** Removes events, deliveries and attempts older than the retention period. */
  prune(): Promise<PruneResult> {
    return this.store.prune(this.#options.now() - this.#options.retentionMs)
  }

  /**
   * Stops delivering, for good, and leaves the store open (a server still answering requests
   * while it shuts down): claims no more, waits up to `timeoutMs` (default 10 s) for attempts in
   * flight, then interrupts the rest — recorded as interrupted and due again at once, so the next
   * worker sends them without waiting for their lease. Idempotent; `close()` calls it.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#stopping ??= (async () => {
      if (this.#pruneTimer !== null) clearInterval(this.#pruneTimer)
      if (this.#unlisten !== null) await (await this.#unlisten)()
      await this.#worker.stop(options.timeoutMs ?? 10_000)
    })()
    return this.#stopping
  }

  /**
   * Stops delivering as `stop()` does (waiting up to `timeoutMs`, default 10 s, for attempts in
   * flight, then interrupting and recording the rest), then closes the store. Idempotent.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= (async () => {
      await this.stop(options)
      await this.#sender.close()
      await this.store.close()
    })()
    return this.#closing
  }

  async #afterRecord(results: AttemptResult[], health: FailureRun[]): Promise<void> {
    const { disableAfter, now } = this.#options
    if (this.#observers.size > 0) {
      for (const { record } of results) {
        this.#observe((o) => o.attempted?.(record.attempt, record.status))
      }
    }
    for (const { outcome, claimed, record } of results) {
      if (outcome.kind !== 'failed') continue
      if (outcome.reason === 'gone') {
        await this.#disable(claimed.subscription.id, 'the receiver answered 410 Gone')
      }
      // A failed delivery of a failure notice raises no further notice: no loops.
      if (claimed.event.type === 'delivery.exhausted') continue
      await this.#announce(
        claimed.event.tenant,
        'delivery.exhausted',
        {
          deliveryId: claimed.id,
          eventId: claimed.event.id,
          eventType: claimed.event.type,
          subscriptionId: claimed.subscription.id,
          attempts: claimed.attempts + 1,
          reason: outcome.reason,
          lastStatusCode: record.attempt.statusCode,
          lastError: record.attempt.error,
        },
        claimed.subscription.id,
      )
    }
    for (const run of health) {
      if (run.failingSince === null || run.consecutiveFailures < disableAfter.failures) continue
      if (now() - run.failingSince < disableAfter.periodMs) continue
      await this.#disable(
        run.subscriptionId,
        `${run.consecutiveFailures} attempts in a row failed since ${new Date(run.failingSince).toISOString()}`,
      )
    }
  }

  #disable(id: string, reason: string): Promise<void> {
    return this.#lock.run(id, () => this.#disableNow(id, reason))
  }

  async #disableNow(id: string, reason: string): Promise<void> {
    const current = await this.store.getSubscription(id)
    if (current === null || current.state !== 'active') return
    const next = {
      ...current,
      state: 'disabled' as const,
      disabledReason: reason,
      updatedAt: new Date(this.#options.now()).toISOString(),
    }
    await this.store.updateSubscription(next)
    this.#worker.forget(id)
    this.#options.logger.warn({ subscriptionId: id, reason }, 'subscription disabled')
    await this.#announce(next.tenant, 'subscription.disabled', stateData(next), id)
  }

  /**
   * Publishes a state-change event, never to the subscription it is about. The change it
   * announces is already committed, so a failure here (a schema the user registered for the
   * type, say) is logged rather than undoing nothing and failing the caller.
   */
  async #announce(
    tenant: string,
    type: StateEventType,
    data: Record<string, unknown>,
    subjectId: string,
  ): Promise<void> {
    try {
      await this.publish({ tenant, type, data }, { excludeSubscriptionId: subjectId })
    } catch (err) {
      this.#options.logger.error({ err, type, subscriptionId: subjectId }, 'announcing failed')
    }
  }

  async #pruneQuietly(): Promise<void> {
    try {
      const removed = await this.prune()
      this.#options.logger.info({ removed }, 'pruned old events')
    } catch (err) {
      this.#options.logger.error({ err }, 'pruning failed')
    }
  }
}

/**
 * Opens the store (SQLite by default) and starts an engine.
 *
 * @example
 * const hooks = await createHookrelay({ database: 'hooks.db' })
 */
export async function createHookrelay(options: HookrelayOptions = {}): Promise<Hookrelay> {
  const resolved = resolveOptions(options)
  const store = resolved.store ?? (await openStore(resolved.database))
  let hooks: Hookrelay
  try {
    hooks = new Hookrelay(store, resolved)
  } catch (err) {
    await store.close() // a bad option (an invalid CIDR, say) must not leave the database open
    throw err
  }
  if (resolved.worker) hooks.start()
  return hooks
}

async function openStore(database: string): Promise<Store> {
  // Each adapter is loaded only when chosen, so a SQLite user never loads `pg`.
  if (/^postgres(ql)?:\/\//.test(database)) {
    const { openPostgresStore } = await import('./store/postgres/open-store.ts')
    return openPostgresStore({ connectionString: database })
  }
  const { openSqliteStore } = await import('./store/sqlite/open-store.ts')
  return openSqliteStore({ path: database })
}
