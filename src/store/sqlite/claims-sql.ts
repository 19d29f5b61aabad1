import type { DeliveryStatus } from '../../core/types.ts'
import type { ClaimedDelivery, ClaimedEvent, ClaimOptions } from '../store.ts'
import type { SqliteConnection } from './connection.ts'
import { iso } from '../../core/time.ts'
import { type Row, toSubscription } from '../row-mapping.ts'

/** The claim and lease verbs of the SQLite store: the delivery workers' read path. */
export type ClaimsSql = ReturnType<typeof claimsSql>

const returning = 'RETURNING id, event_id, subscription_id, status, attempts'

/** Prepares the claim statements once and returns the operations that use them. */
export function claimsSql(conn: SqliteConnection) {
  const { db, transaction } = conn
  // One statement picks and leases a batch. The lease's end is the delivery's next due time, so a
  // worker that dies leaves nothing to clean up: its deliveries come due again by themselves.
  // The inner SELECT walks the partial index of pending deliveries by due time, so a million
  // deliveries due later cost nothing here.
  const claimDue = db.prepare(
    `UPDATE deliveries SET next_attempt_at = ?, lease_token = ?
     WHERE id IN (
       SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at LIMIT ?
     ) ${returning}`,
  )
  const statusOf = db.prepare('SELECT status FROM deliveries WHERE id = ?')
  const claimOne = db.prepare(
    `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_token = ?, updated_at = ?
     WHERE id = ? AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = deliveries.subscription_id)
     ${returning}`,
  )
  const release = db.prepare(
    `UPDATE deliveries SET next_attempt_at = ?, lease_token = NULL
     WHERE id IN (SELECT value FROM json_each(?)) AND lease_token = ? AND status = 'pending'`,
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
  const selectNextDue = db.prepare(
    `SELECT MIN(next_attempt_at) AS due FROM deliveries WHERE status = 'pending'`,
  )

  /** Joins the claimed rows to their events and subscriptions with one query each. */
  // `scheduled` claims send only to active subscriptions; a manual re-send is a person's explicit
  // wish and goes to a paused or disabled one too.
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
    const events = new Map<string, ClaimedEvent>()
    for (const row of selectEvents.all(JSON.stringify([...eventIds]))) {
      events.set(row.id as string, {
        id: row.id as string,
        tenant: row.tenant as string,
        type: row.type as string,
        timestamp: iso(row.timestamp as number),
        dataJson: row.data as string,
      })
    }
    const subscriptions = new Map(
      selectSubscriptions
        .all(JSON.stringify([...subscriptionIds]))
        .map((row) => [row.id as string, toSubscription(row)]),
    )
    const claimed: ClaimedDelivery[] = []
    const orphans: string[] = []
    for (const row of rows) {
      const event = events.get(row.event_id as string)
      const subscription = subscriptions.get(row.subscription_id as string)
      if (
        event === undefined ||
        subscription === undefined ||
        (onlyActive && subscription.state !== 'active')
      ) {
        orphans.push(row.id as string)
        continue
      }
      claimed.push({
        id: row.id as string,
        status: 'pending',
        attempts: row.attempts as number,
        leaseToken,
        event,
        subscription,
      })
    }
    // Pausing, disabling and deleting cancel pending deliveries, so this is only a guard (against
    // a recover or a retry racing a pause): such a delivery must not be sent, nor come due again
    // after every lease forever.
    if (orphans.length > 0) cancel.run(now, JSON.stringify(orphans))
    return claimed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  return {
    claimDue(options: ClaimOptions): ClaimedDelivery[] {
      const { now, limit, leaseMs, leaseToken } = options
      return transaction(() =>
        assemble(claimDue.all(now + leaseMs, leaseToken, now, limit), leaseToken, now, true),
      )
    },

    claimOne(id: string, options: Omit<ClaimOptions, 'limit'>): ClaimedDelivery | null {
      const { now, leaseMs, leaseToken } = options
      return transaction(() => {
        // The status before the claim decides what a failed manual attempt does to the delivery.
        const before = statusOf.get(id)?.status as DeliveryStatus | undefined
        const rows = claimOne.all(now + leaseMs, leaseToken, now, id)
        const claimed = assemble(rows, leaseToken, now, false)[0]
        return claimed === undefined ? null : { ...claimed, status: before ?? 'pending' }
      })
    },

    release(ids: string[], leaseToken: string, at: number): void {
      if (ids.length > 0) release.run(at, JSON.stringify(ids), leaseToken)
    },

    nextDueAt(): number | null {
      return (selectNextDue.get()?.due ?? null) as number | null
    },
  }
}
