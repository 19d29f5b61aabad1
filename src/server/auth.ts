import type { FastifyRequest } from 'fastify'
import { tenantOf as validTenant } from '../core/validate.ts'
import { TokenBucket } from '../delivery/token-bucket.ts'
import type { Hookrelay } from '../hookrelay.ts'
import { AuthFailureLimit } from './auth-failures.ts'
import { HttpProblem } from './problem.ts'

/** The three roles of the REST API, by what they may do. */
export type Role = 'admin' | 'user' | 'service'

/**
 * The name each role has in keys (or in the host's `authenticate` answers). Default is the role
 * itself; a host whose users carry `webhooks:manage` can map `user` to that.
 */
export type RoleNames = Record<Role, string>

/** Default role names: `admin`, `user`, `service`. */
export const defaultRoleNames: RoleNames = { admin: 'admin', user: 'user', service: 'service' }

/** Who is calling: from an API key, or from the host's `authenticate`. */
export interface Principal {
  /** The tenant every object of the request belongs to; null for admin keys. */
  tenant: string | null
  /** Recorded as `createdBy` on subscriptions; the key id for API keys. */
  userId: string | null
  roles: string[]
}

/**
 * The host's own authentication, in place of API keys: answer who the request is from, or null
 * for a 401.
 */
export type Authenticate = (request: FastifyRequest) => Principal | null | Promise<Principal | null>

/**
 * Which routes need which role; `authenticated` ones any valid credentials, `public` ones none.
 * The admin role may call every route.
 */
export type RouteAccess = Role | 'authenticated' | 'public'

/**
 * The header with which an admin key acts for one tenant (the dashboard's tenant picker). Only
 * callers with the admin role may send it; others get a 403. With API keys, a tenant that does
 * not exist answers 404 `tenant_not_found`.
 */
export const tenantHeader = 'hookrelay-tenant'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every non-public route. */
    principal: Principal | null
  }
  interface FastifyContextConfig {
    /** The role a route needs (`public`: none). */
    access?: RouteAccess
  }
}

/** Authenticates with `Authorization: Bearer <api key>` against the engine's stored keys. */
export function apiKeyAuthenticate(hooks: Hookrelay): Authenticate {
  return async (request) => {
    const header = request.headers.authorization
    if (header === undefined) return null
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (match === null) return null
    const key = await hooks.keys.verify(match[1]!)
    if (key === null) return null
    return { tenant: key.tenant, userId: key.id, roles: key.roles }
  }
}

/** Options of `authorize`. */
export interface AuthorizeOptions {
  authenticate: Authenticate
  /** The detail of a 401, when `authenticate` answers null: what identifies a caller. */
  unidentified: string
  /** Null switches role checks off (the host's `authenticate` decides everything). */
  roles: RoleNames | null
  /** Requests per second per caller; 0 turns the limit off. */
  rateLimit: number
  /**
   * Failed authentications (401s) per minute per client address, as a burst, then refilled
   * evenly; 0 turns the limit off. See `AuthFailureLimit`.
   */
  authFailureLimit: number
  /**
   * Whether the tenant named by `Hookrelay-Tenant` exists (404 `tenant_not_found` if not).
   * Undefined takes any tenant id: with the host's `authenticate`, tenants are the host's.
   */
  tenantExists?: (id: string) => Promise<boolean>
}

/**
 * The `onRequest` hook of every REST route: refuses an address over its failed-authentication
 * budget (429 with `Retry-After`, before looking at its credentials), authenticates (401), checks
 * the route's role (403) and the caller's rate limit (429 with `Retry-After`).
 */
export function authorize(options: AuthorizeOptions) {
  const buckets = new Map<string, TokenBucket>()
  const failures =
    options.authFailureLimit > 0 ? new AuthFailureLimit(options.authFailureLimit) : null
  return async (request: FastifyRequest): Promise<void> => {
    const access = request.routeOptions.config.access ?? 'user'
    request.principal = null
    if (access === 'public') return
    let principal = await identify(request, options, failures)
    const isAdmin = options.roles !== null && principal.roles.includes(options.roles.admin)
    if (
      options.roles !== null &&
      access !== 'authenticated' &&
      !isAdmin &&
      !principal.roles.includes(options.roles[access])
    ) {
      throw new HttpProblem(403, 'forbidden', `this route needs the ${options.roles[access]} role`)
    }
    if (options.rateLimit > 0) {
      const who = `${principal.tenant ?? ''}\u0000${principal.userId ?? ''}`
      let bucket = buckets.get(who)
      if (bucket === undefined) {
        if (buckets.size >= 100_000) buckets.clear()
        bucket = new TokenBucket(options.rateLimit)
        buckets.set(who, bucket)
      }
      const waitMs = bucket.take()
      if (waitMs > 0) {
        throw new HttpProblem(429, 'rate_limited', `over ${options.rateLimit} requests a second`, {
          'retry-after': String(Math.ceil(waitMs / 1000)),
        })
      }
    }
    // After the rate limit, which is the key's own whichever tenant it acts for.
    const actingFor = request.headers[tenantHeader]
    if (actingFor !== undefined) {
      if (!isAdmin || principal.tenant !== null) {
        throw new HttpProblem(403, 'forbidden', `only admin keys may send ${tenantHeader}`)
      }
      const tenant = validTenant(actingFor, 'Hookrelay-Tenant')
      // Acting for a mistyped tenant would otherwise show an empty tenant, or write into one.
      if (options.tenantExists !== undefined && !(await options.tenantExists(tenant))) {
        throw new HttpProblem(404, 'tenant_not_found', `no tenant "${tenant}" exists`)
      }
      principal = { ...principal, tenant }
    }
    request.principal = principal
  }
}

/**
 * Who the request is from, or a 401; with a failure limit, a 429 instead while the client's
 * address is over its budget, and the 401 counts against it. The host's `authenticate` is limited
 * the same way: its checks (a session store, a token's signature) cost as much to flood. An
 * `authenticate` that throws (the database is unreachable) judged nothing and costs no budget.
 */
async function identify(
  request: FastifyRequest,
  options: AuthorizeOptions,
  failures: AuthFailureLimit | null,
): Promise<Principal> {
  const admission = failures === null ? null : await failures.admit(request.ip ?? '')
  if (admission !== null && !admission.admitted) {
    const seconds = Math.ceil(admission.retryAfterMs / 1000)
    throw new HttpProblem(
      429,
      'rate_limited',
      `too many failed authentications from this address; try again in ${seconds} s`,
      { 'retry-after': String(seconds) },
    )
  }
  let principal: Principal | null
  try {
    principal = await options.authenticate(request)
  } catch (err) {
    admission?.settle('not-judged')
    throw err
  }
  admission?.settle(principal === null ? 'failed' : 'passed')
  if (principal === null) {
    throw new HttpProblem(401, 'unauthorized', options.unidentified, {
      'www-authenticate': 'Bearer',
    })
  }
  return principal
}

/** The tenant of the caller; admin keys have none and are refused tenant routes. */
export function tenantOf(request: FastifyRequest): string {
  const tenant = request.principal?.tenant ?? null
  if (tenant === null) {
    throw new HttpProblem(
      403,
      'forbidden',
      'this route needs a tenant key, or an admin key with a Hookrelay-Tenant header',
    )
  }
  return tenant
}
