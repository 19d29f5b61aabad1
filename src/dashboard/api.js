// @ts-check
import { loadSession } from './session.js'

/** @typedef {import('./types.js').Subscription} Subscription */
/** @typedef {import('./types.js').Delivery} Delivery */
/** @typedef {import('./types.js').Attempt} Attempt */
/** @typedef {import('./types.js').WebhookEvent} WebhookEvent */
/** @typedef {import('./types.js').EventDetail} EventDetail */
/** @typedef {import('./types.js').EventType} EventType */
/** @typedef {import('./types.js').Tenant} Tenant */
/** @typedef {import('./types.js').Me} Me */
/** @typedef {import('./types.js').PingResult} PingResult */
/** @typedef {import('./types.js').FieldProblem} FieldProblem */
/** @typedef {import('./types.js').StatsRow} StatsRow */
/** @typedef {import('./types.js').SubscriptionStats} SubscriptionStats */
/**
 * @template T
 * @typedef {import('./types.js').Page<T>} Page
 */
/** @typedef {Record<string, string | number | null | undefined>} Query */

/**
 * A failed API call: the RFC 9457 problem's `code`, `detail`, and `field` and `errors` (every
 * invalid field) when it sent them.
 */
export class ApiError extends Error {
  /**
   * @param {number} status 0 when the server could not be reached
   * @param {string} code
   * @param {string} detail
   * @param {string | undefined} [field]
   * @param {FieldProblem[]} [errors]
   */
  constructor(status, code, detail, field, errors = []) {
    super(detail)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.field = field
    this.errors = errors
  }
}

/** @type {() => void} */
let onUnauthorized = () => {}

/**
 * Sets what happens when the key stops working (401): the app signs out.
 *
 * @param {() => void} handler
 */
export function whenUnauthorized(handler) {
  onUnauthorized = handler
}

/**
 * Calls the REST API with the session's key (and, for an admin key, its chosen tenant). Answers
 * the parsed JSON, or throws an ApiError.
 *
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, query?: Query, signal?: AbortSignal, key?: string }} [options]
 * @returns {Promise<any>}
 */
