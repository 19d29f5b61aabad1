import { ValidationError } from './errors.ts'
import type { EntityChange, WebhookEvent } from './types.ts'
import { eventName, optionalText, plainObject, tenantOf, text } from './validate.ts'

/** What `publish` takes. */
export interface PublishInput {
  /** Default is `default`. */
  tenant?: string
  /** A dotted event name, `order.created`. */
  type: string
  /** Any JSON value. Default is null. */
  data?: unknown
  /** A second publish with the same key in the same tenant returns the first event. */
  idempotencyKey?: string
}

/** What `entityChanged` takes (SuperOffice `Notify`, Oqtane `SyncEvent`). */
export interface EntityChangeInput {
  tenant?: string
  /** `contact`, `order`, `file`: the first segment of the event type. */
  entity: string
  id: string | number
  /** `created`, `updated`, `deleted`, or another verb such as `download`. */
  action: string
  /** Names of the fields that changed. */
  changes?: string[]
  fieldValues?: Record<string, unknown>
  /** Who made the change. */
  actor?: string | number
  idempotencyKey?: string
}

// Publishing is on the API's hot path; JSON.stringify is the one serialisation we pay for.
function jsonText(value: unknown): string {
  let out: string | undefined
  try {
    out = JSON.stringify(value)
  } catch (cause) {
    throw new ValidationError('data', `is not serialisable as JSON (${(cause as Error).message})`)
  }
  if (out === undefined) throw new ValidationError('data', 'is not a JSON value')
  return out
}

/** A validated event with the JSON text of its data, ready to store. */
export interface BuiltEvent {
  event: WebhookEvent
  dataJson: string
}

/** Validates a publish input and builds the event. Throws `ValidationError` naming the field. */
export function buildEvent(input: PublishInput, ids: { id: string; now: number }): BuiltEvent {
  const body = plainObject(input, 'event')
  const data = body.data === undefined ? null : body.data
  const dataJson = jsonText(data)
  const key =
    body.idempotencyKey === undefined || body.idempotencyKey === null
      ? null
      : text(body.idempotencyKey, 'idempotencyKey', 1, 200)
  return {
    event: {
      id: ids.id,
      tenant: tenantOf(body.tenant),
      type: eventName(body.type, 'type'),
      data,
      timestamp: new Date(ids.now).toISOString(),
      idempotencyKey: key,
    },
    dataJson,
  }
}

const verbRe = /^[A-Za-z0-9_-]{1,50}$/

/** Turns an entity change into a publish input of type `<entity>.<action>`. */
export function entityChangeEvent(input: EntityChangeInput): PublishInput {
  const body = plainObject(input, 'change')
  const entity = text(body.entity, 'entity', 1, 49)
  if (!verbRe.test(entity)) throw new ValidationError('entity', 'must be letters, digits, _ or -')
  const action = text(body.action, 'action', 1, 50)
  if (!verbRe.test(action)) throw new ValidationError('action', 'must be letters, digits, _ or -')
  if (typeof body.id !== 'string' && typeof body.id !== 'number') {
    throw new ValidationError('id', 'must be a string or a number')
  }
  const changes = body.changes ?? []
  if (!Array.isArray(changes) || changes.some((c) => typeof c !== 'string')) {
    throw new ValidationError('changes', 'must be an array of field names')
  }
  const fieldValues =
    body.fieldValues === undefined ? {} : plainObject(body.fieldValues, 'fieldValues')
  const actor = body.actor === undefined || body.actor === null ? null : String(body.actor)
  const data: EntityChange = {
    entity,
    id: body.id,
    action,
    changes: changes as string[],
    fieldValues,
    actor: optionalText(actor, 'actor', 200),
  }
  const out: PublishInput = { type: `${entity}.${action}`, data }
  if (body.tenant !== undefined) out.tenant = body.tenant as string
  if (body.idempotencyKey !== undefined) out.idempotencyKey = body.idempotencyKey as string
  return out
}
