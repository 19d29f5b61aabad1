import type { FastifyInstance } from 'fastify'

/** The dashboard at `/`: static files from `src/dashboard/` (to be written). */
export async function dashboard(app: FastifyInstance): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html').send('<!doctype html><title>Hookrelay</title><p>Dashboard coming.'),
  )
}
