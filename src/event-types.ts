import type { ValidateFunction } from 'ajv'
import { boundedSchemaAjv, checkSchemaBounds } from './core/bounded-schema.ts'
import { ValidationError } from './core/errors.ts'
import type { EventType } from './core/types.ts'
import { eventName, optionalText, plainObject, tenantOf } from './core/validate.ts'
import type { Store } from './store/store.ts'

/** What `eventTypes.define` takes. */
export interface EventTypeInput {
  name: string
  description?: string | null
  /** A JSON Schema that every published `data` of this type must satisfy. */
  schema?: Record<string, unknown> | null
}

/**
 * A type of the catalogue as a tenant sees it: registered (with its description and schema), or
 * only published. `lastSeenAt` is when the tenant last published it, null for never.
 */
export type CatalogueEntry =
  | (EventType & { registered: true; lastSeenAt: string | null })
  | { name: string; registered: false; description: null; schema: null; lastSeenAt: string }

/** The most published types `catalogue` reads for one tenant. */
export const maxPublishedTypes = 1_000

interface Cached {
  validate: ValidateFunction | null
  loadedAt: number
}

/** How long a looked-up schema is trusted before it is read again (other processes may change it). */
const cacheMs = 5_000

/**
 * The event-type catalogue: a description and an optional JSON Schema per event type. Publishing
 * data that does not match a registered schema is refused with `schema_mismatch`. A schema is
 * refused when it is defined if checking data against it could take more than linear time (see
 * `checkSchemaBounds`); its patterns run on a linear-time engine.
 *
 * @example
 * await hooks.eventTypes.define({ name: 'order.created', schema: { type: 'object', required: ['id'] } })
 */
export class EventTypeCatalog {
  readonly #store: Store
  readonly #now: () => number
  // Checking data takes time linear in the data, whatever the schema: see `boundedSchemaAjv`.
  readonly #ajv = boundedSchemaAjv()
  // Compiled validators by schema text, so re-reading an unchanged schema never recompiles.
  readonly #compiled = new Map<string, ValidateFunction>()
  readonly #cache = new Map<string, Cached>()

  constructor(store: Store, now: () => number) {
    this.#store = store
    this.#now = now
  }

  /** Registers or replaces an event type. Throws `ValidationError` for a bad name or schema. */
  async define(input: EventTypeInput): Promise<EventType> {
    const body = plainObject(input, 'eventType')
    const name = eventName(body.name, 'name')
    const schema =
      body.schema === undefined || body.schema === null ? null : plainObject(body.schema, 'schema')
    const validate = schema === null ? null : this.#compile(schema)
    const existing = await this.#store.getEventType(name)
    const at = new Date(this.#now()).toISOString()
    const eventType: EventType = {
      name,
      description: optionalText(body.description, 'description', 1000),
      schema,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
    }
    await this.#store.upsertEventType(eventType)
    this.#cache.set(name, { validate, loadedAt: this.#now() })
    return eventType
  }

  /** One event type, or null. */
  get(name: string): Promise<EventType | null> {
    return this.#store.getEventType(name)
  }

  /** Every registered event type, by name. */
  list(): Promise<EventType[]> {
    return this.#store.listEventTypes()
  }

  /**
   * Every registered type, and every type `tenant` has published without registering it, by
   * name, each saying which it is and when the tenant last published it. A null tenant reads the
   * registered types only. Default tenant is `default`.
   *
   * @example
   * const types = await hooks.eventTypes.catalogue({ tenant: 'acme' })
   * types.filter((t) => !t.registered) // published, no description or schema
   */
  async catalogue(query: { tenant?: string | null } = {}): Promise<CatalogueEntry[]> {
    const tenant = query.tenant === null ? null : tenantOf(query.tenant)
    const [registered, published] = await Promise.all([
      this.#store.listEventTypes(),
      tenant === null ? [] : this.#store.listPublishedTypes(tenant, maxPublishedTypes),
    ])
    const seen = new Map(published.map((p) => [p.name, p.lastSeenAt]))
    const entries: CatalogueEntry[] = registered.map((type) => ({
      ...type,
      registered: true,
      lastSeenAt: seen.get(type.name) ?? null,
    }))
    const names = new Set(registered.map((type) => type.name))
    for (const { name, lastSeenAt } of published) {
      if (names.has(name)) continue
      entries.push({ name, registered: false, description: null, schema: null, lastSeenAt })
    }
    // Code-unit order, as both stores sort names.
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  /** Throws `ValidationError` (`schema_mismatch`) when `data` breaks the type's schema. */
  async check(type: string, data: unknown): Promise<void> {
    let cached = this.#cache.get(type)
    if (cached === undefined || this.#now() - cached.loadedAt > cacheMs) {
      const eventType = await this.#store.getEventType(type)
      cached = {
        validate: eventType?.schema ? this.#compile(eventType.schema) : null,
        loadedAt: this.#now(),
      }
      this.#cache.set(type, cached)
    }
    const { validate } = cached
    if (validate === null || validate(data)) return
    const first = validate.errors?.[0]
    const where = first?.instancePath ? `data${first.instancePath.replaceAll('/', '.')}` : 'data'
    throw new ValidationError(
      where,
      `does not match the schema of ${type}: ${first?.message ?? 'invalid'}`,
      'schema_mismatch',
    )
  }

  #compile(schema: Record<string, unknown>): ValidateFunction {
    const text = JSON.stringify(schema)
    let validate = this.#compiled.get(text)
    if (validate !== undefined) return validate
    checkSchemaBounds(schema)
    try {
      validate = this.#ajv.compile(schema)
    } catch (cause) {
      throw new ValidationError('schema', `is not a valid JSON Schema: ${(cause as Error).message}`)
    }
    if (this.#compiled.size >= 1_000) this.#compiled.clear()
    this.#compiled.set(text, validate)
    return validate
  }
}
