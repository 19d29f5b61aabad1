import { Ajv } from 'ajv'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { Hookrelay } from '../hookrelay.ts'
import { defaultAuthFailureLimit } from './auth-failures.ts'
import {
  apiKeyAuthenticate,
  type Authenticate,
  authorize,
  defaultRoleNames,
  type RoleNames,
} from './auth.ts'
import { routeNotFound } from './route-not-found.ts'
import { everyFieldValidator } from './field-errors.ts'
import { errorHandler } from './problem.ts'
import { adminRoutes } from './routes/admin.ts'
import { eventTypeRoutes } from './routes/event-types.ts'
import { eventRoutes } from './routes/events.ts'
import { meRoutes } from './routes/me.ts'
import { statsRoutes } from './routes/stats.ts'
import { recoverRoutes } from './routes/recover.ts'
import { subscriptionRoutes } from './routes/subscriptions.ts'
import { schemas } from './schemas.ts'

/** Options of the Fastify plugin (`hookrelay/fastify`). */
export interface HookrelayPluginOptions {
  /** The engine the routes work on. */
  hooks: Hookrelay
  /**
   * Role names, or null to switch role checks off (the host's `authenticate` then decides who
   * may do what). Default is `{ admin: 'admin', user: 'user', service: 'service' }`.
   */
  roles?: Partial<RoleNames> | null
  /**
   * Who a request is from, in place of Hookrelay's API keys: return `{ tenant, userId, roles }`,
   * or null for a 401. Default checks `Authorization: Bearer <api key>`.
   */
  authenticate?: Authenticate
  /** Requests per second per caller; 0 turns the limit off. Default is 1,000. */
  rateLimit?: number
  /**
   * Failed authentications per minute per client address (`request.ip`, so set Fastify's
   * `trustProxy` behind a proxy), `authenticate`'s 401s included: that many in a burst, then
   * evenly over the minute; past it the address gets 429 with `Retry-After`, right credentials
   * too, without them being checked. 0 turns the limit off. Default is 20.
   */
  authFailureLimit?: number
  /** Mount the `/admin` routes (tenants and keys). Default: only with API-key authentication. */
  admin?: boolean
}

/**
 * The REST API as a Fastify plugin, for a host's own app (what ServiceStack's WebhookFeature is
 * for .NET). Its routes answer RFC 9457 problems whatever the host's error handler does.
 *
 * @example
 * await app.register(hookrelayPlugin, {
 *   prefix: '/api', hooks, roles: null,
 *   authenticate: (req) => ({ tenant: req.user.orgId, userId: req.user.id, roles: [] }),
 * })
 */
export const hookrelayPlugin: FastifyPluginAsync<HookrelayPluginOptions> = async (
  app: FastifyInstance,
  options: HookrelayPluginOptions,
) => {
  const { hooks } = options
  for (const schema of schemas) {
    if (app.getSchema(schema.$id) === undefined) app.addSchema(schema)
  }
  // Hookrelay's own validator, whatever the host configured: unknown fields are refused (not
  // silently dropped), a body's every invalid field is reported, and query strings are coerced
  // to the types their schema says.
  const strict = new Ajv({ allErrors: false, removeAdditional: false, strict: false })
  const coercing = new Ajv({ allErrors: false, coerceTypes: 'array', strict: false })
  for (const schema of schemas) {
    strict.addSchema(schema)
    coercing.addSchema(schema)
  }
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? everyFieldValidator(strict, schema) : coercing.compile(schema),
  )
  app.setErrorHandler(errorHandler)
  // Fastify allows one 404 handler per prefix: under its own prefix the plugin answers unknown
  // routes with a problem; without one, the 404 handler is the host's (buildServer sets its own).
  if (app.prefix !== '') {
    app.setNotFoundHandler(routeNotFound)
  }

  const roles = options.roles === null ? null : { ...defaultRoleNames, ...(options.roles ?? {}) }
  app.decorateRequest('principal', null)
  // With API keys, tenants are the ones the admin routes made; the host's own authenticate
  // brings its own tenants, which Hookrelay has never heard of.
  const apiKeys = options.authenticate === undefined
  app.addHook(
    'onRequest',
    authorize({
      authenticate: options.authenticate ?? apiKeyAuthenticate(hooks),
      // A host that authenticates its own way has no API keys: a 401 must not ask for one.
      unidentified:
        options.authenticate === undefined
          ? 'send a valid API key as Authorization: Bearer'
          : "the host app's authenticate did not identify the caller",
      roles,
      rateLimit: options.rateLimit ?? 1_000,
      authFailureLimit: options.authFailureLimit ?? defaultAuthFailureLimit,
      ...(apiKeys ? { tenantExists: (id: string) => hooks.tenants.exists(id) } : {}),
    }),
  )

  subscriptionRoutes(app, hooks)
  recoverRoutes(app, hooks)
  statsRoutes(app, hooks)
  eventRoutes(app, hooks)
  meRoutes(app)
  eventTypeRoutes(app, hooks)
  if (options.admin ?? apiKeys) adminRoutes(app, hooks)
}

export default hookrelayPlugin
