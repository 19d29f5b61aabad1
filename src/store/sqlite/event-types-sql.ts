import type { EventType } from '../../core/types.ts'
import type { SqliteConnection } from './connection.ts'
import { ms } from '../../core/time.ts'
import { toEventType, toPublishedType } from '../row-mapping.ts'
import type { PublishedType } from '../store.ts'

/** The event type catalogue verbs of the SQLite store. */
export type EventTypesSql = ReturnType<typeof eventTypesSql>

/** Prepares the event type statements once and returns the operations that use them. */
export function eventTypesSql(conn: SqliteConnection) {
  const { db } = conn
  // created_at stays the first registration's: an upsert only moves updated_at.
  const upsert = db.prepare(
    `INSERT INTO event_types (name, description, schema, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET description = excluded.description,
       schema = excluded.schema, updated_at = excluded.updated_at`,
  )
  const selectByName = db.prepare('SELECT * FROM event_types WHERE name = ?')
  const selectAll = db.prepare('SELECT * FROM event_types ORDER BY name')
  // Skips from one type to the next along events_tenant_type, never reading the events between:
  // a tenant with a million events of twenty types costs twenty short index lookups.
  const selectPublished = db.prepare(
    `WITH RECURSIVE seen(type, n) AS (
       SELECT MIN(type), 1 FROM events WHERE tenant = ?1
       UNION ALL
       SELECT (SELECT MIN(type) FROM events WHERE tenant = ?1 AND type > seen.type), n + 1
       FROM seen WHERE seen.type IS NOT NULL AND n < ?2
     )
     SELECT type, (SELECT timestamp FROM events
                   WHERE tenant = ?1 AND type = seen.type ORDER BY id DESC LIMIT 1) AS last_seen_at
     FROM seen WHERE type IS NOT NULL`,
  )

  return {
    upsert(eventType: EventType): void {
      const { name, description, schema, createdAt, updatedAt } = eventType
      const schemaJson = schema === null ? null : JSON.stringify(schema)
      upsert.run(name, description, schemaJson, ms(createdAt), ms(updatedAt))
    },

    get(name: string): EventType | null {
      const row = selectByName.get(name)
      return row === undefined ? null : toEventType(row)
    },

    list(): EventType[] {
      return selectAll.all().map(toEventType)
    },

    published(tenant: string, limit: number): PublishedType[] {
      return selectPublished.all(tenant, limit).map(toPublishedType)
    },
  }
}
