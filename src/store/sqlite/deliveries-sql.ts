import { newId } from '../../core/ids.ts'
import { anyPatternMatches } from '../../core/patterns.ts'
import { stateEventTypes } from '../../core/state-events.ts'
import type { Delivery, Page, StoredSubscription } from '../../core/types.ts'
import type { DeliveryQuery, RetriedDeliveries, RetryQuery, TimeRange } from '../store.ts'
import { ofActiveSubscriptionSql as ofActive, retryFilters } from '../event-filters.ts'
import { recoverableStatusesSql as recoverable } from '../../core/delivery-status.ts'
import type { SqliteConnection } from './connection.ts'
import { type Filters, newestFirstPage } from './paging.ts'
import { toDelivery } from '../row-mapping.ts'

/** The delivery reading, recovery and retry verbs of the SQLite store. */
export type DeliveriesSql = ReturnType<typeof deliveriesSql>

/** Prepares the delivery statements once and returns the operations that use them. */
export function deliveriesSql(conn: SqliteConnection) {
  const { db, transaction } = conn
  const stateTypes = JSON.stringify(stateEventTypes)
  const selectById = db.prepare('SELECT * FROM deliveries WHERE id = ?')
  const requeue = db.prepare(
    `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_token = NULL,
       attempts = 0, updated_at = ?
     WHERE subscription_id = ? AND status IN ${recoverable} AND EXISTS (
       SELECT 1 FROM events e WHERE e.id = deliveries.event_id AND e.timestamp >= ?
         AND e.timestamp < ?
     )`,
  )
  const selectMissed = db.prepare(
    `SELECT e.id, e.type FROM events e
     WHERE e.tenant = ? AND e.timestamp >= ? AND e.timestamp < ? AND NOT EXISTS (
       SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.subscription_id = ?
     ) AND NOT (
       e.type IN (SELECT value FROM json_each(?)) AND json_extract(e.data, '$.subscriptionId') = ?
     ) ORDER BY e.id`,
  )
  const insertDelivery = db.prepare(
    `INSERT INTO deliveries (id, event_id, subscription_id, tenant, event_type, status, attempts,
       next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
  )

  return {
    get(id: string): Delivery | null {
      const row = selectById.get(id)
      return row === undefined ? null : toDelivery(row)
    },

    list(query: DeliveryQuery): Page<Delivery> {
      const filters: Filters = { clauses: [], params: [] }
      const add = (clause: string, value: string | undefined): void => {
        if (value === undefined) return
        filters.clauses.push(clause)
        filters.params.push(value)
      }
      add('tenant = ?', query.tenant)
      add('subscription_id = ?', query.subscriptionId)
      add('event_id = ?', query.eventId)
      add('status = ?', query.status)
      return newestFirstPage(conn, 'deliveries', filters, query.limit, query.cursor, toDelivery)
    },

    recover(subscription: StoredSubscription, range: TimeRange, at: number): number {
      const { id, tenant, events } = subscription
      const { since } = range
      const until = range.until ?? Number.MAX_SAFE_INTEGER
      return transaction(() => {
        let queued = Number(requeue.run(at, at, id, since, until).changes)
        // Events published while the subscription was paused or disabled never got a delivery
        // for it; match them against its patterns now.
        // Never events from before it existed, nor the notices about itself it was spared.
        const from = Math.max(since, Date.parse(subscription.createdAt))
        for (const row of selectMissed.all(tenant, from, until, id, stateTypes, id)) {
          const type = row.type as string
          if (!anyPatternMatches(events, type)) continue
          insertDelivery.run(newId('delivery'), row.id as string, id, tenant, type, at, at, at)
          queued++
        }
        return queued
      })
    },

    retry(query: RetryQuery, at: number): RetriedDeliveries {
      const filters = retryFilters(query)
      if (filters === null) return { queued: 0, skipped: 0 }
      const where = filters.clauses.join(' AND ')
      // One statement per shape of filters, prepared once: a handful at most.
      const countLeft = conn.statement(
        `SELECT COUNT(*) AS n FROM deliveries WHERE ${where} AND NOT ${ofActive}`,
      )
      const requeue = conn.statement(
        `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_token = NULL,
           attempts = 0, updated_at = ?
         WHERE id IN (SELECT id FROM deliveries WHERE ${where} AND ${ofActive} LIMIT ?)`,
      )
      return transaction(() => ({
        skipped: Number(countLeft.get(...filters.params)?.n ?? 0),
        queued: Number(requeue.run(at, at, ...filters.params, query.limit).changes),
      }))
    },
  }
}
