import type { FastifyInstance } from 'fastify'
import type { Hookrelay } from '../../hookrelay.ts'
import { tenantOf } from '../auth.ts'
import { eventTimeRange, idParams, problemResponses } from '../schemas.ts'
import { ownSubscription } from './subscriptions.ts'

const tags = ['subscriptions']
type Range = { since: string | number; until?: string | number }

const rangeBody = {
  type: 'object',
  additionalProperties: false,
  properties: eventTimeRange,
  required: ['since'],
} as const

const rangeOf = ({ since, until }: Range) => (until === undefined ? { since } : { since, until })

/**
 * The recovery after an outage: send again, now, what did not succeed (failed, retrying or
 * cancelled deliveries, and events missed while paused or disabled), of one subscription or of
 * every active one of the tenant.
 */
export function recoverRoutes(app: FastifyInstance, hooks: Hookrelay): void {
  const base = '/webhooks/subscriptions'

  app.post<{ Params: { id: string }; Body: Range }>(
    `${base}/:id/recover`,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary:
          'Send again now its deliveries that did not succeed (failed, retrying, cancelled) and ' +
          'the events it missed, since a time',
        params: idParams('sub'),
        body: rangeBody,
        response: {
          200: { type: 'object', properties: { queued: { type: 'integer' } } },
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { id } = await ownSubscription(hooks, request.params.id, tenantOf(request))
      return hooks.subscriptions.recover(id, rangeOf(request.body))
    },
  )

  app.post<{ Body: Range }>(
    `${base}/recover`,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary:
          'The same for every active subscription of the tenant; paused and disabled ones are ' +
          'skipped and listed',
        body: rangeBody,
        response: {
          200: {
            type: 'object',
            properties: {
              queued: { type: 'integer' },
              subscriptions: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    queued: { type: 'integer' },
                    skipped: { enum: ['paused', 'disabled'] },
                  },
                  required: ['id'],
                },
              },
            },
          },
          ...problemResponses,
        },
      },
    },
    (request) =>
      hooks.subscriptions.recoverAll({ tenant: tenantOf(request), ...rangeOf(request.body) }),
  )
}