export async function call(method, path, options = {}) {
  const session = loadSession()
  const key = options.key ?? session?.key
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' }
  if (key !== undefined) headers.authorization = `Bearer ${key}`
  // Admin keys act for a tenant only on tenant routes; the admin routes must not be scoped.
  if (session?.admin && session.tenant !== null && path.startsWith('/webhooks/')) {
    headers['hookrelay-tenant'] = session.tenant
  }
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  /** @type {Response} */
  let response
  try {
    response = await fetch(path + queryString(options.query), {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err
    throw new ApiError(0, 'network', 'cannot reach the Hookrelay server; is it running?')
  }
  const text = await response.text()
  const body = text === '' ? null : parse(text)
  if (response.ok) return body
  if (response.status === 401 && options.key === undefined) onUnauthorized()
  const detail =
    typeof body?.detail === 'string' ? body.detail : `${response.status} ${response.statusText}`
  const errors = Array.isArray(body?.errors) ? body.errors : []
  throw new ApiError(response.status, String(body?.code ?? 'http'), detail, body?.field, errors)
}

/** @param {string} text */
function parse(text) {
  try {
    return JSON.parse(text)
  } catch {
    return { detail: text.slice(0, 200) }
  }
}

/**
 * The defined, non-empty values of `query`.
 *
 * @param {Query} query
 * @returns {Record<string, string | number>}
 */
function definedOnly(query) {
  /** @type {Record<string, string | number>} */
  const defined = {}
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') defined[name] = value
  }
  return defined
}

/**
 * `?a=1&b=2` from the defined, non-empty values of `query`.
 *
 * @param {Query | undefined} query
 */
function queryString(query) {
  if (query === undefined) return ''
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(definedOnly(query))) params.set(name, String(value))
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

const subs = '/webhooks/subscriptions'
/** @param {string} id */
const sub = (id) => `${subs}/${encodeURIComponent(id)}`

/** Who the key belongs to; `key` checks a key before it is saved. @type {(key?: string) => Promise<Me>} */
export const whoAmI = (key) => call('GET', '/webhooks/me', key === undefined ? {} : { key })

/** The server's tenants (admin keys). @type {(key?: string) => Promise<Page<Tenant>>} */
export const listTenants = (key) => call('GET', '/admin/tenants', key === undefined ? {} : { key })

/** A page of subscriptions. @type {(query: Query, signal?: AbortSignal) => Promise<Page<Subscription>>} */
export const listSubscriptions = (query, signal) => call('GET', subs, opts({ query }, signal))

/** Per-subscription totals of the last `hours`. @type {(signal?: AbortSignal) => Promise<{ data: StatsRow[] }>} */
export const listSubscriptionStats = (signal) =>
  call('GET', `${subs}/stats`, opts({ query: { hours: 24 } }, signal))

/** One subscription. @type {(id: string, signal?: AbortSignal) => Promise<Subscription>} */
export const getSubscription = (id, signal) => call('GET', sub(id), opts({}, signal))

/** Creates a subscription. @type {(body: object) => Promise<Subscription>} */
export const createSubscription = (body) => call('POST', subs, { body })

/** Changes some fields (or `state`). @type {(id: string, body: object) => Promise<Subscription>} */
export const updateSubscription = (id, body) => call('PUT', sub(id), { body })

/** Deletes a subscription. @type {(id: string) => Promise<void>} */
export const deleteSubscription = (id) => call('DELETE', sub(id))

/** Sends a ping now. @type {(id: string) => Promise<PingResult>} */
export const testSubscription = (id) => call('POST', `${sub(id)}/test`, { body: {} })

/** The current signing secret. @type {(id: string) => Promise<{ secret: string }>} */
export const revealSecret = (id) => call('GET', `${sub(id)}/secret`)

/** A new signing secret; the old one signs for 24 h more. @type {(id: string) => Promise<{ secret: string }>} */
export const rotateSecret = (id) => call('POST', `${sub(id)}/rotate-secret`, { body: {} })

/** Queues its failed deliveries since `since` again. @type {(id: string, since: string) => Promise<{ queued: number }>} */
export const recoverSubscription = (id, since) =>
  call('POST', `${sub(id)}/recover`, { body: { since } })

/** A page of its deliveries. @type {(id: string, query: Query, signal?: AbortSignal) => Promise<Page<Delivery>>} */
export const listDeliveries = (id, query, signal) =>
  call('GET', `${sub(id)}/deliveries`, opts({ query }, signal))

/**
 * Its attempts per minute and latency per hour over the last `hours`.
 *
 * @type {(id: string, hours: number, signal?: AbortSignal) => Promise<SubscriptionStats>}
 */
export const subscriptionStats = (id, hours, signal) =>
  call('GET', `${sub(id)}/stats`, opts({ query: { hours } }, signal))

/** A page of events. @type {(query: Query, signal?: AbortSignal) => Promise<Page<WebhookEvent>>} */
export const listEvents = (query, signal) =>
  call('GET', '/webhooks/events', opts({ query }, signal))

/** One event with its deliveries and attempts. @type {(id: string, signal?: AbortSignal) => Promise<EventDetail>} */
export const getEvent = (id, signal) =>
  call('GET', `/webhooks/events/${encodeURIComponent(id)}`, opts({}, signal))

/**
 * Sends again now the failed deliveries of the events the filters select.
 *
 * @type {(filters: Query) => Promise<{ queued: number, skipped: number, more: boolean }>}
 */
export const retryEvents = (filters) =>
  call('POST', '/webhooks/events/retry', { body: definedOnly(filters) })

/** Sends a delivery again now. @type {(id: string) => Promise<Attempt>} */
export const retryDelivery = (id) =>
  call('POST', `/webhooks/deliveries/${encodeURIComponent(id)}/retry`, { body: {} })

/** The event-type catalogue. @type {(signal?: AbortSignal) => Promise<Page<EventType>>} */
export const listEventTypes = (signal) => call('GET', '/webhooks/event-types', opts({}, signal))

/**
 * @param {{ query?: Query }} options
 * @param {AbortSignal | undefined} signal
 */
function opts(options, signal) {
  return signal === undefined ? options : { ...options, signal }
}
