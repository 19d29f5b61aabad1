import { newId } from '../../../src/core/ids.ts'
import type {
  Attempt,
  DeliveryStatus,
  StoredSubscription,
  WebhookEvent,
} from '../../../src/core/types.ts'
import type { AttemptRecord, ClaimedDelivery, Store } from '../../../src/store/store.ts'

/** Gives the suite's cases the store of the running test (a fresh one per test). */
export interface StoreContext {
  readonly store: Store
}

/** A fixed epoch for the suite's clocks: 2025-01-01T00:00:00Z. */
export const T0 = Date.parse('2025-01-01T00:00:00.000Z')

/** Epoch ms as the ISO string domain objects carry. */
export const iso = (ms: number): string => new Date(ms).toISOString()

let counter = 0

/** A complete subscription of tenant `acme` with a URL of its own; `url` sets `config.url`. */
export function makeSubscription(
  overrides: Partial<StoredSubscription> & { url?: string } = {},
): StoredSubscription {
  const n = ++counter
  const { url, ...rest } = overrides
  return {
    id: newId('subscription'),
    tenant: 'acme',
    name: `Subscription ${n}`,
    events: ['order.created'],
    config: { url: url ?? `https://receiver.example/hooks/${n}`, contentType: 'application/json' },
    headers: { 'x-team': 'billing' },
    signatureScheme: 'standard',
    payload: 'envelope',
    description: `test subscription ${n}`,
    rateLimit: 50,
    retrySchedule: [1_000, 60_000],
    createdBy: 'user_1',
    state: 'active',
    disabledReason: null,
    consecutiveFailures: 0,
    failingSince: null,
    secrets: [
      { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', expiresAt: null },
      { secret: 'whsec_old', expiresAt: T0 + 86_400_000 },
    ],
    createdAt: iso(T0),
    updatedAt: iso(T0),
    ...rest,
  }
}

/** An event of tenant `acme`, published at `at` (default `T0`). */
export function makeEvent(overrides: Partial<WebhookEvent> & { at?: number } = {}): WebhookEvent {
  const { at, ...rest } = overrides
  return {
    id: newId('event'),
    tenant: 'acme',
    type: 'order.created',
    data: { orderId: ++counter, lines: [{ sku: 'A-1', qty: 2 }], note: 'ünïcode' },
    timestamp: iso(at ?? T0),
    idempotencyKey: null,
    ...rest,
  }
}

/** Inserts `event` with one delivery per subscription; returns the delivery ids in that order. */
export async function publish(
  store: Store,
  event: WebhookEvent,
  subscriptions: StoredSubscription[],
): Promise<string[]> {
  const deliveries = subscriptions.map((s) => ({ id: newId('delivery'), subscriptionId: s.id }))
  await store.insertEvent(event, deliveries)
  return deliveries.map((d) => d.id)
}

/** Inserts the subscriptions and returns them. */
export async function insertAll(
  store: Store,
  ...subscriptions: StoredSubscription[]
): Promise<StoredSubscription[]> {
  for (const s of subscriptions) await store.insertSubscription(s)
  return subscriptions
}

/** Options of `attemptRecord`. */
export interface AttemptOptions {
  statusCode?: number | null
  startedAt?: number
  status?: DeliveryStatus
  nextAttemptAt?: number | null
  error?: string | null
  leaseToken?: string
  trigger?: Attempt['trigger']
}

/** An attempt of a claimed delivery: by default a 200 that ends it `succeeded`. */
export function attemptRecord(
  claimed: ClaimedDelivery,
  options: AttemptOptions = {},
): AttemptRecord {
  const statusCode = options.statusCode === undefined ? 200 : options.statusCode
  return {
    attempt: {
      id: newId('attempt'),
      deliveryId: claimed.id,
      eventId: claimed.event.id,
      subscriptionId: claimed.subscription.id,
      tenant: claimed.event.tenant,
      trigger: options.trigger ?? 'scheduled',
      startedAt: iso(options.startedAt ?? T0),
      durationMs: 12,
      statusCode,
      error: options.error ?? null,
      requestHeaders: { 'webhook-id': claimed.event.id },
      responseHeaders: { 'content-type': 'text/plain' },
      responseBody: statusCode === null ? '' : `answer ${statusCode}`,
    },
    leaseToken: options.leaseToken ?? claimed.leaseToken,
    status: options.status ?? 'succeeded',
    nextAttemptAt: options.nextAttemptAt ?? null,
  }
}

/** Claims everything due at `now` under a lease of 30 s. */
export function claimAll(store: Store, now: number, leaseToken = 'lease-a') {
  return store.claimDueDeliveries({ now, limit: 1_000, leaseMs: 30_000, leaseToken })
}

/** The ids of a list, sorted, for order-free comparisons. */
export function ids(items: readonly { id: string }[]): string[] {
  return items.map((item) => item.id).sort()
}
