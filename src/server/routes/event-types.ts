import type { FastifyInstance } from 'fastify'
import { NotFoundError } from '../../core/errors.ts'
import type { EventTypeInput } from '../../event-types.ts'
import type { Hookrelay } from '../../hookrelay.ts'
import { problemResponses } from '../schemas.ts'

type NameParams = { Params: { name: string } }
const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
  required: ['name'],
} as const

/** `/webhooks/event-types`: the catalogue of event types, shared by every tenant. */
export function eventTypeRoutes(app: FastifyInstance, hooks: Hookrelay): void {
  app.get(
    '/webhooks/event-types',
    {
      config: { access: 'user' },
      schema: {
        tags: ['event types'],
        summary:
          'The event-type catalogue, with the types the tenant has published but nobody registered',
        response: {
          200: {
            type: 'object',
            properties: {
              data: { type: 'array', items: { $ref: 'CatalogueEntry#' } },
              nextCursor: { type: 'null' },
            },
          },
          ...problemResponses,
        },
      },
    },
    // An admin key without a tenant sees the registered types only.
    async (request) => ({
      data: await hooks.eventTypes.catalogue({ tenant: request.principal?.tenant ?? null }),
      nextCursor: null,
    }),
  )

  app.get<NameParams>(
    '/webhooks/event-types/:name',
    {
      config: { access: 'user' },
      schema: {
        tags: ['event types'],
        summary: 'One event type',
        params: nameParams,
        response: { 200: { $ref: 'EventType#' }, ...problemResponses },
      },
    },
    async (request) => {
      const eventType = await hooks.eventTypes.get(request.params.name)
      if (eventType === null) throw new NotFoundError('event type', request.params.name)
      return eventType
    },
  )

  app.put<NameParams & { Body: Omit<EventTypeInput, 'name'> }>(
    '/webhooks/event-types/:name',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['event types'],
        summary: 'Define or change an event type: a description and an optional JSON Schema',
        params: nameParams,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            description: { type: ['string', 'null'], maxLength: 1000 },
            schema: { type: ['object', 'null'] },
          },
        },
        response: { 200: { $ref: 'EventType#' }, ...problemResponses },
      },
    },
    (request) => hooks.eventTypes.define({ ...request.body, name: request.params.name }),
  )
}
