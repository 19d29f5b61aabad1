import { openStatusesSql as open } from '../../core/delivery-status.ts'
import type { PruneResult } from '../store.ts'
import type { SqliteConnection } from './connection.ts'

/** The retention verb of the SQLite store. */
export type PruneSql = ReturnType<typeof pruneSql>

/** How many events one prune transaction removes, so the writer is never held for long. */
const batchSize = 1_000

/** Prepares the prune statements once and returns the operation that uses them. */
export function pruneSql(conn: SqliteConnection) {
  const { db, transaction } = conn
  const selectBatch = db.prepare(
    `SELECT id FROM events e WHERE e.timestamp < ? AND NOT EXISTS (
       SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ${open}
     ) LIMIT ?`,
  )
  const inBatch = 'IN (SELECT value FROM json_each(?))'
  const deleteAttempts = db.prepare(
    `DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_id ${inBatch})`,
  )
  const deleteDeliveries = db.prepare(`DELETE FROM deliveries WHERE event_id ${inBatch}`)
  const deleteEvents = db.prepare(`DELETE FROM events WHERE id ${inBatch}`)

  return {
    prune(before: number): PruneResult {
      const total: PruneResult = { events: 0, deliveries: 0, attempts: 0 }
      for (;;) {
        // Choose and delete in one transaction: a recover between the two could otherwise make
        // a chosen event pending again.
        const removed = transaction(() => {
          const ids = selectBatch.all(before, batchSize).map((row) => row.id as string)
          if (ids.length === 0) return 0
          const json = JSON.stringify(ids)
          total.attempts += Number(deleteAttempts.run(json).changes)
          total.deliveries += Number(deleteDeliveries.run(json).changes)
          total.events += Number(deleteEvents.run(json).changes)
          return ids.length
        })
        if (removed < batchSize) return total
      }
    },
  }
}
