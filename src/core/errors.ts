/**
 * The stable error codes of Hookrelay. A code is never reused for another meaning; the REST API
 * sends it as the `code` of its problem details. `closed`: the store was closed by this process.
 * `unavailable`: the database cannot be reached or the connection dropped (a restart, a network
 * fault); transient, so the same call may succeed a moment later (the REST API answers 503 with
 * `Retry-After: 1`).
 */
export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'duplicate_subscription'
  | 'conflict'
  | 'unsafe_url'
  | 'schema_mismatch'
  | 'closed'
  | 'unavailable'

/** Base class of every error Hookrelay throws on purpose. Match on `code`, not on the message. */
export class HookrelayError extends Error {
  override name = 'HookrelayError'
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/**
 * Input that breaks a rule: `field` names the offending field with a dotted path
 * (`config.url`, `events[1]`). Nothing was written.
 *
 * @example
 * try { await hooks.subscriptions.create(input) }
 * catch (err) { if (err instanceof ValidationError) console.log(err.field) }
 */
export class ValidationError extends HookrelayError {
  override name = 'ValidationError'
  readonly field: string

  constructor(field: string, message: string, code: ErrorCode = 'invalid_input') {
    super(code, `${field}: ${message}`)
    this.field = field
  }
}

/** The object does not exist (or belongs to another tenant, which looks the same from outside). */
export class NotFoundError extends HookrelayError {
  override name = 'NotFoundError'
  readonly resource: string
  readonly id: string

  constructor(resource: string, id: string) {
    super('not_found', `${resource} ${id} not found`)
    this.resource = resource
    this.id = id
  }
}

/**
 * The write would break a uniqueness rule. `code` is `duplicate_subscription` when the tenant
 * already has a subscription with the same URL for an overlapping event.
 */
export class ConflictError extends HookrelayError {
  override name = 'ConflictError'
  readonly existingId: string | undefined

  constructor(code: 'duplicate_subscription' | 'conflict', message: string, existingId?: string) {
    super(code, message)
    this.existingId = existingId
  }
}

/** The URL points at an address the SSRF guard refuses. The message never names the address. */
export class UnsafeUrlError extends HookrelayError {
  override name = 'UnsafeUrlError'

  constructor(message: string) {
    super('unsafe_url', message)
  }
}

/**
 * The database cannot be reached, or the connection dropped mid-call (`code` `unavailable`);
 * `cause` is the driver's error. Transient: retry the call later. A write that failed this way may
 * still have committed just before the connection dropped, so retry publishes with an
 * `idempotencyKey`.
 */
export class UnavailableError extends HookrelayError {
  override name = 'UnavailableError'

  constructor(options?: ErrorOptions) {
    super('unavailable', 'the database is unavailable; try again shortly', options)
  }
}
