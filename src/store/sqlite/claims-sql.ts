import {
  inFlightStatusSql as inFlight,
  openStatusesSql as open,
} from '../../core/delivery-status.ts'
import type { DeliveryStatus } from '../../core/types.ts'
import type { ClaimedDelivery, ClaimOptions } from '../store.ts'
import type { SqliteConnection } from './connection.ts'
import type { DeliveryLock } from './delivery-lock.ts'
import { dueReader } from './due-reader.ts'
import type { Leases } from './leases.ts'
import { pairClaims, toClaimedEvent } from '../claimed-rows.ts'
import { type Row, toSubscription } from '../row-mapping.ts'

/** The claim and lease verbs of the SQLite store: the delivery workers' read path. */
export type ClaimsSql = ReturnType<typeof claimsSql>

const returning = 'RETURNING id, event_id, subscription_id, status, attempts'

/**
 * Prepares the claim statements once and returns the operations that use them.
 *
 * A scheduled claim writes nothing. SQLite has one writer, so one store delivers from a file (the
 * `lock`), and its leases live in its memory (`leases`): a claim is a read of due deliveries that
 * no live lease holds, and the attempt's record is the delivery's only write. A store that dies
 * takes its leases with it, so its deliveries are due again as they stand. A manual claim
 * (`claimOne`) may come from another process, so it still writes its lease into the row.

 *
 * Which due deliveries a scheduled claim reads, and from where, is `dueReader`'s.
 */
export function claimsSql(conn: SqliteConnection, leases: Leases, lock: DeliveryLock) {
  const { db, transaction } = conn
  const due = dueReader(db, leases)
  // A claim goes back by moving the due time, while the row still holds the token it held when
  // claimed (as a record checks it, see attempts-sql.ts).
  const release = db.prepare(
    `UPDATE deliveries SET next_attempt_at = ?, lease_token = NULL
     WHERE id = ? AND lease_token IS ? AND status IN ${open}`,
  )
  const selectFirstDue = db.prepare(
    `SELECT id, next_attempt_at FROM deliveries WHERE status IN ${open}
     ORDER BY next_attempt_at, rowid LIMIT ?`,
  )
  const statusOf = db.prepare('SELECT status FROM deliveries WHERE id = ?')
  const claimOne = db.prepare(
    `UPDATE deliveries SET status = ${inFlight}, next_attempt_at = ?, lease_token = ?, updated_at = ?
     WHERE id = ? AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = deliveries.subscription_id)
     ${returning}`,
  )
  const cancel = db.prepare(
    `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, lease_token = NULL,
       updated_at = ? WHERE id IN (SELECT value FROM json_each(?))`,
  )
  const selectEvents = db.prepare(
    `SELECT id, tenant, type, timestamp, data FROM events
     WHERE id IN (SELECT value FROM json_each(?))`,
  )
  const selectSubscriptions = db.prepare(
    'SELECT * FROM subscriptions WHERE id IN (SELECT value FROM json_each(?))',
  )

  /** Joins the claimed rows to their events and subscriptions with one query each. */
  function assemble(
    rows: Row[],
    leaseToken: string,
    now: number,
    onlyActive: boolean,
  ): ClaimedDelivery[] {
    if (rows.length === 0) return []
    const eventIds = new Set<string>()
    const subscriptionIds = new Set<string>()
    for (const row of rows) {
      eventIds.add(row.event_id as string)
      subscriptionIds.add(row.subscription_id as string)
    }
    const events = new Map(
      selectEvents
        .all(JSON.stringify([...eventIds]))
        .map((row) => [row.id as string, toClaimedEvent(row)]),
    )
    const subscriptions = new Map(
      selectSubscriptions
        .all(JSON.stringify([...subscriptionIds]))
        .map((row) => [row.id as string, toSubscription(row)]),
    )
    const { claimed, orphans } = pairClaims(rows, events, subscriptions, leaseToken, onlyActive)
    if (orphans.length > 0) cancel.run(now, JSON.stringify(orphans))
    // In the rows' order: earliest due first.
    return claimed
  }

  return {
    claimDue(options: ClaimOptions): ClaimedDelivery[] {
      const { now, limit, leaseMs, leaseToken } = options
      let saved = false
      try {
        return transaction(() => {
          const state = lock.hold(now, leaseMs)
          if (state === 'busy') return []
          // Another store may have delivered from this file since: what this one held is stale.
          if (state === 'taken') {
            leases.clear()
            due.rescan()
          }
          saved = true
          const rows = due.read(now, limit, options)
          const claimed = assemble(rows, leaseToken, now, true)
          // Rows and claims are in different orders. Rows with a token are the rare ones (a
          // manual claim that ran out).
          const seen = new Map<string, string>()
          for (const row of rows) {
            if (row.lease_token != null) seen.set(row.id as string, row.lease_token as string)
          }
          const until = now + leaseMs
          for (const c of claimed) {
            leases.set(c.id, { token: leaseToken, until, seen: seen.get(c.id) ?? null })
          }
          if (claimed.length > 0) due.leasedUntil(until)
          return claimed
        })
      } catch (error) {
        // The cursor may have moved past deliveries this claim did not hand out: it reads them
        // again. Leases it made, if the commit failed, run out unused (and `checkRescan` sees it).
        if (saved) due.restore()
        throw error
      }
    },

    claimOne(id: string, options: Omit<ClaimOptions, 'limit'>): ClaimedDelivery | null {
      const { now, leaseMs, leaseToken } = options
      return transaction(() => {
        // The status before the claim decides what a failed manual attempt does to the delivery.
        const before = statusOf.get(id)?.status as DeliveryStatus | undefined
        const rows = claimOne.all(now + leaseMs, leaseToken, now, id)
        const claimed = assemble(rows, leaseToken, now, false)[0]
        if (claimed === undefined) return null
        due.dueFrom(now + leaseMs)
        return { ...claimed, status: before ?? 'pending' }
      })
    },

    release(ids: string[], leaseToken: string, at: number): void {
      if (ids.length === 0) return
      try {
        transaction(() => {
          lock.confirm(leases)
          for (const id of ids) release.run(at, id, leases.end(id, leaseToken))
        })
      } catch (error) {
        // Their leases may have ended here while the rows stayed as they were.
        due.rescan()
        throw error
      }
      due.dueFrom(at)
    },

    dueFrom: due.dueFrom,

    /**
     * Makes the next claim read from the earliest due delivery: after a write that ended leases
     * failed, or was rolled back with the transaction around it.
     */
    rescan: due.rescan,

    /**
     * The earliest time a claim could find something: the first pending delivery's due time, or
     * its lease's end while this store leases it; while another store holds the lock, not before
     * that lock runs out.
     */
    nextDueAt(): number | null {
      let next: number | null = null
      for (const row of selectFirstDue.all(leases.size + 1)) {
        const at = leases.dueAt(row.id as string, row.next_attempt_at as number)
        next = next === null ? at : Math.min(next, at)
        // Later rows are due no earlier than an unleased one.
        if (at === row.next_attempt_at) break
      }
      return next === null ? null : Math.max(next, lock.busyUntil())
    },
  }
}
