import { newId } from '../../core/ids.ts'
import type { SqliteConnection } from './connection.ts'
import type { EventsSql } from './events-sql.ts'
import { fanOutSlices } from '../fan-out-slices.ts'

/** The fan-out verbs of the SQLite store. */
export type FanOutsSql = ReturnType<typeof fanOutsSql>

/** What writing queued slices wrote: deliveries, and the earliest time one of them is due. */
export interface FanOutWrite {
  deliveries: number
  dueFrom: number | null
}

/**
 * The queue of fan-outs whose deliveries are still to be written. The store's thread writes them
 * when it has nothing else to do, and before any call that reads or changes deliveries
 * (sqlite-thread.ts), so no call sees a publish with part of its deliveries.
 */
export function fanOutsSql(conn: SqliteConnection, events: EventsSql) {
  const { db, transaction } = conn
  const insertSlice = db.prepare(
    'INSERT INTO fan_out_queue (event_id, subscription_ids) VALUES (?, ?)',
  )
  const firstSlice = db.prepare(
    `SELECT q.id, q.event_id, q.subscription_ids, e.tenant, e.type, e.timestamp
     FROM fan_out_queue q LEFT JOIN events e ON e.id = q.event_id ORDER BY q.id LIMIT 1`,
  )
  const deleteSlice = db.prepare('DELETE FROM fan_out_queue WHERE id = ?')
  const queuedFor = db.prepare(
    `SELECT COALESCE(SUM(json_array_length(subscription_ids)), 0) AS n FROM fan_out_queue
     WHERE event_id = ?`,
  )
  const anyQueued = db.prepare('SELECT 1 FROM fan_out_queue LIMIT 1')
  const earliest = db.prepare(
    `SELECT min(e.timestamp) AS at FROM (SELECT DISTINCT event_id FROM fan_out_queue) q
     JOIN events e ON e.id = q.event_id`,
  )

  /** Writes the deliveries of the oldest slice and drops it; null when none is queued. */
  const writeSlice = (): FanOutWrite | null =>
    transaction(() => {
      const row = firstSlice.get()
      if (row === undefined) return null
      deleteSlice.run(row.id as number)
      // An event gone with its slices still queued has no one to deliver to.
      if (row.tenant === null) return { deliveries: 0, dueFrom: null }
      const at = row.timestamp as number
      const ids = JSON.parse(row.subscription_ids as string) as string[]
      const deliveries = ids.map((subscriptionId) => ({
        id: newId('delivery', at),
        subscriptionId,
      }))
      events.writeDeliveries(
        row.event_id as string,
        row.tenant as string,
        row.type as string,
        at,
        deliveries,
      )
      return { deliveries: deliveries.length, dueFrom: at }
    })

  return {
    /** Queues `subscriptionIds` of event `eventId`, inside the publish's transaction. */
    queue(eventId: string, subscriptionIds: string[]): void {
      for (const slice of fanOutSlices(subscriptionIds)) insertSlice.run(eventId, slice)
    },

    /** Deliveries of `eventId` still queued. */
    queuedFor(eventId: string): number {
      return Number(queuedFor.get(eventId)?.n ?? 0)
    },

    /** Whether any fan-out is queued (by this process or another on the same file). */
    anyQueued(): boolean {
      return anyQueued.get() !== undefined
    },

    /** The earliest timestamp of an event with deliveries queued, or null. */
    earliestQueued(): number | null {
      return (earliest.get()?.at as number | null | undefined) ?? null
    },

    /** Writes queued slices, oldest first, until `atLeast` deliveries are written or none is left. */
    write(atLeast: number): FanOutWrite {
      const total: FanOutWrite = { deliveries: 0, dueFrom: null }
      // Looked for outside a transaction first: a claim finds none almost always.
      while (total.deliveries < atLeast && anyQueued.get() !== undefined) {
        const slice = writeSlice()
        if (slice === null) break
        total.deliveries += slice.deliveries
        if (slice.dueFrom !== null)
          total.dueFrom = Math.min(total.dueFrom ?? slice.dueFrom, slice.dueFrom)
      }
      return total
    },
  }
}
