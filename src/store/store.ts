import type {
  ApiKey,
  Attempt,
  AttemptTiming,
  BacklogStats,
  Delivery,
  DeliveryCounts,
  DeliveryStatus,
  EventType,
  Page,
  StoredApiKey,
  StoredSubscription,
  SubscriptionHealth,
  SubscriptionState,
  Tenant,
  WebhookEvent,
} from '../core/types.ts'

/**
 * What a store engine can do, read by the engine to pick a strategy. Kysely's dialect adapters
 * expose the same kind of flags.
 */
export interface StoreCapabilities {
  /** The store can wake workers in other processes when deliveries are written. */
  readonly supportsListenNotify: boolean
  /** Several processes may write (and claim) at once. */
  readonly supportsManyWriters: boolean
}

/** Filters of `listSubscriptions`. `event` keeps subscriptions with a pattern matching it. */
export interface SubscriptionQuery {
  tenant: string
  name?: string | undefined
  event?: string | undefined
  state?: SubscriptionState | undefined
  /** `failing`: its most recent attempt failed (and it is not disabled); see `healthOf`. */
  health?: SubscriptionHealth | undefined
  limit: number
  cursor?: string | undefined
}

/** Event times to act on, epoch ms: at or after `since`, and before `until` when given. */
export interface TimeRange {
  since: number
  until?: number | undefined
}

/** An event type that a tenant has published, and when it last did. */
export interface PublishedType {
  name: string
  /** The timestamp of the newest stored event of this type, ISO 8601. */
  lastSeenAt: string
}

/** Which events of a tenant a filter selects: of one type, in a time range. */
export interface EventFilter {
  tenant: string
  type?: string | undefined
  /** Events with a timestamp at or after this (epoch ms). */
  since?: number | undefined
  /** Events with a timestamp before this (epoch ms). */
  until?: number | undefined
}

/** Filters of `listEvents`, newest first. */
export interface EventQuery extends EventFilter {
  /** Events with at least one delivery in this status; `failed` also matches `retrying`. */
  status?: DeliveryStatus | undefined
  limit: number
  cursor?: string | undefined
}

/** Which deliveries `retryDeliveries` sends again: the failed and retrying ones of the events. */
export interface RetryQuery extends EventFilter {
  /**
   * Only deliveries in this status: `failed` (which also matches `retrying`) or `retrying`. Any
   * other status selects none.
   */
  status?: DeliveryStatus | undefined
  /** At most this many deliveries are queued; call again for the rest. */
  limit: number
}

/** What `retryDeliveries` did. */
export interface RetriedDeliveries {
  /** Deliveries made pending again. */
  queued: number
  /** Deliveries the filter selected but left, because their subscription is not active. */
  skipped: number
}

/** Filters of `listDeliveries`, newest first. At least one of the ids or `tenant` is given. */
export interface DeliveryQuery {
  tenant?: string | undefined
  subscriptionId?: string | undefined
  eventId?: string | undefined
  status?: DeliveryStatus | undefined
  limit: number
  cursor?: string | undefined
}

/** Filters of `listAttemptTimings`, newest first. */
export interface AttemptTimingQuery {
  tenant: string
  /** Only this subscription's attempts; every subscription of the tenant without it. */
  subscriptionId?: string | undefined
  /** Attempts started at or after this (epoch ms). */
  since: number
  limit: number
}

/** A delivery to write with its event. */
export interface NewDelivery {
  id: string
  subscriptionId: string
}

/**
 * The slice of a `pg` client Hookrelay calls: a `PoolClient` or `Client` inside the caller's open
 * transaction.
 */
export interface QueryClient {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>
}

/** Options of `publishEvent`. */
export interface PublishEventOptions {
  /** A subscription that must not receive the event (the one a state-change event is about). */
  excludeSubscriptionId?: string | undefined
  /**
   * Write on this client, inside the caller's open transaction: the event and its deliveries are
   * committed or rolled back with it, and the store neither begins, commits nor rolls back. Only
   * a PostgreSQL store takes it; others throw `ValidationError` (`transaction`).
   */
  transaction?: QueryClient | undefined
}

/** The result of `insertEvent`. */
export interface InsertedEvent {
  event: WebhookEvent
  /** The number of deliveries written (or, for a repeated idempotency key, the first publish's). */
  deliveries: number
  /** False when the idempotency key was seen before: `event` is the first one, nothing was written. */
  inserted: boolean
}

/** An event as a claim returns it: `dataJson` is the exact JSON text stored for `data`. */
export interface ClaimedEvent {
  id: string
  tenant: string
  type: string
  timestamp: string
  dataJson: string
}

/**
 * A delivery claimed by one worker: its `nextAttemptAt` was moved to the lease's end, so if the
 * worker dies the delivery becomes due again by itself.
 */
export interface ClaimedDelivery {
  id: string
  /**
   * The status before this claim: `pending` or `retrying` for scheduled claims, anything for
   * `claimDelivery`.
   */
  status: DeliveryStatus
  /** Attempts made before this one. */
  attempts: number
  leaseToken: string
  event: ClaimedEvent
  subscription: StoredSubscription
}

