import type { FastifyInstance } from 'fastify'
import { problemResponses } from '../schemas.ts'

/** `GET /webhooks/me`: who the caller is, so a client can tell an admin key from a tenant's. */
export function meRoutes(app: FastifyInstance): void {
  app.get(
    '/webhooks/me',
    {
      config: { access: 'authenticated' },
      schema: {
        tags: ['keys'],
        summary: 'The tenant and roles of the calling key',
        response: {
          200: {
            type: 'object',
            properties: {
              tenant: { type: ['string', 'null'], description: 'null for admin keys' },
              roles: { type: 'array', items: { type: 'string' } },
              keyId: { type: ['string', 'null'] },
            },
            required: ['tenant', 'roles', 'keyId'],
          },
          ...problemResponses,
        },
      },
    },
    async (request) => ({
      tenant: request.principal?.tenant ?? null,
      roles: request.principal?.roles ?? [],
      keyId: request.principal?.userId ?? null,
    }),
  )
}
