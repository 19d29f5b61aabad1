import type pg from 'pg'
import type { EventType } from '../../core/types.ts'
import { exec, row, rows, statement } from './connection.ts'
import { ms } from '../../core/time.ts'
import { toEventType, toPublishedType } from '../row-mapping.ts'
import type { PublishedType } from '../store.ts'

/** The event type catalogue verbs of the PostgreSQL store. */
export type EventTypesSql = ReturnType<typeof eventTypesSql>

// created_at stays the first registration's: an upsert only moves updated_at.
const upsert = statement(
  `INSERT INTO event_types (name, description, schema, created_at, updated_at)
   VALUES ($1, $2, $3, $4, $5)
   ON CONFLICT (name) DO UPDATE SET description = excluded.description,
     schema = excluded.schema, updated_at = excluded.updated_at`,
)
const selectByName = statement('SELECT * FROM event_types WHERE name = $1')
const selectAll = statement('SELECT * FROM event_types ORDER BY name')
// Skips from one type to the next along events_tenant_type, never reading the events between:
// a tenant with a million events of twenty types costs twenty short index lookups.
const selectPublished = statement(
  `WITH RECURSIVE seen(type, n) AS (
     SELECT MIN(type), 1 FROM events WHERE tenant = $1
     UNION ALL
     SELECT (SELECT MIN(type) FROM events WHERE tenant = $1 AND type > seen.type), n + 1
     FROM seen WHERE seen.type IS NOT NULL AND n < $2
   )
   SELECT type, (SELECT timestamp FROM events
                 WHERE tenant = $1 AND type = seen.type ORDER BY id DESC LIMIT 1) AS last_seen_at
   FROM seen WHERE type IS NOT NULL`,
)

/** Returns the event type operations, run on `pool`. */
export function eventTypesSql(pool: pg.Pool) {
  return {
    async upsert(eventType: EventType): Promise<void> {
      const { name, description, schema, createdAt, updatedAt } = eventType
      const schemaJson = schema === null ? null : JSON.stringify(schema)
      await exec(pool, upsert, [name, description, schemaJson, ms(createdAt), ms(updatedAt)])
    },

    async get(name: string): Promise<EventType | null> {
      const found = await row(pool, selectByName, [name])
      return found === undefined ? null : toEventType(found)
    },

    async list(): Promise<EventType[]> {
      return (await rows(pool, selectAll)).map(toEventType)
    },

    async published(tenant: string, limit: number): Promise<PublishedType[]> {
      return (await rows(pool, selectPublished, [tenant, limit])).map(toPublishedType)
    },
  }
}
