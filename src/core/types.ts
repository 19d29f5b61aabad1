/** Where a subscription stands: see DESIGN.md, "Subscription states". */
export type SubscriptionState = 'active' | 'paused' | 'disabled'

/**
 * How a subscription's receiver is doing: `failing` when its most recent attempt failed,
 * `disabled` when the subscription is (by the auto-disable rule or by hand), else `healthy`.
 */
export type SubscriptionHealth = 'healthy' | 'failing' | 'disabled'

/** Which headers and signature a delivery carries. Default is `standard` (Standard Webhooks 1.0). */
export type SignatureScheme = 'standard' | 'github' | 'servicestack' | 'superoffice'

/** What the body holds: the whole envelope (default) or only the event's `data`. */
export type PayloadMode = 'envelope' | 'data'

/**
 * `pending` until its first attempt ends (in flight included); `retrying` when an attempt failed
 * and another is scheduled; then `succeeded`, `failed` (no attempt left, or the subscription was
 * disabled) or `cancelled` (the subscription was paused or deleted first).
 */
export type DeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'failed' | 'cancelled'

/** Whether an attempt came from the retry schedule or from a person asking for it. */
export type AttemptTrigger = 'scheduled' | 'manual'

/** A subscription as callers see it. Times are ISO 8601 strings. */
export interface Subscription {
  id: string
  tenant: string
  name: string
  /** Event names or patterns (`order.*`, `*`). */
  events: string[]
  config: { url: string; contentType: 'application/json' }
  headers: Record<string, string>
  signatureScheme: SignatureScheme
  payload: PayloadMode
  description: string | null
  /** Deliveries per second at most, or null for no limit. */
  rateLimit: number | null
  /** Milliseconds before each retry, overriding the engine's schedule; null uses the engine's. */
  retrySchedule: number[] | null
  createdBy: string | null
  state: SubscriptionState
  /** Why the subscription was disabled, when it was. */
  disabledReason: string | null
  health: SubscriptionHealth
  /** Failed attempts in a row since the last success. */
  consecutiveFailures: number
  /** When the current run of failures began (its first failed attempt), or null. */
  failingSince: string | null
  /**
   * While it is active and failing: the earliest time the auto-disable rule turns it off if no
   * attempt succeeds before (at the first failed attempt from then on, once enough failed in a
   * row). Null otherwise.
   */
  disablesAt: string | null
  createdAt: string
  updatedAt: string
}

/** A signing secret; `expiresAt` is set on the old secret during a rotation. */
export interface SigningSecret {
  secret: string
  /** Epoch milliseconds after which the secret stops signing, or null for the current one. */
  expiresAt: number | null
}

/**
 * A subscription with its secrets, as the store keeps it. Never leaves the engine whole. Its
 * `health` and `disablesAt` are the engine's to work out (they depend on its rule and clock); the
 * store keeps the run of failures, which only recording attempts changes.
 */
export interface StoredSubscription extends Omit<Subscription, 'health' | 'disablesAt'> {
  secrets: SigningSecret[]
}

/** An event (a message): the same `id` reaches every subscriber on every attempt. */
export interface WebhookEvent {
  id: string
  tenant: string
  type: string
  data: unknown
  timestamp: string
  idempotencyKey: string | null
}

/** One event on its way to one subscription. */
export interface Delivery {
  id: string
  eventId: string
  subscriptionId: string
  tenant: string
  eventType: string
  status: DeliveryStatus
  attempts: number
  /** When the next attempt is due (ISO 8601), or null once the delivery is over. */
  nextAttemptAt: string | null
  lastStatusCode: number | null
  lastError: string | null
  createdAt: string
  updatedAt: string
}

/** One HTTP call of a delivery, as recorded. */
export interface Attempt {
  id: string
  deliveryId: string
  eventId: string
  subscriptionId: string
  tenant: string
  trigger: AttemptTrigger
  startedAt: string
  durationMs: number
  /** The receiver's status, or null when no answer came (network error, timeout, refused URL). */
  statusCode: number | null
  error: string | null
  /** The headers that were sent, signature included; `{}` for attempts recorded before 0.2. */
  requestHeaders: Record<string, string>
  responseHeaders: Record<string, string>
  /** The first 4 KiB of the response body. */
  responseBody: string
}

/** An attempt reduced to what statistics need. */
export interface AttemptTiming {
  subscriptionId: string
  /** Epoch ms. */
  startedAt: number
  durationMs: number
  statusCode: number | null
}

/** How many deliveries of one event are in each status. */
export type DeliveryCounts = Record<DeliveryStatus, number>

/** A registered event type: a description and an optional JSON Schema checked on publish. */
export interface EventType {
  name: string
  description: string | null
  schema: Record<string, unknown> | null
  createdAt: string
  updatedAt: string
}

/** The `data` of an entity-change event (`<entity>.<action>`). */
export interface EntityChange {
  entity: string
  id: string | number
  action: string
  changes: string[]
  fieldValues: Record<string, unknown>
  actor: string | null
}

/** A page of a list: pass `nextCursor` back as `cursor` for the next one; null at the end. */
export interface Page<T> {
  data: T[]
  nextCursor: string | null
}

/** A tenant of the standalone server: an isolation boundary chosen by its id. */
export interface Tenant {
  id: string
  name: string | null
  createdAt: string
}

/**
 * An API key as callers see it (never the key itself). `tenant` is null for admin keys. `roles`
 * are role names as configured (`admin`, `user`, `service` by default).
 */
export interface ApiKey {
  id: string
  tenant: string | null
  name: string | null
  roles: string[]
  createdAt: string
}

/** An API key as the store keeps it: only a SHA-256 hash of the key, hex. */
export interface StoredApiKey extends ApiKey {
  hash: string
}

/** Counts for gauges: what is waiting and what is switched off. */
export interface BacklogStats {
  /** Deliveries not over yet (`pending` or `retrying`), due now or later. */
  pending: number
  /** Of those, the ones due at or before `now`. */
  due: number
  /** Subscriptions in the `disabled` state. */
  disabledSubscriptions: number
}
