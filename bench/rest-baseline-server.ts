/**
 * The REST baseline's server: Fastify answering `POST /webhooks/events` with 202 after validating
 * the body against a schema, storing nothing and checking no key — what this machine's cores can
 * do for the HTTP and JSON part of a publish alone. Prints its port on stdout.
 */
import Fastify from 'fastify'

const app = Fastify({ bodyLimit: 1_048_576 })
app.post<{ Body: { type: string } }>(
  '/webhooks/events',
  {
    schema: {
      body: {
        type: 'object',
        properties: { type: { type: 'string' }, data: {}, idempotencyKey: { type: 'string' } },
        required: ['type'],
      },
      response: {
        202: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            type: { type: 'string' },
            deliveries: { type: 'integer' },
          },
        },
      },
    },
  },
  async (request, reply) =>
    reply
      .code(202)
      .send({ id: 'evt_01M85B2YKMC3CTD52C21A53QZQ', type: request.body.type, deliveries: 1 }),
)
await app.listen({ port: Number(process.argv[2] ?? '0'), host: '127.0.0.1' })
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
