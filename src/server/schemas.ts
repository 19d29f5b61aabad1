/**
 * The JSON Schemas of the REST API: every body, query and response. Fastify validates with them,
 * serialises responses with them, and `@fastify/swagger` turns them into the OpenAPI document, so
 * each shape is written once, here. Registered by `$id` and referenced as `{ $ref: 'Name#' }`.
 */
import { deliveryStatuses } from '../core/delivery-status.ts'
import { eventPatternSource, maxEventNameLength } from '../core/patterns.ts'
import { rateLimitRange } from '../core/subscription-input.ts'

const isoTime = { type: 'string', format: 'date-time' } as const
const nullable = <T extends Record<string, unknown>>(schema: T) => ({
  ...schema,
  type: [schema.type as string, 'null'],
})
const id = (prefix: string) => ({ type: 'string', pattern: `^${prefix}_[0-9A-Z]{26}$` }) as const

const eventPattern = {
  type: 'string',
  minLength: 1,
  maxLength: maxEventNameLength,
  pattern: eventPatternSource,
} as const
const signatureScheme = { enum: ['standard', 'github', 'servicestack', 'superoffice'] } as const
const payloadMode = { enum: ['envelope', 'data'] } as const
/** The events a recovery or bulk retry acts on: `since` and `until`, ISO 8601 or epoch ms. */
export const eventTimeRange = {
  since: {
    description: 'Events at or after this: an ISO 8601 time or epoch milliseconds',
    type: ['string', 'integer'],
  },
  until: {
    description: 'Events before this (default: no end): an ISO 8601 time or epoch milliseconds',
    type: ['string', 'integer'],
  },
} as const
/** How a subscription's receiver is doing (see `SubscriptionHealth`). */
export const subscriptionHealth = {
  enum: ['healthy', 'failing', 'disabled'],
  description:
    'failing: its most recent attempt failed; disabled: the subscription is disabled; else healthy',
}
/** A delivery's status (see `DeliveryStatus`). */
export const deliveryStatus = {
  enum: [...deliveryStatuses],
  description:
    'pending: not attempted yet or in flight; retrying: an attempt failed and another is scheduled; ' +
    'succeeded; failed: no attempt left, or the subscription was disabled; cancelled: its ' +
    'subscription was paused or deleted first',
}
const headers = {
  type: 'object',
  additionalProperties: { type: 'string', maxLength: 4096 },
  maxProperties: 50,
} as const
const retrySchedule = {
  type: 'array',
  items: { type: 'integer', minimum: 0 },
  maxItems: 50,
} as const

/** The fields of a subscription body shared by create and update. */
const subscriptionFields = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  events: { type: 'array', items: eventPattern, minItems: 1, maxItems: 100 },
  headers,
  signatureScheme,
  payload: payloadMode,
  description: { type: 'string', maxLength: 1000 },
  rateLimit: { type: 'number', minimum: rateLimitRange.min, maximum: rateLimitRange.max },
  retrySchedule,
} as const

