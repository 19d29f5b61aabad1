import type pg from 'pg'
import type { PruneResult } from '../store.ts'
import { exec, row, rows, statement } from './connection.ts'
import { transaction } from './transaction.ts'
import { openStatusesSql as open } from '../../core/delivery-status.ts'

/** The retention verb of the PostgreSQL store. */
export type PruneSql = ReturnType<typeof pruneSql>

/** How many events one prune transaction removes, so no transaction holds its locks for long. */
const batchSize = 1_000

// SKIP LOCKED: two processes pruning at once take different slices.
const selectBatch = statement(
  `SELECT id FROM events e WHERE e.timestamp < $1 AND NOT EXISTS (
     SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ${open}
   ) LIMIT $2 FOR UPDATE SKIP LOCKED`,
)
// A delivery made pending again since the batch was chosen (a recover racing the prune) is kept,
// and so is its event, by the next statement, which sees what this one deleted.
const deleteDeliveries = statement(
  `WITH gone AS (
     DELETE FROM deliveries WHERE event_id = ANY($1::text[]) AND status NOT IN ${open} RETURNING id
   ), attempts_gone AS (
     DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM gone) RETURNING 1
   )
   SELECT (SELECT count(*) FROM gone) AS deliveries, (SELECT count(*) FROM attempts_gone) AS attempts`,
)
const deleteEvents = statement(
  `DELETE FROM events e WHERE e.id = ANY($1::text[])
     AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)`,
)

/** Returns the prune operation, run on `pool`. */
export function pruneSql(pool: pg.Pool) {
  return {
    async prune(before: number): Promise<PruneResult> {
      const total: PruneResult = { events: 0, deliveries: 0, attempts: 0 }
      for (;;) {
        // Counted after the commit: a transaction run again after a deadlock counts once.
        const slice = await transaction(pool, async (client) => {
          const ids = (await rows(client, selectBatch, [before, batchSize])).map(
            (r) => r.id as string,
          )
          if (ids.length === 0) return { chosen: 0, events: 0, deliveries: 0, attempts: 0 }
          const removed = (await row(client, deleteDeliveries, [ids]))!
          const events = (await exec(client, deleteEvents, [ids])).rowCount ?? 0
          return {
            chosen: ids.length,
            events,
            deliveries: removed.deliveries as number,
            attempts: removed.attempts as number,
          }
        })
        total.events += slice.events
        total.deliveries += slice.deliveries
        total.attempts += slice.attempts
        if (slice.chosen < batchSize) return total
      }
    },
  }
}
