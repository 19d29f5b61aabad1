import { ValidationError } from './errors.ts'
import { isEventName, isEventPattern } from './patterns.ts'
import { maxRetryDelayMs } from './retry-schedule.ts'

/** The tenant used when a call names none. */
export const defaultTenant = 'default'

const tenantRe = /^[A-Za-z0-9_.-]{1,64}$/

/** A tenant id (`[A-Za-z0-9_.-]{1,64}`), or `default` when absent. */
export function tenantOf(value: unknown, field = 'tenant'): string {
  if (value === undefined || value === null) return defaultTenant
  if (typeof value !== 'string' || !tenantRe.test(value)) {
    throw new ValidationError(field, 'must be 1–64 characters of letters, digits, _ . or -')
  }
  return value
}

/** A string of `min`..`max` characters (trimmed length counts). */
export function text(value: unknown, field: string, min: number, max: number): string {
  if (typeof value !== 'string') throw new ValidationError(field, 'must be a string')
  const length = value.trim().length
  if (length < min || value.length > max) {
    throw new ValidationError(field, `must be ${min}–${max} characters`)
  }
  return value
}

/** An optional string: undefined and null become null. */
export function optionalText(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null) return null
  return text(value, field, 0, max)
}

/** A finite number in [min, max]. */
export function numberIn(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ValidationError(field, `must be a number from ${min} to ${max}`)
  }
  return value
}

/** One of the listed values. */
export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new ValidationError(field, `must be one of ${allowed.join(', ')}`)
  }
  return value as T
}

/** A plain object (not an array, not null). */
export function plainObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(field, 'must be an object')
  }
  return value as Record<string, unknown>
}

/**
 * `value` as `plainObject` checks it, refusing a field not in `fields`: a misspelled or misplaced
 * option would otherwise be dropped without a word. `field` is the object's name in messages
 * (`config` names `config.secrets` for an unknown `secrets`), `''` for the top level.
 */
export function objectOf(
  value: unknown,
  field: string,
  fields: readonly string[],
): Record<string, unknown> {
  const object = plainObject(value, field === '' ? 'input' : field)
  for (const key of Object.keys(object)) {
    if (!fields.includes(key)) {
      throw new ValidationError(
        field === '' ? key : `${field}.${key}`,
        `is not a field here; the fields are ${fields.join(', ')}`,
      )
    }
  }
  return object
}

/** An event name such as `order.created` (no wildcard). */
export function eventName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isEventName(value)) {
    throw new ValidationError(
      field,
      'must be a dotted event name of letters, digits, _ or - (at most 100 characters)',
    )
  }
  return value
}

/** A non-empty list of event names or patterns, without repeats. */
export function eventPatterns(value: unknown, field = 'events'): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ValidationError(field, 'must be a non-empty array of event names')
  }
  if (value.length > 100) throw new ValidationError(field, 'must list at most 100 events')
  const seen = new Set<string>()
  value.forEach((item, i) => {
    if (typeof item !== 'string' || !isEventPattern(item)) {
      throw new ValidationError(
        `${field}[${i}]`,
        "must be an event name or a pattern ending in '*' (order.created, order.*, *)",
      )
    }
    seen.add(item)
  })
  return [...seen]
}

/** A retry schedule: at most 20 delays in ms, each at most 7 days. */
export function retryScheduleOf(value: unknown, field = 'retrySchedule'): number[] {
  if (!Array.isArray(value) || value.length > 20) {
    throw new ValidationError(field, 'must be an array of at most 20 delays in ms')
  }
  return value.map((delay, i) => numberIn(delay, `${field}[${i}]`, 0, maxRetryDelayMs))
}

/** A time filter as epoch ms; undefined stays undefined. Throws `ValidationError` naming `field`. */
export function timeOf(
  value: Date | string | number | undefined,
  field: string,
): number | undefined {
  if (value === undefined) return undefined
  const time = value instanceof Date ? value.getTime() : new Date(value).getTime()
  if (Number.isNaN(time)) throw new ValidationError(field, 'must be a date, an ISO 8601 time or ms')
  return time
}
