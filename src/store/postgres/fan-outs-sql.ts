import type pg from 'pg'
import { newId } from '../../core/ids.ts'
import { notifySql, rows, statement } from './connection.ts'
import { transaction } from './transaction.ts'
import { fanOutSlice } from '../fan-out-slices.ts'

/** The fan-out verbs of the PostgreSQL store. */
export type FanOutsSql = ReturnType<typeof fanOutsSql>

// Slices taken in one transaction at most: 1,000 deliveries.
const slicesPerTransaction = 10

const take = (skipLocked: boolean) =>
  statement(
    `SELECT q.id, q.event_id, q.subscription_ids, e.tenant, e.type, e.timestamp
     FROM fan_out_queue q LEFT JOIN events e ON e.id = q.event_id
     WHERE q.id <= $2 ORDER BY q.id LIMIT $1 FOR UPDATE OF q${skipLocked ? ' SKIP LOCKED' : ''}`,
  )
const takeUnlocked = take(true)
const takeWaiting = take(false)
const lastQueued = statement('SELECT max(id) AS id FROM fan_out_queue')
const writeDeliveries = statement(
  `WITH written AS (
     INSERT INTO deliveries (id, event_id, subscription_id, tenant, event_type, status, attempts,
       next_attempt_at, created_at, updated_at)
     SELECT d.id, d.event_id, d.subscription_id, d.tenant, d.type, 'pending', 0, d.at, d.at, d.at
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
       AS d(id, event_id, subscription_id, tenant, type, at)
     RETURNING id, subscription_id, next_attempt_at
   ), queued AS (
     INSERT INTO delivery_queue (delivery_id, next_attempt_at, subscription_id)
     SELECT id, next_attempt_at, subscription_id FROM written
   )
   SELECT count(*) AS n FROM written`,
)
const notify = statement(notifySql)
const dropSlices = statement('DELETE FROM fan_out_queue WHERE id = ANY($1::bigint[])')
const earliestQueued = statement(
  `SELECT min(e.timestamp) AS at FROM events e
   WHERE e.id IN (SELECT event_id FROM fan_out_queue)`,
)

/**
 * The queue of fan-outs whose deliveries are still to be written (events-sql.ts queues them). A
 * claim writes as many as it may claim, skipping slices another process is writing; every call
 * that reads or changes deliveries first writes all that were queued before it, waiting for those
 * another process is writing, so no call sees part of a publish.
 */
export function fanOutsSql(pool: pg.Pool) {
  /** Writes up to `slicesPerTransaction` slices up to `upTo`; -1 when none could be taken. */
  const writeSome = (slices: number, upTo: number, skipLocked: boolean): Promise<number> =>
    transaction(pool, async (client) => {
      const taken = await rows(client, skipLocked ? takeUnlocked : takeWaiting, [slices, upTo])
      if (taken.length === 0) return -1
      const columns: [string[], string[], string[], string[], string[], number[]] = [
        [],
        [],
        [],
        [],
        [],
        [],
      ]
      for (const slice of taken) {
        // An event gone with its slices still queued has no one to deliver to.
        if (slice.tenant === null) continue
        const at = slice.timestamp as number
        for (const subscriptionId of JSON.parse(slice.subscription_ids as string) as string[]) {
          columns[0].push(newId('delivery', at))
          columns[1].push(slice.event_id as string)
          columns[2].push(subscriptionId)
          columns[3].push(slice.tenant as string)
          columns[4].push(slice.type as string)
          columns[5].push(at)
        }
      }
      const written = Number((await rows(client, writeDeliveries, columns))[0]!.n)
      await rows(client, dropSlices, [taken.map((slice) => slice.id)])
      if (written > 0) await rows(client, notify)
      return written
    })

  return {
    /**
     * Writes queued deliveries, oldest publish first, until at least `atLeast` are written or
     * none queued when it began is left. `skipLocked` leaves the slices another process is
     * writing to it (a claim's way); otherwise this waits for them.
     */
    async write(atLeast: number, skipLocked: boolean): Promise<number> {
      const last = (await rows(pool, lastQueued))[0]?.id as number | null | undefined
      if (last === null || last === undefined) return 0
      let total = 0
      while (total < atLeast) {
        const slices = Math.min(slicesPerTransaction, Math.ceil((atLeast - total) / fanOutSlice))
        const written = await writeSome(slices, last, skipLocked)
        if (written < 0) break
        total += written
      }
      return total
    },

    /** The earliest timestamp of an event with deliveries queued, or null. */
    async earliestQueued(): Promise<number | null> {
      return ((await rows(pool, earliestQueued))[0]?.at as number | null | undefined) ?? null
    },
  }
}
