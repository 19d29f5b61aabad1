import { ValidationError } from './errors.ts'
import { generateSecret, validateSecret } from './signing/index.ts'
import type {
  PayloadMode,
  SignatureScheme,
  StoredSubscription,
  SubscriptionState,
} from './types.ts'
import {
  eventPatterns,
  numberIn,
  objectOf,
  oneOf,
  optionalText,
  plainObject,
  retryScheduleOf,
  tenantOf,
  text,
} from './validate.ts'

/** What `subscriptions.create` takes (the REST create body plus `tenant`). */
export interface SubscriptionInput {
  /** Default is `default`. */
  tenant?: string
  name: string
  /** Event names or patterns: `order.created`, `order.*`, `*`. */
  events: string[]
  config: {
    url: string
    /** Only `application/json`, the default. */
    contentType?: string
    /** Generated (`whsec_…`) when absent; returned once by `create`. */
    secret?: string
  }
  /** Extra headers sent with every delivery. */
  headers?: Record<string, string>
  /** Default is `standard`. */
  signatureScheme?: SignatureScheme
  /** Default is `envelope`. */
  payload?: PayloadMode
  description?: string
  /** Deliveries per second at most. */
  rateLimit?: number
  /** Milliseconds before each retry, replacing the engine's schedule for this subscription. */
  retrySchedule?: number[]
  createdBy?: string
}

/** What `subscriptions.update` takes: every field optional, plus `state`. */
export interface SubscriptionPatch {
  name?: string
  events?: string[]
  config?: { url?: string; contentType?: string; secret?: string }
  headers?: Record<string, string>
  signatureScheme?: SignatureScheme
  payload?: PayloadMode
  description?: string | null
  rateLimit?: number | null
  retrySchedule?: number[] | null
  /** `active` re-enables a paused or disabled subscription; `paused` stops matching it. */
  state?: 'active' | 'paused'
}

// The fields `create` and `update` take; any other is refused, naming it.
const configFields = ['url', 'contentType', 'secret'] as const
const sharedFields = [
  'name',
  'events',
  'config',
  'headers',
  'signatureScheme',
  'payload',
  'description',
  'rateLimit',
  'retrySchedule',
] as const
const inputFields = ['tenant', ...sharedFields, 'createdBy'] as const
const patchFields = [...sharedFields, 'state'] as const

const schemes: readonly SignatureScheme[] = ['standard', 'github', 'servicestack', 'superoffice']
const payloads: readonly PayloadMode[] = ['envelope', 'data']
const settableStates: readonly SubscriptionState[] = ['active', 'paused']

// Headers Hookrelay sets itself; a subscription may not replace them.
const reservedHeader =
  /^(host|content-type|content-length|connection|transfer-encoding|user-agent|webhook-.*|x-hub-signature.*|x-github-.*|x-webhook-.*|x-superoffice-.*)$/i
const headerNameRe = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/

/** An absolute `http:` or `https:` URL without credentials; the SSRF check comes later. */
export function subscriptionUrl(value: unknown, field = 'config.url'): string {
  const raw = text(value, field, 1, 2048)
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ValidationError(field, 'must be an absolute http or https URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError(field, 'must use http or https')
  }
  if (url.username !== '' || url.password !== '') {
    throw new ValidationError(field, 'must not carry a user name or password')
  }
  checkHostName(url.hostname, field)
  return url.href
}

/**
 * Refuses a host name DNS can never look up: longer than 253 characters, with a label (the part
 * between dots) longer than 63, or with an empty label. Checked here, before any lookup, since a
 * resolver refuses such a name with codes of its own (`EINVAL` for a long one) that say nothing
 * to the person who typed it. `hostname` is the ASCII form WHATWG URL gives; IP literals pass.
 */
function checkHostName(hostname: string, field: string): void {
  if (hostname.startsWith('[')) return
  // One final dot names the DNS root and is no part of the length.
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname
  if (name.length > 253) {
    throw new ValidationError(field, 'the host name is too long (253 characters at most)')
  }
  const labels = name.split('.')
  if (labels.some((label) => label.length > 63)) {
    throw new ValidationError(
      field,
      'a part of the host name between dots is too long (63 characters at most)',
    )
  }
  if (labels.includes('')) {
    throw new ValidationError(field, 'the host name has an empty part between two dots')
  }
}

function contentType(value: unknown): 'application/json' {
  if (value === undefined || value === null) return 'application/json'
  return oneOf(value, 'config.contentType', ['application/json'])
}

