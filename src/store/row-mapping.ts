import type {
  ApiKey,
  Attempt,
  AttemptTiming,
  AttemptTrigger,
  Delivery,
  DeliveryStatus,
  EventType,
  PayloadMode,
  SignatureScheme,
  StoredApiKey,
  StoredSubscription,
  SubscriptionState,
  Tenant,
  WebhookEvent,
} from '../core/types.ts'
import { iso, ms } from '../core/time.ts'
import type { PublishedType } from './store.ts'

/**
 * A row as a driver returns it: TEXT as strings, INTEGER and BIGINT as numbers (the PostgreSQL
 * adapter parses BIGINT), NULL as null.
 */
export type Row = Record<string, unknown>

function text(row: Row, column: string): string {
  return row[column] as string
}

function textOrNull(row: Row, column: string): string | null {
  return (row[column] ?? null) as string | null
}

function num(row: Row, column: string): number {
  return row[column] as number
}

function numOrNull(row: Row, column: string): number | null {
  return (row[column] ?? null) as number | null
}

function isoOrNull(row: Row, column: string): string | null {
  const value = numOrNull(row, column)
  return value === null ? null : iso(value)
}

function json<T>(row: Row, column: string): T {
  return JSON.parse(text(row, column)) as T
}

function jsonOrNull<T>(row: Row, column: string): T | null {
  const value = textOrNull(row, column)
  return value === null ? null : (JSON.parse(value) as T)
}

/** The columns of `subscriptions` a subscription fills (the failure run is the store's own). */
export const subscriptionColumns = [
  'id',
  'tenant',
  'name',
  'events',
  'url',
  'content_type',
  'headers',
  'signature_scheme',
  'payload',
  'description',
  'rate_limit',
  'retry_schedule',
  'created_by',
  'state',
  'disabled_reason',
  'secrets',
  'created_at',
  'updated_at',
] as const

/** One of `subscriptionColumns`. */
export type SubscriptionColumn = (typeof subscriptionColumns)[number]

/** A subscription's column values, keyed by column name for named statement parameters. */
export function subscriptionRecord(
  s: StoredSubscription,
): Record<SubscriptionColumn, string | number | null> {
  return {
    id: s.id,
    tenant: s.tenant,
    name: s.name,
    events: JSON.stringify(s.events),
    url: s.config.url,
    content_type: s.config.contentType,
    headers: JSON.stringify(s.headers),
    signature_scheme: s.signatureScheme,
    payload: s.payload,
    description: s.description,
    rate_limit: s.rateLimit,
    retry_schedule: s.retrySchedule === null ? null : JSON.stringify(s.retrySchedule),
    created_by: s.createdBy,
    state: s.state,
    disabled_reason: s.disabledReason,
    secrets: JSON.stringify(s.secrets),
    created_at: ms(s.createdAt),
    updated_at: ms(s.updatedAt),
  }
}

/** A subscription row as a domain object. */
export function toSubscription(row: Row): StoredSubscription {
  return {
    id: text(row, 'id'),
    tenant: text(row, 'tenant'),
    name: text(row, 'name'),
    events: json<string[]>(row, 'events'),
    config: { url: text(row, 'url'), contentType: text(row, 'content_type') as 'application/json' },
    headers: json<Record<string, string>>(row, 'headers'),
    signatureScheme: text(row, 'signature_scheme') as SignatureScheme,
    payload: text(row, 'payload') as PayloadMode,
    description: textOrNull(row, 'description'),
    rateLimit: numOrNull(row, 'rate_limit'),
    retrySchedule: jsonOrNull<number[]>(row, 'retry_schedule'),
    createdBy: textOrNull(row, 'created_by'),
    state: text(row, 'state') as SubscriptionState,
    disabledReason: textOrNull(row, 'disabled_reason'),
    consecutiveFailures: num(row, 'consecutive_failures'),
    failingSince: isoOrNull(row, 'failing_since'),
    createdAt: iso(num(row, 'created_at')),
    updatedAt: iso(num(row, 'updated_at')),
    secrets: json<StoredSubscription['secrets']>(row, 'secrets'),
  }
}

