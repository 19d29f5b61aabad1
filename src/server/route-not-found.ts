import type { FastifyRequest } from 'fastify'
import { HttpProblem } from './problem.ts'

/**
 * The not-found handler of the REST API: a path that has routes, called with another method,
 * answers 405 with `Allow` listing the methods it takes (RFC 9110); any other path a 404. Both
 * are problems.
 */
export function routeNotFound(request: FastifyRequest): never {
  const app = request.server
  // The router is one for the whole app, so a plugin under a prefix finds its own routes here.
  const allowed = app.supportedMethods.filter(
    (method) => app.findRoute({ method, url: request.url }) !== null,
  )
  if (allowed.length > 0) {
    const allow = allowed.join(', ')
    throw new HttpProblem(
      405,
      'method_not_allowed',
      `${request.method} is not allowed on this path; it takes ${allow}`,
      { allow },
    )
  }
  throw new HttpProblem(404, 'route_not_found', 'no route matches this method and path')
}
