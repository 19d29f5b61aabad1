import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify'
import type { Hookrelay } from '../hookrelay.ts'
import type { RoleNames } from './auth.ts'
import { dashboard } from './dashboard.ts'
import { createMetrics } from './metrics.ts'
import { hookrelayPlugin } from './plugin.ts'
import { errorHandler, problem, sendProblem } from './problem.ts'
import { routeNotFound } from './route-not-found.ts'
import { schemas } from './schemas.ts'

/** The most a request body may be: 1 MiB (413 above). */
export const bodyLimit = 1_048_576

/** Options of `buildServer`. */
export interface ServerOptions {
  hooks: Hookrelay
  /** Fastify's logger: a pino instance or options; false for none. Default is false. */
  logger?: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance']
  /** Requests per second per API key; 0 turns the limit off. Default is 1,000. */
  rateLimit?: number
  /**
   * Failed authentications per minute per client address (the socket's), then 429 for that
   * address, right keys too; 0 turns the limit off. Default is 20 (see the plugin's option).
   */
  authFailureLimit?: number
  /**
   * Reverse proxies (addresses or CIDRs) whose `X-Forwarded-For` is believed: the client address
   * the per-address limits count is then the one they forwarded. Default is none (the socket's).
   */
  trustProxy?: string[]
  roles?: Partial<RoleNames>
  /** The `version` of the OpenAPI document. */
  version?: string
  /**
   * `all` (default) serves the REST API too; `operations` only health, readiness and metrics, for
   * a process that only delivers (`hookrelay serve --role worker`).
   */
  routes?: 'all' | 'operations'
  /**
   * While this returns true the process is shutting down: every request, health checks included,
   * is answered 503 with `Retry-After` and `Connection: close`, so clients and load balancers go
   * elsewhere instead of finding the port closed.
   */
  stopping?: () => boolean
}

/** The `Retry-After` of the 503 a stopping server answers: seconds. */
const stoppingRetryAfter = '5'

/**
 * The standalone server's Fastify app: the REST API (the plugin, with API keys), health and
 * readiness, Prometheus metrics, and the OpenAPI document with a docs page. Not listening yet.
 *
 * @example
 * const app = await buildServer({ hooks })
 * await app.listen({ port: 8080 })
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { hooks } = options
  const logger = options.logger ?? false
  const app = Fastify({
    bodyLimit,
    ...(isLoggerInstance(logger) ? { loggerInstance: logger } : { logger }),
    // Clients retry on 5xx; a request id in logs ties their retries together.
    requestIdHeader: 'x-request-id',
    // Fastify's own 503 while closing has no Retry-After and is no problem document: the
    // `stopping` hook answers those requests instead.
    return503OnClosing: options.stopping === undefined,
    ...(options.trustProxy === undefined || options.trustProxy.length === 0
      ? {}
      : { trustProxy: options.trustProxy }),
    // A line per request at thousands a second drowns what matters; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
  })
  for (const schema of schemas) app.addSchema(schema)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(routeNotFound)
  const { stopping } = options
  if (stopping !== undefined) {
    app.addHook('onRequest', async (request, reply) => {
      if (!stopping()) return
      reply.header('retry-after', stoppingRetryAfter).header('connection', 'close')
      return sendProblem(
        reply,
        problem(request, 503, 'closed', 'the server is shutting down; try again shortly'),
      )
    })
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Hookrelay',
        version: options.version ?? '0.1.0',
        description:
          'Webhooks: subscriptions, signed deliveries, retries and an attempt log. Authenticate ' +
          'with `Authorization: Bearer <api key>`; errors are RFC 9457 problem details.',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ apiKey: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  if (options.routes !== 'operations') {
    await app.register(hookrelayPlugin, {
      hooks,
      ...(options.roles === undefined ? {} : { roles: options.roles }),
      rateLimit: options.rateLimit ?? 1_000,
      ...(options.authFailureLimit === undefined
        ? {}
        : { authFailureLimit: options.authFailureLimit }),
    })
    await app.register(dashboard)
  }

  const metrics = createMetrics(hooks)
  app.addHook('onClose', () => metrics.stop())
  const operations = { tags: ['operations'], security: [] }

  const status = (values: string[]) => ({
    type: 'object',
    properties: { status: { enum: values } },
    required: ['status'],
  })
  app.get(
    '/healthz',
    {
      schema: { ...operations, summary: 'The process is up', response: { 200: status(['ok']) } },
    },
    async () => ({ status: 'ok' }),
  )
  app.get(
    '/readyz',
    {
      schema: {
        ...operations,
        summary: 'The store answers (503 when it does not)',
        response: { 200: status(['ready']), 503: status(['unavailable']) },
      },
    },
    async (request, reply) => {
      try {
        await hooks.store.ping()
        return { status: 'ready' }
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed')
        return reply.code(503).send({ status: 'unavailable' })
      }
    },
  )
  app.get(
    '/metrics',
    {
      schema: {
        ...operations,
        summary: 'Prometheus metrics',
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text format 0.0.4' } },
      },
    },
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()),
  )
  app.get(
    '/openapi.json',
    { schema: { ...operations, summary: 'This OpenAPI document', hide: true } },
    async () => app.swagger(),
  )
  return app
}

function isLoggerInstance(
  logger: NonNullable<ServerOptions['logger']>,
): logger is NonNullable<FastifyServerOptions['loggerInstance']> {
  return typeof logger === 'object' && typeof (logger as { child?: unknown }).child === 'function'
}
