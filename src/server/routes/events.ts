import type { FastifyInstance } from 'fastify'
import { NotFoundError } from '../../core/errors.ts'
import type { EntityChangeInput, PublishInput } from '../../core/event-input.ts'
import {
  type EventListQuery,
  type EventRetryQuery,
  maxRetriedDeliveries,
} from '../../events-api.ts'
import type { Hookrelay } from '../../hookrelay.ts'
import { tenantOf } from '../auth.ts'
import { deliveryStatuses } from '../../core/delivery-status.ts'
import {
  deliveryStatus,
  eventTimeRange,
  idParams,
  pageQuery,
  problemResponses,
} from '../schemas.ts'

type IdParams = { Params: { id: string } }

const accepted = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    deliveries: { type: 'integer', description: 'How many subscriptions it will be delivered to' },
  },
  required: ['id', 'type', 'deliveries'],
} as const

/** Publishing (`/webhooks/events`, `/webhooks/entity-changes`), event history and retries. */
export function eventRoutes(app: FastifyInstance, hooks: Hookrelay): void {
  app.post<{ Body: Omit<PublishInput, 'tenant'> }>(
    '/webhooks/events',
    {
      config: { access: 'service' },
      schema: {
        tags: ['events'],
        summary: 'Publish an event: 202 once it and its deliveries are committed',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: { type: 'string', minLength: 1, maxLength: 100 },
            data: {},
            idempotencyKey: { type: 'string', minLength: 1, maxLength: 200 },
          },
          required: ['type'],
        },
        response: { 202: accepted, ...problemResponses },
      },
    },
    async (request, reply) => {
      const event = await hooks.publish({ ...request.body, tenant: tenantOf(request) })
      return reply.code(202).send(event)
    },
  )

  app.post<{ Body: Omit<EntityChangeInput, 'tenant'> }>(
    '/webhooks/entity-changes',
    {
      config: { access: 'service' },
      schema: {
        tags: ['events'],
        summary: 'Publish an entity change as the event `<entity>.<action>`',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            entity: { type: 'string', minLength: 1, maxLength: 100 },
            id: { type: ['string', 'integer'] },
            action: { type: 'string', minLength: 1, maxLength: 100 },
            changes: { type: 'array', items: { type: 'string' }, maxItems: 1000 },
            fieldValues: { type: 'object' },
            actor: { type: ['string', 'integer'] },
            idempotencyKey: { type: 'string', minLength: 1, maxLength: 200 },
          },
          required: ['entity', 'id', 'action'],
        },
        response: { 202: accepted, ...problemResponses },
      },
    },
    async (request, reply) => {
      const event = await hooks.entityChanged({ ...request.body, tenant: tenantOf(request) })
      return reply.code(202).send(event)
    },
  )

  app.get<{ Querystring: Omit<EventListQuery, 'tenant'> }>(
    '/webhooks/events',
    {
      config: { access: 'user' },
      schema: {
        tags: ['events'],
        summary: "The tenant's events, newest first, each with its delivery counts",
        querystring: {
          type: 'object',
          properties: {
            type: { type: 'string', maxLength: 100 },
            since: { type: 'string', maxLength: 40, description: 'At or after this ISO 8601 time' },
            until: { type: 'string', maxLength: 40, description: 'Before this ISO 8601 time' },
            status: {
              enum: deliveryStatus.enum,
              description:
                'Events with at least one delivery in this status; failed ("has failed") also ' +
                'matches retrying, a delivery that failed and waits for its next attempt',
            },
            ...pageQuery,
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              data: {
                type: 'array',
                items: {
                  allOf: [
                    { $ref: 'Event#' },
                    {
                      type: 'object',
                      properties: {
                        deliveryCounts: {
                          type: 'object',
                          properties: Object.fromEntries(
                            deliveryStatuses.map((status) => [status, { type: 'integer' }]),
                          ),
                        },
                      },
                    },
                  ],
                },
              },
              nextCursor: { type: ['string', 'null'] },
            },
            required: ['data', 'nextCursor'],
          },
          ...problemResponses,
        },
      },
    },
    (request) => hooks.events.list({ ...request.query, tenant: tenantOf(request) }),
  )

  app.get<IdParams>(
    '/webhooks/events/:id',
    {
      config: { access: 'user' },
      schema: {
        tags: ['events'],
        summary: 'One event with its deliveries and every attempt',
        params: idParams('evt'),
        response: {
          200: {
            allOf: [
              { $ref: 'Event#' },
              {
                type: 'object',
                properties: {
                  deliveries: { type: 'array', items: { $ref: 'Delivery#' } },
                  attempts: { type: 'array', items: { $ref: 'Attempt#' } },
                },
              },
            ],
          },
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const tenant = tenantOf(request)
      const event = await hooks.events.get(request.params.id)
      if (event.tenant !== tenant) throw new NotFoundError('event', request.params.id)
      return event
    },
  )

  app.post<{ Body: Omit<EventRetryQuery, 'tenant'> }>(
    '/webhooks/events/retry',
    {
      config: { access: 'user' },
      schema: {
        tags: ['events'],
        summary:
          'Send again now the failed and retrying deliveries of the events a filter selects, ' +
          `of active subscriptions; at most ${maxRetriedDeliveries.toLocaleString('en')} a call`,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            type: { type: 'string', maxLength: 100 },
            ...eventTimeRange,
            status: {
              enum: deliveryStatus.enum,
              description:
                'Only deliveries in this status: failed (also matches retrying) or retrying; ' +
                'any other is refused, as only failed or retrying deliveries can be retried',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              queued: { type: 'integer', description: 'Deliveries queued again, sent now' },
              skipped: {
                type: 'integer',
                description: 'Deliveries left because their subscription is not active',
              },
              more: {
                type: 'boolean',
                description: 'The most one call queues were queued: call again for the rest',
              },
            },
            required: ['queued', 'skipped', 'more'],
          },
          ...problemResponses,
        },
      },
    },
    (request) => hooks.events.retry({ ...request.body, tenant: tenantOf(request) }),
  )

  app.post<IdParams>(
    '/webhooks/deliveries/:id/retry',
    {
      config: { access: 'user' },
      schema: {
        tags: ['deliveries'],
        summary: 'Send one delivery again now, as a manual attempt',
        params: idParams('dlv'),
        response: { 200: { $ref: 'Attempt#' }, ...problemResponses },
      },
    },
    async (request) => {
      const tenant = tenantOf(request)
      const delivery = await hooks.deliveries.get(request.params.id)
      if (delivery.tenant !== tenant) throw new NotFoundError('delivery', request.params.id)
      return hooks.deliveries.retry(delivery.id)
    },
  )
}