/** Options of `claimDueDeliveries`. Times are epoch milliseconds. */
export interface ClaimOptions {
  now: number
  limit: number
  leaseMs: number
  leaseToken: string
  /**
   * Subscriptions whose deliveries this claim must pass over: the worker already holds as many of
   * theirs as it can send soon. Their deliveries stay due and unleased, so the claim after the
   * subscription has room again finds them, in due order. A store that ignores it is still
   * correct, only less fair to the other subscriptions.
   */
  exclude?: readonly string[] | undefined
  /**
   * At most this many deliveries of each listed subscription in this claim (the worker has room for
   * no more of theirs); the rest of theirs are passed over as for `exclude`. Unlisted ones have no
   * limit but the claim's.
   */
  room?: Readonly<Record<string, number>> | undefined
}

/** One attempt to record, with the delivery's state after it. */
export interface AttemptRecord {
  attempt: Attempt
  /**
   * The lease the attempt ran under. The delivery row changes only while it still holds this
   * lease, so a worker whose lease ran out cannot overwrite a newer claim; the attempt itself is
   * recorded either way, because it happened.
   */
  leaseToken: string
  status: DeliveryStatus
  /** Epoch ms of the next attempt when `status` is `retrying` (or `pending`), else null. */
  nextAttemptAt: number | null
}

/** A subscription's run of failures after a batch of attempts was recorded. */
export interface FailureRun {
  subscriptionId: string
  /** Failed attempts since the last success. */
  consecutiveFailures: number
  /** Epoch ms of the first failure since the last success, or null when the last one succeeded. */
  failingSince: number | null
}

/** What `prune` removed. */
export interface PruneResult {
  events: number
  deliveries: number
  attempts: number
}

/**
 * The storage port, in domain verbs. No SQL, connection or driver type crosses it: an adapter owns
 * its connections. Pass your own implementation to `createHookrelay({ store })`; the conformance
 * suite in `test/store/store-conformance.ts` says what each verb must do.
 *
 * Times in and out of the store's verbs are epoch milliseconds; times inside domain objects are
 * ISO 8601 strings.
 */
export interface Store {
  readonly capabilities: StoreCapabilities

  /**
   * Writes a subscription. Throws `ConflictError` (`duplicate_subscription`) when the tenant has
   * another subscription with the same URL and an overlapping event pattern.
   */
  insertSubscription(subscription: StoredSubscription): Promise<void>
  getSubscription(id: string): Promise<StoredSubscription | null>
  listSubscriptions(query: SubscriptionQuery): Promise<Page<StoredSubscription>>
  /**
   * Replaces a subscription (same id) under the duplicate rule of `insertSubscription`. When its
   * state leaves `active`, its pending deliveries are cancelled in the same transaction; when it
   * returns to `active`, its failure run starts again from zero. Returns false when it does not
   * exist.
   */
  updateSubscription(subscription: StoredSubscription): Promise<boolean>
  /** Deletes a subscription and cancels its pending deliveries. False when it did not exist. */
  deleteSubscription(id: string): Promise<boolean>
  /** The active subscriptions of `tenant` with a pattern matching `eventType`, found by index. */
  matchSubscriptions(tenant: string, eventType: string): Promise<StoredSubscription[]>

  /**
   * Writes an event and its deliveries in one transaction, all or nothing; the deliveries are due
   * at the event's `timestamp`. With an idempotency key already used in the tenant, writes nothing
   * and returns the first event.
   */
  insertEvent(event: WebhookEvent, deliveries: NewDelivery[]): Promise<InsertedEvent>
  /**
   * Publishes: writes an event with one delivery for every active subscription of its tenant with
   * a pattern matching its type (but `excludeSubscriptionId`), in one transaction, so a
   * subscription change cannot fall between the match and the write (with `transaction`, the
   * caller's). Delivery ids are made here. With an idempotency key already used in the tenant,
   * writes nothing and returns the first event. (More than 100 deliveries are committed as a queue
   * of their subscriptions, written after it answers but before any call that reads them:
   * fan-out-slices.ts. The SQLite store on the calling thread writes them all at once.)
   */
  publishEvent(event: WebhookEvent, options?: PublishEventOptions): Promise<InsertedEvent>
  getEvent(id: string): Promise<WebhookEvent | null>
  listEvents(query: EventQuery): Promise<Page<WebhookEvent>>
  /** For each event id, how many of its deliveries are in each status (zeros included). */
  countDeliveries(eventIds: string[]): Promise<Record<string, DeliveryCounts>>
  /** Events of `tenant` at or after `since` (epoch ms), by (timestamp, id), at most `limit`,
   * after the event `afterId` when given. */
  listEventsSince(
    tenant: string,
    since: number,
    limit: number,
    afterId?: string,
  ): Promise<WebhookEvent[]>