function headers(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {}
  const object = plainObject(value, 'headers')
  const out: Record<string, string> = {}
  for (const [name, headerValue] of Object.entries(object)) {
    const field = `headers.${name}`
    if (!headerNameRe.test(name)) throw new ValidationError(field, 'is not a valid header name')
    if (reservedHeader.test(name)) throw new ValidationError(field, 'is set by Hookrelay itself')
    if (
      typeof headerValue !== 'string' ||
      /[\r\n\0]/.test(headerValue) ||
      headerValue.length > 1000
    ) {
      throw new ValidationError(field, 'must be a string of at most 1000 characters, one line')
    }
    out[name] = headerValue
  }
  if (Object.keys(out).length > 20) throw new ValidationError('headers', 'at most 20 headers')
  return out
}

function retrySchedule(value: unknown): number[] | null {
  return value === undefined || value === null ? null : retryScheduleOf(value)
}

/** The deliveries per second a subscription's `rateLimit` may be. */
export const rateLimitRange = { min: 0.001, max: 100_000 } as const

function rateLimit(value: unknown): number | null {
  if (value === undefined || value === null) return null
  return numberIn(value, 'rateLimit', rateLimitRange.min, rateLimitRange.max)
}

/**
 * Validates a create input and builds the stored subscription (a secret is generated when none is
 * given). Throws `ValidationError` naming the first bad field.
 */
export function buildSubscription(
  input: SubscriptionInput,
  ids: { id: string; now: number },
): StoredSubscription {
  const body = objectOf(input, '', inputFields)
  const config = objectOf(body.config, 'config', configFields)
  const scheme =
    body.signatureScheme === undefined
      ? 'standard'
      : oneOf(body.signatureScheme, 'signatureScheme', schemes)
  const secret =
    config.secret === undefined || config.secret === null ? generateSecret() : config.secret
  if (typeof secret !== 'string') throw new ValidationError('config.secret', 'must be a string')
  validateSecret(scheme, secret, 'config.secret')
  const at = new Date(ids.now).toISOString()
  return {
    id: ids.id,
    tenant: tenantOf(body.tenant),
    name: text(body.name, 'name', 1, 100),
    events: eventPatterns(body.events),
    config: { url: subscriptionUrl(config.url), contentType: contentType(config.contentType) },
    headers: headers(body.headers),
    signatureScheme: scheme,
    payload: body.payload === undefined ? 'envelope' : oneOf(body.payload, 'payload', payloads),
    description: optionalText(body.description, 'description', 1000),
    rateLimit: rateLimit(body.rateLimit),
    retrySchedule: retrySchedule(body.retrySchedule),
    createdBy: optionalText(body.createdBy, 'createdBy', 200),
    state: 'active',
    disabledReason: null,
    consecutiveFailures: 0,
    failingSince: null,
    createdAt: at,
    updatedAt: at,
    secrets: [{ secret, expiresAt: null }],
  }
}

/**
 * Applies a partial update to a stored subscription and returns the new one; fields absent from
 * the patch keep their values. Throws `ValidationError` naming the first bad field.
 */
export function applyPatch(
  current: StoredSubscription,
  patch: SubscriptionPatch,
  now: number,
): StoredSubscription {
  const body = objectOf(patch, '', patchFields)
  const next: StoredSubscription = { ...current, updatedAt: new Date(now).toISOString() }
  if (body.name !== undefined) next.name = text(body.name, 'name', 1, 100)
  if (body.events !== undefined) next.events = eventPatterns(body.events)
  if (body.signatureScheme !== undefined) {
    next.signatureScheme = oneOf(body.signatureScheme, 'signatureScheme', schemes)
  }
  if (body.config !== undefined) {
    const config = objectOf(body.config, 'config', configFields)
    next.config = {
      url: config.url === undefined ? current.config.url : subscriptionUrl(config.url),
      contentType:
        config.contentType === undefined
          ? current.config.contentType
          : contentType(config.contentType),
    }
    if (config.secret !== undefined) {
      if (typeof config.secret !== 'string')
        throw new ValidationError('config.secret', 'must be a string')
      next.secrets = [{ secret: config.secret, expiresAt: null }]
    }
  }
  // A scheme change must still fit the secret it will sign with.
  const newest = next.secrets[0]
  if (newest !== undefined) validateSecret(next.signatureScheme, newest.secret, 'config.secret')
  if (body.headers !== undefined) next.headers = headers(body.headers)
  if (body.payload !== undefined) next.payload = oneOf(body.payload, 'payload', payloads)
  if (body.description !== undefined)
    next.description = optionalText(body.description, 'description', 1000)
  if (body.rateLimit !== undefined) next.rateLimit = rateLimit(body.rateLimit)
  if (body.retrySchedule !== undefined) next.retrySchedule = retrySchedule(body.retrySchedule)
  if (body.state !== undefined) {
    next.state = oneOf(body.state, 'state', settableStates)
    if (next.state === 'active') next.disabledReason = null
    // Back to active, its run of failures starts again (as the store writes it).
    if (next.state === 'active' && current.state !== 'active') {
      next.consecutiveFailures = 0
      next.failingSince = null
    }
  }
  return next
}
