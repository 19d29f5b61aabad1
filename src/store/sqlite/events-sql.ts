import { deliveryCountsByEvent } from '../../core/delivery-counts.ts'
import type { DeliveryCounts, Page, WebhookEvent } from '../../core/types.ts'
import type { EventQuery, InsertedEvent, NewDelivery } from '../store.ts'
import type { SqliteConnection } from './connection.ts'
import { eventFilters } from '../event-filters.ts'
import { newestFirstPage } from './paging.ts'
import { ms } from '../../core/time.ts'
import { toEvent } from '../row-mapping.ts'

/** The event verbs of the SQLite store. */
export type EventsSql = ReturnType<typeof eventsSql>

/** Prepares the event statements once and returns the operations that use them. */
export function eventsSql(conn: SqliteConnection) {
  const { db, transaction } = conn
  const insertRow = db.prepare(
    `INSERT INTO events (id, tenant, type, data, timestamp, idempotency_key, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const insertDelivery = db.prepare(
    `INSERT INTO deliveries (id, event_id, subscription_id, tenant, event_type, status, attempts,
       next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
  )
  const selectByKey = db.prepare('SELECT * FROM events WHERE tenant = ? AND idempotency_key = ?')
  const countDeliveries = db.prepare('SELECT COUNT(*) AS n FROM deliveries WHERE event_id = ?')
  const selectById = db.prepare('SELECT * FROM events WHERE id = ?')
  // Oldest first means by timestamp, with the id breaking ties; the cursor is the pair, found
  // from `afterId`, so the (tenant, timestamp, id) index serves every page without a scan.
  const selectSince = db.prepare(
    `SELECT * FROM events WHERE tenant = ? AND timestamp >= ? AND (timestamp, id) > (?, ?)
     ORDER BY timestamp, id LIMIT ?`,
  )
  const selectTimestamp = db.prepare('SELECT timestamp FROM events WHERE id = ?')
  // One statement for any number of ids: the list arrives as a JSON array.
  const countByStatus = db.prepare(
    `SELECT event_id, status, COUNT(*) AS n FROM deliveries
     WHERE event_id IN (SELECT value FROM json_each(?)) GROUP BY event_id, status`,
  )

  /** Writes an event's deliveries, due at `at` (its timestamp), inside the caller's transaction. */
  const writeDeliveries = (
    eventId: string,
    tenant: string,
    type: string,
    at: number,
    deliveries: NewDelivery[],
  ): void => {
    for (const d of deliveries) {
      insertDelivery.run(d.id, eventId, d.subscriptionId, tenant, type, at, at, at)
    }
  }

  return {
    /**
     * New deliveries are due at the event's timestamp: the engine's (possibly injected) clock
     * stamped it at publish, so "due now" means the same thing to the claims that follow.
     */
    insert(event: WebhookEvent, deliveries: NewDelivery[]): InsertedEvent {
      return transaction(() => {
        if (event.idempotencyKey !== null) {
          const first = selectByKey.get(event.tenant, event.idempotencyKey)
          if (first !== undefined) {
            const count = countDeliveries.get(first.id as string)
            return { event: toEvent(first), deliveries: Number(count?.n ?? 0), inserted: false }
          }
        }
        const at = ms(event.timestamp)
        const data = JSON.stringify(event.data) ?? 'null'
        insertRow.run(
          event.id,
          event.tenant,
          event.type,
          data,
          at,
          event.idempotencyKey,
          Date.now(),
        )
        writeDeliveries(event.id, event.tenant, event.type, at, deliveries)
        return { event, deliveries: deliveries.length, inserted: true }
      })
    },

    writeDeliveries,

    get(id: string): WebhookEvent | null {
      const row = selectById.get(id)
      return row === undefined ? null : toEvent(row)
    },

    list(query: EventQuery): Page<WebhookEvent> {
      return newestFirstPage(
        conn,
        'events',
        eventFilters(query),
        query.limit,
        query.cursor,
        toEvent,
      )
    },

    countDeliveries(eventIds: string[]): Record<string, DeliveryCounts> {
      return deliveryCountsByEvent(eventIds, countByStatus.all(JSON.stringify(eventIds)))
    },

    listSince(tenant: string, since: number, limit: number, afterId?: string): WebhookEvent[] {
      // An `afterId` that is gone (pruned) still bounds the page by its id at `since`.
      const after = afterId === undefined ? undefined : selectTimestamp.get(afterId)
      const afterTimestamp = (after?.timestamp as number | undefined) ?? since
      return selectSince.all(tenant, since, afterTimestamp, afterId ?? '', limit).map(toEvent)
    },
  }
}
