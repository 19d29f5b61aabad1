import type { FastifyInstance } from 'fastify'
import { NotFoundError } from '../../core/errors.ts'
import type {
  DeliveryStatus,
  Subscription,
  SubscriptionHealth,
  SubscriptionState,
} from '../../core/types.ts'
import type { Hookrelay } from '../../hookrelay.ts'
import { tenantOf } from '../auth.ts'
import {
  idParams,
  pageOf,
  pageQuery,
  problemResponses,
  subscriptionCreateBody,
  subscriptionUpdateBody,
  deliveryStatus,
  subscriptionHealth,
} from '../schemas.ts'
import type { SubscriptionInput, SubscriptionPatch } from '../../core/subscription-input.ts'

const tags = ['subscriptions']
type IdParams = { Params: { id: string } }

/** The subscription `id` if it belongs to `tenant`; another tenant's looks exactly like none. */
export async function ownSubscription(
  hooks: Hookrelay,
  id: string,
  tenant: string,
): Promise<Subscription> {
  const subscription = await hooks.subscriptions.get(id)
  if (subscription.tenant !== tenant) throw new NotFoundError('subscription', id)
  return subscription
}

/** `/webhooks/subscriptions`: the subscription service of ServiceStack and SuperOffice. */
export function subscriptionRoutes(app: FastifyInstance, hooks: Hookrelay): void {
  const base = '/webhooks/subscriptions'

  app.post<{ Body: Omit<SubscriptionInput, 'tenant' | 'createdBy'> }>(
    base,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Create a subscription (the secret is shown only in this answer)',
        body: subscriptionCreateBody,
        response: { 201: { $ref: 'Subscription#' }, ...problemResponses },
      },
    },
    async (request, reply) => {
      const created = await hooks.subscriptions.create({
        ...request.body,
        tenant: tenantOf(request),
        ...(request.principal?.userId ? { createdBy: request.principal.userId } : {}),
      })
      return reply.code(201).send(created)
    },
  )

  app.get<{
    Querystring: {
      name?: string
      event?: string
      state?: SubscriptionState
      health?: SubscriptionHealth
      limit?: number
      cursor?: string
    }
  }>(
    base,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: "The tenant's subscriptions, newest first",
        querystring: {
          type: 'object',
          properties: {
            name: { type: 'string', maxLength: 200 },
            event: { type: 'string', maxLength: 100 },
            state: { enum: ['active', 'paused', 'disabled'] },
            health: subscriptionHealth,
            ...pageQuery,
          },
        },
        response: { 200: pageOf('Subscription'), ...problemResponses },
      },
    },
    (request) => hooks.subscriptions.list({ ...request.query, tenant: tenantOf(request) }),
  )

  app.get<{ Querystring: { event: string } }>(
    `${base}/search`,
    {
      config: { access: 'service' },
      schema: {
        tags,
        summary: 'The active subscribers of an event (for relays)',
        querystring: {
          type: 'object',
          properties: { event: { type: 'string', minLength: 1, maxLength: 100 } },
          required: ['event'],
        },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                subscriptionId: { type: 'string' },
                config: { $ref: 'SubscriptionConfig#' },
              },
            },
          },
          ...problemResponses,
        },
      },
    },
    (request) =>
      hooks.subscriptions.search({ tenant: tenantOf(request), event: request.query.event }),
  )

  app.get<IdParams>(
    `${base}/:id`,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'One subscription with its 100 most recent deliveries, newest first',
        params: idParams('sub'),
        response: {
          200: {
            allOf: [
              { $ref: 'Subscription#' },
              {
                type: 'object',
                properties: { recentDeliveries: { type: 'array', items: { $ref: 'Delivery#' } } },
              },
            ],
          },
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const subscription = await ownSubscription(hooks, request.params.id, tenantOf(request))
      const recent = await hooks.subscriptions.deliveries(subscription.id, { limit: 100 })
      return { ...subscription, recentDeliveries: recent.data }
    },
  )

  app.put<IdParams & { Body: SubscriptionPatch }>(
    `${base}/:id`,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Change some fields; `{config: {url}}` changes only the URL',
        params: idParams('sub'),
        body: subscriptionUpdateBody,
        response: { 200: { $ref: 'Subscription#' }, ...problemResponses },
      },
    },
    async (request) => {
      const { id } = await ownSubscription(hooks, request.params.id, tenantOf(request))
      return hooks.subscriptions.update(id, request.body)
    },
  )

  app.delete<IdParams>(
    `${base}/:id`,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Delete a subscription; its pending deliveries are cancelled',
        params: idParams('sub'),
        response: { 204: { type: 'null' }, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { id } = await ownSubscription(hooks, request.params.id, tenantOf(request))
      await hooks.subscriptions.delete(id)
      return reply.code(204).send()
    },
  )

  app.post<IdParams>(
    `${base}/:id/test`,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Send a ping now and answer what the receiver said',
        params: idParams('sub'),
        response: {
          200: {
            type: 'object',
            properties: {
              success: { type: 'boolean' },
              statusCode: { type: ['integer', 'null'] },
              durationMs: { type: 'integer' },
              response: { type: 'string' },
              error: { type: ['string', 'null'] },
            },
          },
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { id } = await ownSubscription(hooks, request.params.id, tenantOf(request))
      return hooks.subscriptions.test(id)
    },
  )

  app.get<IdParams>(
    `${base}/:id/last-error`,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'The most recent failed attempt (404 when there is none)',
        params: idParams('sub'),
        response: { 200: { $ref: 'Attempt#' }, ...problemResponses },
      },
    },
    async (request) => {
      const { id } = await ownSubscription(hooks, request.params.id, tenantOf(request))
      const attempt = await hooks.subscriptions.lastError(id)
      if (attempt === null) throw new NotFoundError('failed attempt of subscription', id)
      return attempt
    },
  )

  app.get<IdParams>(
    `${base}/:id/secret`,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'The secret that signs now',
        params: idParams('sub'),
        response: {
          200: { type: 'object', properties: { secret: { type: 'string' } }, required: ['secret'] },
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { id } = await ownSubscription(hooks, request.params.id, tenantOf(request))
      return hooks.subscriptions.secret(id)
    },
  )

  app.post<IdParams & { Body: { secret?: string } | undefined }>(
    `${base}/:id/rotate-secret`,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'A new signing secret; the old one keeps signing for 24 h',
        params: idParams('sub'),
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { secret: { type: 'string', minLength: 1, maxLength: 200 } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              secret: { type: 'string' },
              previousExpiresAt: {
                type: ['string', 'null'],
                format: 'date-time',
                description: 'When the replaced secret stops signing; null when none still signs',
              },
            },
            required: ['secret', 'previousExpiresAt'],
          },
          ...problemResponses,
        },
      },
      // The body is optional: a bare POST generates the secret, so give the schema an object.
      preValidation: async (request) => {
        request.body ??= {}
      },
    },
    async (request) => {
      const { id } = await ownSubscription(hooks, request.params.id, tenantOf(request))
      const secret = request.body?.secret
      return hooks.subscriptions.rotateSecret(id, secret === undefined ? {} : { secret })
    },
  )

  app.get<IdParams & { Querystring: { status?: DeliveryStatus; limit?: number; cursor?: string } }>(
    `${base}/:id/deliveries`,
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Its deliveries, newest first, optionally of one status',
        params: idParams('sub'),
        querystring: {
          type: 'object',
          properties: {
            status: deliveryStatus,
            ...pageQuery,
          },
        },
        response: { 200: pageOf('Delivery'), ...problemResponses },
      },
    },
    async (request) => {
      const { id } = await ownSubscription(hooks, request.params.id, tenantOf(request))
      return hooks.subscriptions.deliveries(id, request.query)
    },
  )
}