  /**
   * Claims up to `limit` pending deliveries due at `now`, picking the oldest due first, and leases
   * them for `leaseMs`: no claim returns them again until the lease ends or they are released
   * (`nextDueAt` counts them due at its end). Where the lease is kept is the adapter's: in the
   * row (PostgreSQL: its `nextAttemptAt` moves to the lease's end) or in the memory of the one
   * store that delivers (SQLite). Deliveries whose subscription is gone are cancelled instead of
   * returned.
   */
  claimDueDeliveries(options: ClaimOptions): Promise<ClaimedDelivery[]>
  /**
   * Claims one delivery whatever its status (a manual retry); under the lease it becomes
   * `pending`, or stays `retrying`. Null when it, or its subscription, does not exist.
   */
  claimDelivery(id: string, options: Omit<ClaimOptions, 'limit'>): Promise<ClaimedDelivery | null>
  /** Gives claimed deliveries back unattempted, due at `at`, if they still hold `leaseToken`. */
  releaseDeliveries(ids: string[], leaseToken: string, at: number): Promise<void>
  /**
   * Records attempts and the deliveries' new states in one transaction, and keeps each
   * subscription's failure run (reset on success). Returns the failure run of every subscription
   * that had a failed attempt in the batch.
   */
  recordAttempts(records: AttemptRecord[]): Promise<FailureRun[]>
  getDelivery(id: string): Promise<Delivery | null>
  listDeliveries(query: DeliveryQuery): Promise<Page<Delivery>>
  /**
   * Makes deliveries due at `at` again: the subscription's `failed`, `retrying` and `cancelled`
   * deliveries of events in `range` (they become `pending`, their attempt count starts again; one
   * in flight may be left to its attempt), and new deliveries for events in the range, and since
   * its creation, that never had one for it (published while it was paused or disabled), except
   * state-change events about itself. Returns how many deliveries were queued.
   */
  recoverDeliveries(subscription: StoredSubscription, range: TimeRange, at: number): Promise<number>
  /**
   * Makes due at `at` again the `failed` and `retrying` deliveries (narrowed by `query.status`) of
   * the events `query` selects, of active subscriptions only: they become `pending`, their attempt
   * count starts again; one in flight may be left to its attempt. At most `query.limit` are
   * queued, in one transaction. Those of paused, disabled or deleted subscriptions are left, and
   * all of them counted as skipped.
   */
  retryDeliveries(query: RetryQuery, at: number): Promise<RetriedDeliveries>
  /**
   * Epoch ms of the earliest `nextAttemptAt` of a delivery not over yet (`pending` or
   * `retrying`), or null when there is none.
   */
  nextDueAt(): Promise<number | null>

  /** Attempts of a delivery, or of all deliveries of an event, oldest first. */
  listAttempts(filter: { deliveryId: string } | { eventId: string }): Promise<Attempt[]>
  /** The subscription's most recent attempt that failed, or null. */
  lastFailedAttempt(subscriptionId: string): Promise<Attempt | null>
  /** Start, duration and status of recent attempts, newest first: what charts are drawn from. */
  listAttemptTimings(query: AttemptTimingQuery): Promise<AttemptTiming[]>

  upsertEventType(eventType: EventType): Promise<void>
  getEventType(name: string): Promise<EventType | null>
  listEventTypes(): Promise<EventType[]>
  /**
   * The distinct types of `tenant`'s stored events, by name, at most `limit`. Found by index:
   * the cost grows with the number of types, not of events.
   */
  listPublishedTypes(tenant: string, limit: number): Promise<PublishedType[]>

  /** Removes events whose `timestamp` is before `before` (epoch ms) with their deliveries and
   * attempts, except events that still have a pending delivery. */
  prune(before: number): Promise<PruneResult>

  /** Writes a tenant. Throws `ConflictError` (`conflict`) when the id exists. */
  insertTenant(tenant: Tenant): Promise<void>
  getTenant(id: string): Promise<Tenant | null>
  /** Every tenant, by id. */
  listTenants(): Promise<Tenant[]>
  /** Writes an API key. Its tenant, when not null, must exist (else `NotFoundError`). */
  insertApiKey(key: StoredApiKey): Promise<void>
  /** The key whose hash is `hash`, or null. */
  findApiKeyByHash(hash: string): Promise<StoredApiKey | null>
  /** Every key of a tenant (or the admin keys, for null), oldest first. Hashes are not returned. */
  listApiKeys(tenant: string | null): Promise<ApiKey[]>
  /** Deletes a key. False when it did not exist. */
  deleteApiKey(id: string): Promise<boolean>
  /** How many API keys exist at all (0 on a new database: the admin key is then generated). */
  countApiKeys(): Promise<number>

  /** Pending and due deliveries, and disabled subscriptions, across all tenants. */
  backlogStats(now: number): Promise<BacklogStats>

  /**
   * Calls `onNotify` soon after any process writes deliveries that are due (PostgreSQL's
   * LISTEN/NOTIFY), so idle workers start at once instead of at their next poll. Only stores
   * with `supportsListenNotify` have it. Resolves to a function that stops listening.
   */
  listen?(onNotify: () => void): Promise<() => Promise<void>>

  /** Resolves when the store answers; used by readiness checks. */
  ping(): Promise<void>
  close(): Promise<void>
}
