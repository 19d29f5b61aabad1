import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { HookrelayError, ValidationError } from '../core/errors.ts'

/**
 * The stable `code`s the REST API answers with, beside the library's error codes: one per kind
 * of problem, never reused for another meaning.
 */
export type ProblemCode =
  | HookrelayError['code']
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'tenant_not_found'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_json'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'internal'

/** One invalid field of a request. */
export interface FieldProblem {
  /** A dotted path: `config.url`, `events[1]`. */
  field: string
  message: string
  /** The JSON Schema keyword that failed (`minLength`, `pattern`, …); absent for other checks. */
  keyword?: string
  /** That keyword's parameters, as ajv gives them: `{ limit: 1 }`, `{ missingProperty: 'name' }`. */
  params?: Record<string, unknown>
}

/** An RFC 9457 problem details object. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: ProblemCode
  /** The (first) field the problem is about. */
  field?: string
  /** Every invalid field, when the input was refused: a form marks them all at once. */
  errors?: FieldProblem[]
  instance: string
}

const titles: Record<ProblemCode, string> = {
  invalid_input: 'Invalid input',
  not_found: 'Not found',
  duplicate_subscription: 'Duplicate subscription',
  conflict: 'Conflict',
  unsafe_url: 'URL not allowed',
  schema_mismatch: 'Data does not match the event type schema',
  closed: 'Shutting down',
  unavailable: 'Database unavailable',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  rate_limited: 'Too many requests',
  tenant_not_found: 'No such tenant',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  invalid_json: 'Invalid JSON',
  route_not_found: 'No such route',
  method_not_allowed: 'Method not allowed',
  internal: 'Internal error',
}

const statusOfCode: Record<HookrelayError['code'], number> = {
  invalid_input: 400,
  schema_mismatch: 400,
  unsafe_url: 400,
  not_found: 404,
  duplicate_subscription: 409,
  conflict: 409,
  closed: 503,
  unavailable: 503,
}

// A lost database connection is usually back within a second or two (a restart, a failover), so
// clients are told to come back soon rather than to give up.
const headersOfCode: Partial<Record<HookrelayError['code'], Record<string, string>>> = {
  unavailable: { 'retry-after': '1' },
}

/** An error the routes throw to answer with a problem that is not a library error. */
export class HttpProblem extends Error {
  override name = 'HttpProblem'
  readonly status: number
  readonly code: ProblemCode
  readonly headers: Record<string, string>

  constructor(status: number, code: ProblemCode, detail: string, headers = {}) {
    super(detail)
    this.status = status
    this.code = code
    this.headers = headers
  }
}

/** Builds the problem object for `code` at the request's URL. */
export function problem(
  request: FastifyRequest,
  status: number,
  code: ProblemCode,
  detail: string,
  field?: string,
  errors?: FieldProblem[],
): Problem {
  return {
    type: `urn:hookrelay:problem:${code}`,
    title: titles[code],
    status,
    detail,
    code,
    ...(field === undefined ? {} : { field }),
    ...(errors === undefined ? {} : { errors }),
    instance: request.url,
  }
}

/** Sends a problem as `application/problem+json`. */
export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(body)
}

/**
 * The one place errors become HTTP answers: library errors by their code, Fastify's own
 * (validation, body limit, bad JSON) by theirs; anything else is logged with its stack and
 * answers a bare 500.
 */
export function errorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof HttpProblem) {
    reply.headers(error.headers)
    return sendProblem(reply, problem(request, error.status, error.code, error.message))
  }
  if (error instanceof HookrelayError) {
    const status = statusOfCode[error.code]
    const headers = headersOfCode[error.code]
    if (headers !== undefined) reply.headers(headers)
    if (!(error instanceof ValidationError)) {
      return sendProblem(reply, problem(request, status, error.code, error.message))
    }
    // The library stops at the first bad field; its message is `field: what is wrong`.
    const { field } = error
    const errors = [{ field, message: error.message.slice(field.length + 2) }]
    return sendProblem(reply, problem(request, status, error.code, error.message, field, errors))
  }
  const fastifyError = error as FastifyError
  if (fastifyError.validation !== undefined) {
    const errors = fastifyError.validation.map((e): FieldProblem => ({
      field: fieldOf(e, fastifyError.validationContext),
      message: e.message ?? 'invalid',
      keyword: e.keyword,
      params: e.params,
    }))
    const first = errors[0]
    if (first === undefined) {
      const field = fastifyError.validationContext ?? 'body'
      return sendProblem(reply, problem(request, 400, 'invalid_input', error.message, field))
    }
    const detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ')
    return sendProblem(reply, problem(request, 400, 'invalid_input', detail, first.field, errors))
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return sendProblem(
        reply,
        problem(request, 413, 'payload_too_large', 'the request body is over the limit of 1 MiB'),
      )
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return sendProblem(
        reply,
        problem(request, 415, 'unsupported_media_type', 'send the body as application/json'),
      )
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return sendProblem(reply, problem(request, 400, 'invalid_json', error.message))
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return sendProblem(reply, problem(request, 400, 'invalid_json', error.message))
  }
  request.log.error({ err: error }, 'request failed')
  return sendProblem(reply, problem(request, 500, 'internal', 'an unexpected error happened'))
}

/** `config.url`-style path of the field an ajv error is about. */
function fieldOf(
  error: { instancePath?: string; params?: Record<string, unknown> } | undefined,
  context: string | undefined,
): string {
  if (error === undefined) return context ?? 'body'
  const parts = (error.instancePath ?? '')
    .split('/')
    .filter((p) => p !== '')
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
  const missing = error.params?.missingProperty ?? error.params?.additionalProperty
  if (typeof missing === 'string') parts.push(`.${missing}`)
  const path = parts.join('').replace(/^\./, '')
  return path === '' ? (context ?? 'body') : path
}
