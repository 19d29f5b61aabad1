import type { FastifyInstance } from 'fastify'
import type { Hookrelay } from '../../hookrelay.ts'
import { tenantOf } from '../auth.ts'
import { idParams, problemResponses } from '../schemas.ts'
import { ownSubscription } from './subscriptions.ts'

const tags = ['subscriptions']
const count = { type: 'integer' } as const
const time = { type: 'string', format: 'date-time' } as const
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const
const rate = { type: ['number', 'null'], description: '0–1; null without attempts' } as const
const percentiles = { p50: count, p95: count, p99: count } as const
const hoursQuery = {
  type: 'object',
  properties: { hours: { type: 'integer', minimum: 1, maximum: 168, default: 24 } },
} as const

const subscriptionStats = {
  type: 'object',
  properties: {
    subscriptionId: { type: 'string' },
    since: time,
    until: time,
    totals: {
      type: 'object',
      properties: { attempts: count, succeeded: count, failed: count, successRate: rate },
    },
    lastAttemptAt: nullableTime,
    perMinute: {
      type: 'array',
      description: 'Attempts per minute by outcome, oldest first; empty minutes left out',
      items: {
        type: 'object',
        properties: { minute: time, succeeded: count, failed: count },
      },
    },
    latency: {
      type: ['object', 'null'],
      description: 'Attempt durations in ms over the window',
      properties: percentiles,
    },
    latencyPerHour: {
      type: 'array',
      items: { type: 'object', properties: { hour: time, attempts: count, ...percentiles } },
    },
    truncated: {
      type: 'boolean',
      description: 'More attempts than one answer reads (100,000): the oldest are left out',
    },
  },
  required: ['subscriptionId', 'totals', 'perMinute', 'latencyPerHour'],
} as const

const summaries = {
  type: 'object',
  properties: {
    data: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          subscriptionId: { type: 'string' },
          attempts: count,
          succeeded: count,
          failed: count,
          successRate: rate,
          lastAttemptAt: nullableTime,
          lastStatusCode: { type: ['integer', 'null'] },
        },
      },
    },
  },
  required: ['data'],
} as const

type Hours = { Querystring: { hours?: number } }

/** Statistics from the attempt log, for the dashboard's list and charts. */
export function statsRoutes(app: FastifyInstance, hooks: Hookrelay): void {
  app.get<Hours>(
    '/webhooks/subscriptions/stats',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Success rate and last attempt of every subscription with attempts lately',
        querystring: hoursQuery,
        response: { 200: summaries, ...problemResponses },
      },
    },
    async (request) => ({
      data: await hooks.stats.subscriptions({ ...request.query, tenant: tenantOf(request) }),
    }),
  )

  app.get<Hours & { Params: { id: string } }>(
    '/webhooks/subscriptions/:id/stats',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Attempts per minute by outcome and latency percentiles over the last hours',
        params: idParams('sub'),
        querystring: hoursQuery,
        response: { 200: subscriptionStats, ...problemResponses },
      },
    },
    async (request) => {
      const { id } = await ownSubscription(hooks, request.params.id, tenantOf(request))
      return hooks.stats.subscription(id, request.query)
    },
  )
}