export const schemas = [
  {
    $id: 'Problem',
    description: 'RFC 9457 problem details; `code` is stable and never reused.',
    type: 'object',
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      code: { type: 'string' },
      field: { type: 'string', description: 'The (first) field the problem is about' },
      errors: {
        type: 'array',
        description: 'Every invalid field of refused input, each with its first problem',
        items: {
          type: 'object',
          properties: {
            field: { type: 'string' },
            message: { type: 'string' },
            keyword: { type: 'string', description: 'The JSON Schema keyword that failed' },
            params: { type: 'object', additionalProperties: true },
          },
          required: ['field', 'message'],
        },
      },
      instance: { type: 'string' },
    },
    required: ['type', 'title', 'status', 'code'],
  },
  {
    $id: 'SubscriptionConfig',
    type: 'object',
    properties: {
      url: { type: 'string' },
      contentType: { type: 'string' },
      secret: { type: 'string', description: 'Shown only in the answer to create.' },
    },
    required: ['url', 'contentType'],
  },
  {
    $id: 'Subscription',
    type: 'object',
    properties: {
      id: id('sub'),
      tenant: { type: 'string' },
      name: { type: 'string' },
      events: { type: 'array', items: { type: 'string' } },
      config: { $ref: 'SubscriptionConfig#' },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      signatureScheme,
      payload: payloadMode,
      description: nullable({ type: 'string' }),
      rateLimit: nullable({ type: 'number' }),
      retrySchedule: nullable({ type: 'array', items: { type: 'integer' } }),
      createdBy: nullable({ type: 'string' }),
      state: { enum: ['active', 'paused', 'disabled'] },
      disabledReason: nullable({ type: 'string' }),
      health: subscriptionHealth,
      consecutiveFailures: {
        type: 'integer',
        description: 'Failed attempts in a row since the last success',
      },
      failingSince: nullable({
        ...isoTime,
        description: 'When the current run of failures began, or null',
      }),
      disablesAt: nullable({
        ...isoTime,
        description:
          'While active and failing: the earliest time the auto-disable rule turns it off if ' +
          'nothing succeeds before; null otherwise',
      }),
      createdAt: isoTime,
      updatedAt: isoTime,
    },
    required: [
      'id',
      'tenant',
      'name',
      'events',
      'config',
      'state',
      'health',
      'consecutiveFailures',
      'createdAt',
      'updatedAt',
    ],
  },
  {
    $id: 'Delivery',
    type: 'object',
    properties: {
      id: id('dlv'),
      eventId: id('evt'),
      subscriptionId: id('sub'),
      tenant: { type: 'string' },
      eventType: { type: 'string' },
      status: deliveryStatus,
      attempts: { type: 'integer' },
      nextAttemptAt: nullable(isoTime),
      lastStatusCode: nullable({ type: 'integer' }),
      lastError: nullable({ type: 'string' }),
      createdAt: isoTime,
      updatedAt: isoTime,
    },
    required: ['id', 'eventId', 'subscriptionId', 'status', 'attempts', 'createdAt'],
  },
  {
    $id: 'Attempt',
    type: 'object',
    properties: {
      id: id('att'),
      deliveryId: id('dlv'),
      eventId: id('evt'),
      subscriptionId: id('sub'),
      tenant: { type: 'string' },
      trigger: { enum: ['scheduled', 'manual'] },
      startedAt: isoTime,
      durationMs: { type: 'integer' },
      statusCode: nullable({ type: 'integer' }),
      error: nullable({ type: 'string' }),
      requestHeaders: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'The headers sent, signature included',
      },
      responseHeaders: { type: 'object', additionalProperties: { type: 'string' } },
      responseBody: { type: 'string' },
    },
    required: ['id', 'deliveryId', 'trigger', 'startedAt', 'durationMs', 'statusCode'],
  },
  {
    $id: 'Event',
    type: 'object',
    properties: {
      id: id('evt'),
      tenant: { type: 'string' },
      type: { type: 'string' },
      data: {},
      timestamp: isoTime,
      idempotencyKey: nullable({ type: 'string' }),
    },
    required: ['id', 'tenant', 'type', 'timestamp'],
  },
  {
    $id: 'EventType',
    type: 'object',
    properties: {
      name: { type: 'string' },
      description: nullable({ type: 'string' }),
      schema: nullable({ type: 'object', additionalProperties: true }),
      createdAt: isoTime,
      updatedAt: isoTime,
    },
    required: ['name', 'createdAt', 'updatedAt'],
  },
  {
    $id: 'CatalogueEntry',
    description:
      'A type of the catalogue as the tenant sees it: registered, or only published (then ' +
      'without description, schema or times of its own)',
    type: 'object',
    properties: {
      name: { type: 'string' },
      registered: { type: 'boolean' },
      description: nullable({ type: 'string' }),
      schema: nullable({ type: 'object', additionalProperties: true }),
      createdAt: isoTime,
      updatedAt: isoTime,
      lastSeenAt: {
        ...nullable(isoTime),
        description: 'When the tenant last published it; null for never',
      },
    },
    required: ['name', 'registered', 'lastSeenAt'],
  },
] as const

/** A list answer: `{ data, nextCursor }`. */
export function pageOf(item: string) {
  return {
    type: 'object',
    properties: {
      data: { type: 'array', items: { $ref: `${item}#` } },
      nextCursor: nullable({ type: 'string' }),
    },
    required: ['data', 'nextCursor'],
  } as const
}

/** `?limit=&cursor=` of every list. */
export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 100 },
  cursor: { type: 'string', maxLength: 200 },
} as const

/** Answers every authenticated route may give besides its own. */
export const problemResponses = {
  '4XX': { $ref: 'Problem#' },
  '5XX': { $ref: 'Problem#' },
} as const

/** A subscription's `config` in a body. */
const configBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // The library checks the whole URL; the scheme here too, so a form hears of it with the rest.
    url: { type: 'string', minLength: 1, maxLength: 2048, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://' },
    contentType: { type: 'string' },
    secret: { type: 'string' },
  },
} as const

/** The create body of a subscription (the update body is the same with nothing required). */
export const subscriptionCreateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...subscriptionFields,
    config: { ...configBody, required: ['url'] },
  },
  required: ['name', 'events', 'config'],
} as const

/** The partial update body: every create field optional, `null` clears, plus `state`. */
export const subscriptionUpdateBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    ...subscriptionFields,
    description: nullable(subscriptionFields.description),
    rateLimit: nullable(subscriptionFields.rateLimit),
    retrySchedule: nullable(subscriptionFields.retrySchedule),
    config: configBody,
    state: { enum: ['active', 'paused'] },
  },
} as const

/** `{id}` path parameters, by the prefix the id must carry. */
export function idParams(prefix: string) {
  return {
    type: 'object',
    properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
    required: ['id'],
    description: `A \`${prefix}_…\` id.`,
  } as const
}
