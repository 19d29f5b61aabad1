import type { FastifyInstance } from 'fastify'
import type { Hookrelay } from '../../hookrelay.ts'
import { problemResponses } from '../schemas.ts'

const tags = ['admin']
const tenantId = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['id'],
} as const
const apiKey = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    tenant: { type: ['string', 'null'] },
    name: { type: ['string', 'null'] },
    roles: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'roles'],
} as const
const tenant = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'createdAt'],
} as const

/** `/admin`: tenants and their API keys, for admin keys only. */
export function adminRoutes(app: FastifyInstance, hooks: Hookrelay): void {
  app.post<{ Body: { id: string; name?: string } }>(
    '/admin/tenants',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Create a tenant (409 when the id exists)',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            id: { type: 'string', minLength: 1, maxLength: 64 },
            name: { type: 'string', maxLength: 200 },
          },
          required: ['id'],
        },
        response: { 201: tenant, ...problemResponses },
      },
    },
    async (request, reply) => reply.code(201).send(await hooks.tenants.create(request.body)),
  )

  app.get(
    '/admin/tenants',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Every tenant, by id',
        response: {
          200: {
            type: 'object',
            properties: {
              data: { type: 'array', items: tenant },
              nextCursor: { type: 'null' },
            },
            required: ['data', 'nextCursor'],
          },
          ...problemResponses,
        },
      },
    },
    async () => ({ data: await hooks.tenants.list(), nextCursor: null }),
  )

  app.get<{ Params: { id: string } }>(
    '/admin/tenants/:id/keys',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: "A tenant's API keys, oldest first (never the keys themselves)",
        params: tenantId,
        response: {
          200: {
            type: 'object',
            properties: { data: { type: 'array', items: apiKey } },
            required: ['data'],
          },
          ...problemResponses,
        },
      },
    },
    async (request) => {
      await hooks.tenants.get(request.params.id)
      return { data: await hooks.keys.list(request.params.id) }
    },
  )

  app.post<{ Params: { id: string }; Body: { roles: string[]; name?: string } }>(
    '/admin/tenants/:id/keys',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Create an API key for a tenant (the key is shown only in this answer)',
        params: tenantId,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            roles: {
              type: 'array',
              items: { type: 'string', minLength: 1, maxLength: 64 },
              minItems: 1,
              maxItems: 10,
            },
            name: { type: 'string', maxLength: 200 },
          },
          required: ['roles'],
        },
        response: {
          201: {
            type: 'object',
            properties: { ...apiKey.properties, key: { type: 'string' } },
            required: ['id', 'key', 'roles'],
          },
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const created = await hooks.keys.create({ ...request.body, tenant: request.params.id })
      return reply.code(201).send(created)
    },
  )

  app.delete<{ Params: { id: string } }>(
    '/admin/keys/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Delete an API key; it stops working at once',
        params: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
          required: ['id'],
        },
        response: { 204: { type: 'null' }, ...problemResponses },
      },
    },
    async (request, reply) => {
      await hooks.keys.delete(request.params.id)
      return reply.code(204).send()
    },
  )
}
