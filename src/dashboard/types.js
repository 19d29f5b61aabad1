// @ts-check
// The shapes the REST API answers with, as the dashboard reads them (see docs/openapi.json).

/** @typedef {'active' | 'paused' | 'disabled'} SubscriptionState */
/** @typedef {'pending' | 'retrying' | 'succeeded' | 'failed' | 'cancelled'} DeliveryStatus */
/** @typedef {'healthy' | 'failing' | 'disabled'} SubscriptionHealth */

/**
 * @typedef {object} Subscription
 * @property {string} id
 * @property {string} tenant
 * @property {string} name
 * @property {string[]} events
 * @property {{ url: string, contentType: string, secret?: string }} config
 * @property {Record<string, string>} [headers]
 * @property {string} [signatureScheme]
 * @property {string} [payload]
 * @property {string | null} [description]
 * @property {number | null} [rateLimit]
 * @property {string | null} [createdBy]
 * @property {SubscriptionState} state
 * @property {string | null} [disabledReason]
 * @property {SubscriptionHealth} health
 * @property {number} consecutiveFailures
 * @property {string | null} failingSince
 * @property {string | null} disablesAt
 * @property {string} createdAt
 * @property {string} updatedAt
 */

/**
 * @typedef {object} Delivery
 * @property {string} id
 * @property {string} eventId
 * @property {string} subscriptionId
 * @property {string} [eventType]
 * @property {DeliveryStatus} status
 * @property {number} attempts
 * @property {string | null} [nextAttemptAt]
 * @property {number | null} [lastStatusCode]
 * @property {string | null} [lastError]
 * @property {string} createdAt
 * @property {string} [updatedAt]
 */

/**
 * @typedef {object} Attempt
 * @property {string} id
 * @property {string} deliveryId
 * @property {'scheduled' | 'manual'} trigger
 * @property {string} startedAt
 * @property {number} durationMs
 * @property {number | null} statusCode
 * @property {string | null} [error]
 * @property {Record<string, string>} [requestHeaders]
 * @property {Record<string, string>} [responseHeaders]
 * @property {string} [responseBody]
 */

/**
 * @typedef {object} DeliveryCounts
 * @property {number} pending
 * @property {number} retrying
 * @property {number} succeeded
 * @property {number} failed
 * @property {number} cancelled
 */

/**
 * @typedef {object} WebhookEvent
 * @property {string} id
 * @property {string} tenant
 * @property {string} type
 * @property {unknown} [data]
 * @property {string} timestamp
 * @property {string | null} [idempotencyKey]
 * @property {DeliveryCounts} [deliveryCounts]
 */

/** @typedef {WebhookEvent & { deliveries: Delivery[], attempts: Attempt[] }} EventDetail */

/**
 * @template T
 * @typedef {{ data: T[], nextCursor: string | null }} Page
 */

/**
 * @typedef {object} StatsRow
 * @property {string} subscriptionId
 * @property {number} attempts
 * @property {number} succeeded
 * @property {number} failed
 * @property {number | null} successRate
 * @property {string | null} lastAttemptAt
 * @property {number | null} lastStatusCode
 */

/** @typedef {{ p50: number, p95: number, p99: number }} Percentiles */

/**
 * @typedef {object} SubscriptionStats
 * @property {string} since
 * @property {string} until
 * @property {{ attempts: number, succeeded: number, failed: number, successRate: number | null }} totals
 * @property {string | null} lastAttemptAt
 * @property {{ minute: string, succeeded: number, failed: number }[]} perMinute
 * @property {Percentiles | null} latency
 * @property {(Percentiles & { hour: string, attempts: number })[]} latencyPerHour
 */

/**
 * @typedef {object} PingResult
 * @property {boolean} success
 * @property {number | null} statusCode
 * @property {number} durationMs
 * @property {string} response
 * @property {string | null} [error]
 */

/**
 * A type of the catalogue: registered (with times of its own), or only published.
 *
 * @typedef {object} EventType
 * @property {string} name
 * @property {boolean} registered
 * @property {string | null} [description]
 * @property {Record<string, unknown> | null} [schema]
 * @property {string} [createdAt]
 * @property {string} [updatedAt]
 * @property {string | null} lastSeenAt when the tenant last published it; null for never
 */

/**
 * One invalid field of a refused request (a problem's `errors`).
 *
 * @typedef {object} FieldProblem
 * @property {string} field
 * @property {string} message
 * @property {string} [keyword] the JSON Schema keyword that failed
 * @property {Record<string, any>} [params] its parameters: `{ limit: 1 }`
 */

/** @typedef {{ id: string, name: string | null, createdAt: string }} Tenant */
/** @typedef {{ tenant: string | null, roles: string[], keyId: string | null }} Me */

export {}