/** An event row as a domain object. */
export function toEvent(row: Row): WebhookEvent {
  return {
    id: text(row, 'id'),
    tenant: text(row, 'tenant'),
    type: text(row, 'type'),
    data: json<unknown>(row, 'data'),
    timestamp: iso(num(row, 'timestamp')),
    idempotencyKey: textOrNull(row, 'idempotency_key'),
  }
}

/** A delivery row as a domain object. */
export function toDelivery(row: Row): Delivery {
  return {
    id: text(row, 'id'),
    eventId: text(row, 'event_id'),
    subscriptionId: text(row, 'subscription_id'),
    tenant: text(row, 'tenant'),
    eventType: text(row, 'event_type'),
    status: text(row, 'status') as DeliveryStatus,
    attempts: num(row, 'attempts'),
    nextAttemptAt: isoOrNull(row, 'next_attempt_at'),
    lastStatusCode: numOrNull(row, 'last_status_code'),
    lastError: textOrNull(row, 'last_error'),
    createdAt: iso(num(row, 'created_at')),
    updatedAt: iso(num(row, 'updated_at')),
  }
}

/** An attempt row as a domain object. */
export function toAttempt(row: Row): Attempt {
  return {
    id: text(row, 'id'),
    deliveryId: text(row, 'delivery_id'),
    eventId: text(row, 'event_id'),
    subscriptionId: text(row, 'subscription_id'),
    tenant: text(row, 'tenant'),
    trigger: text(row, 'trigger') as AttemptTrigger,
    startedAt: iso(num(row, 'started_at')),
    durationMs: num(row, 'duration_ms'),
    statusCode: numOrNull(row, 'status_code'),
    error: textOrNull(row, 'error'),
    requestHeaders: json<Record<string, string>>(row, 'request_headers'),
    responseHeaders: json<Record<string, string>>(row, 'response_headers'),
    responseBody: text(row, 'response_body'),
  }
}

/** An attempt row's timing columns. */
export function toAttemptTiming(row: Row): AttemptTiming {
  return {
    subscriptionId: text(row, 'subscription_id'),
    startedAt: num(row, 'started_at'),
    durationMs: num(row, 'duration_ms'),
    statusCode: numOrNull(row, 'status_code'),
  }
}

/** An event type row as a domain object. */
export function toEventType(row: Row): EventType {
  return {
    name: text(row, 'name'),
    description: textOrNull(row, 'description'),
    schema: jsonOrNull<Record<string, unknown>>(row, 'schema'),
    createdAt: iso(num(row, 'created_at')),
    updatedAt: iso(num(row, 'updated_at')),
  }
}

/** A row of `listPublishedTypes`: `type` and `last_seen_at`. */
export function toPublishedType(row: Row): PublishedType {
  return { name: text(row, 'type'), lastSeenAt: iso(num(row, 'last_seen_at')) }
}

/** A tenant row as a domain object. */
export function toTenant(row: Row): Tenant {
  return {
    id: text(row, 'id'),
    name: textOrNull(row, 'name'),
    createdAt: iso(num(row, 'created_at')),
  }
}

/** An API key row as a domain object, without its hash. */
export function toApiKey(row: Row): ApiKey {
  return {
    id: text(row, 'id'),
    tenant: textOrNull(row, 'tenant'),
    name: textOrNull(row, 'name'),
    roles: json<string[]>(row, 'roles'),
    createdAt: iso(num(row, 'created_at')),
  }
}

/** An API key row as a domain object, with its hash. */
export function toStoredApiKey(row: Row): StoredApiKey {
  return { ...toApiKey(row), hash: text(row, 'hash') }
}
