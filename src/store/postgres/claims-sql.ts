import type pg from 'pg'
import type { DeliveryStatus, StoredSubscription } from '../../core/types.ts'
import type { ClaimedDelivery, ClaimedEvent, ClaimOptions } from '../store.ts'
import { exec, notifyCall, type Queryable, row, rows, statement } from './connection.ts'
import { pairClaims, toClaimedEvent } from '../claimed-rows.ts'
import { arrayLiteral } from './pg-text.ts'
import { type Row, toSubscription } from '../row-mapping.ts'
import { retrying, transaction } from './transaction.ts'
import { inFlightStatusSql as inFlight } from '../../core/delivery-status.ts'

/** The claim and lease verbs of the PostgreSQL store: the delivery workers' read path. */
export type ClaimsSql = ReturnType<typeof claimsSql>

const returning = 'RETURNING id, event_id, subscription_id, status, attempts'

// The claimed deliveries (`claimed`, after the CTEs `leasing`) with what sending them needs, in
// the same statement, so a claim is one round trip: each event's columns and each subscription's
// row come on the first row that names it and are null on the others, so a batch of one event to
// many subscriptions, or of many events to one, carries each only once. A missing event or
// subscription leaves `event_tenant` or `subscription` null on every row that names it. Each is
// found by its primary key: left to the planner, a generic plan joined the batch to a scan of
// every event.
const withEventsAndSubscriptions = (leasing: string) =>
  `WITH ${leasing}, numbered AS (
     SELECT c.*, row_number() OVER (PARTITION BY c.event_id ORDER BY c.id) AS event_n,
       row_number() OVER (PARTITION BY c.subscription_id ORDER BY c.id) AS subscription_n
     FROM claimed c
   )
   SELECT n.id, n.event_id, n.subscription_id, n.status, n.attempts,
     e.tenant AS event_tenant, e.type AS event_type, e.timestamp AS event_timestamp,
     CASE WHEN n.event_n = 1 THEN e.data END AS event_data,
     CASE WHEN n.subscription_n = 1 THEN to_jsonb(s) END AS subscription
   FROM numbered n
   LEFT JOIN LATERAL (SELECT * FROM events WHERE id = n.event_id LIMIT 1) e ON true
   LEFT JOIN LATERAL (SELECT * FROM subscriptions WHERE id = n.subscription_id LIMIT 1) s ON true`

// One statement picks and leases a batch, in the queue: the lease's end is the queue row's next due
// time, so a worker that dies leaves nothing to clean up: its deliveries come due again by
// themselves. The inner SELECT walks the queue by due time, so a million deliveries due later cost
// nothing here; SKIP LOCKED lets workers in many processes claim side by side, each passing over
// the rows another is claiming at that moment instead of waiting for them. `= ANY (ARRAY(…))`
// rather than `IN (…)`: the planner may answer IN with a hash join over a scan of the whole table,
// while an array always finds the batch's rows through the primary key. `filter` narrows the walk.
const claimDueSql = (filter: string) =>
  withEventsAndSubscriptions(`leased AS (
     UPDATE delivery_queue SET next_attempt_at = $1, lease_token = $2
     WHERE delivery_id = ANY(ARRAY(
       SELECT delivery_id FROM delivery_queue WHERE next_attempt_at <= $3${filter}
       ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED
     )) RETURNING delivery_id
   ), claimed AS (
     SELECT id, event_id, subscription_id, status, attempts FROM deliveries
     WHERE id = ANY(ARRAY(SELECT delivery_id FROM leased))
   )`)
const claimDue = statement(claimDueSql(''))
// The same, passing over the subscriptions in $5: their rows are read on the walk but neither
// locked nor leased, so they stay first in due order for the claim that no longer excludes them.
// The price: every such claim reads again each of their rows due ahead of its batch (all of them
// when the batch comes out short), about 0.3 µs a row, so 0.3 s a claim behind a million.
const claimDueExcept = statement(claimDueSql(' AND subscription_id <> ALL($5::text[])'))
// With `room` for some subscriptions: the walk locks a batch as above (passing over $5), and the
// rows of a subscription beyond its room ($6 ids, $7 counts) are left as they were, unleased, for
// the claims after this one.
const claimDueRoom = statement(
  withEventsAndSubscriptions(`candidates AS (
     SELECT delivery_id, subscription_id, next_attempt_at FROM delivery_queue
     WHERE next_attempt_at <= $3 AND subscription_id <> ALL($5::text[])
     ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED
   ), picked AS (
     SELECT c.delivery_id FROM (
       SELECT delivery_id, subscription_id, row_number() OVER (
         PARTITION BY subscription_id ORDER BY next_attempt_at, delivery_id
       ) AS n FROM candidates
     ) c LEFT JOIN unnest($6::text[], $7::int[]) AS r(subscription_id, room) USING (subscription_id)
     WHERE r.room IS NULL OR c.n <= r.room
   ), leased AS (
     UPDATE delivery_queue SET next_attempt_at = $1, lease_token = $2
     WHERE delivery_id = ANY(ARRAY(SELECT delivery_id FROM picked)) RETURNING delivery_id
   ), claimed AS (
     SELECT id, event_id, subscription_id, status, attempts FROM deliveries
     WHERE id = ANY(ARRAY(SELECT delivery_id FROM leased))
   )`),
)
// A manual claim locks the delivery's queue row (if it has one) before the delivery, as every
// statement does, then makes it pending under its lease.
const lockQueued = statement('SELECT 1 FROM delivery_queue WHERE delivery_id = $1 FOR UPDATE')
const statusOf = statement('SELECT status FROM deliveries WHERE id = $1 FOR UPDATE')
const claimOne = statement(
  withEventsAndSubscriptions(`claimed AS (
     UPDATE deliveries SET status = ${inFlight}, next_attempt_at = $1, updated_at = $3
     WHERE id = $4 AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.id = deliveries.subscription_id)
     ${returning}
   ), queued AS (
     INSERT INTO delivery_queue (delivery_id, next_attempt_at, lease_token, subscription_id)
     SELECT id, $1, $2, subscription_id FROM claimed
     ON CONFLICT (delivery_id) DO UPDATE
       SET next_attempt_at = excluded.next_attempt_at, lease_token = excluded.lease_token
   )`),
)
const release = statement(
  `WITH released AS (
     UPDATE delivery_queue SET next_attempt_at = $1, lease_token = NULL
     WHERE delivery_id = ANY($2::text[]) AND lease_token = $3
     RETURNING delivery_id
   ), shown AS (
     UPDATE deliveries SET next_attempt_at = $1 WHERE id IN (SELECT delivery_id FROM released)
   )
   SELECT ${notifyCall()} FROM (SELECT 1 FROM released LIMIT 1) AS any_released`,
)
// Only while the claim's lease still holds: another worker may own the delivery by then.
const cancel = statement(
  `WITH dequeued AS (
     DELETE FROM delivery_queue WHERE delivery_id = ANY($2::text[]) AND lease_token = $3
     RETURNING delivery_id
   )
   UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, updated_at = $1
   WHERE id IN (SELECT delivery_id FROM dequeued)`,
)
const selectNextDue = statement('SELECT MIN(next_attempt_at) AS due FROM delivery_queue')

/**
 * Makes the claimed rows, joined to their events and subscriptions, into claimed deliveries, and
 * cancels the claims whose event or subscription is gone (see `pairClaims`).
 */
async function assemble(
  db: Queryable,
  claimedRows: Row[],
  leaseToken: string,
  now: number,
  onlyActive: boolean,
): Promise<ClaimedDelivery[]> {
  const events = new Map<string, ClaimedEvent>()
  const subscriptions = new Map<string, StoredSubscription>()
  for (const r of claimedRows) {
    // Each event's and subscription's columns come on the first row that names it.
    if (r.event_data !== null && r.event_tenant !== null) {
      events.set(r.event_id as string, toClaimedEvent(r, 'event_'))
    }
    if (r.subscription !== null) {
      subscriptions.set(r.subscription_id as string, toSubscription(r.subscription as Row))
    }
  }
  const { claimed, orphans } = pairClaims(
    claimedRows,
    events,
    subscriptions,
    leaseToken,
    onlyActive,
  )
  if (orphans.length > 0) await exec(db, cancel, [now, orphans, leaseToken])
  return claimed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** Returns the claim operations, run on `pool`. */
export function claimsSql(pool: pg.Pool) {
  return {
    // One statement leases the batch and reads what sending it needs: one round trip, and no
    // moment between the lease and the reads where a lost connection (a server restart) would
    // leave a batch leased to a worker that never got it, to wait out the whole lease.
    async claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]> {
      const { now, limit, leaseMs, leaseToken, exclude = [], room = {} } = options
      const roomIds = Object.keys(room)
      const common = [now + leaseMs, leaseToken, now, limit]
      // Without exclusions or room, the statement as it always was: nothing added to the hot path.
      const [stmt, values] =
        roomIds.length > 0
          ? [
              claimDueRoom,
              [
                ...common,
                arrayLiteral(exclude),
                arrayLiteral(roomIds),
                arrayLiteral(roomIds.map((id) => room[id]!)),
              ],
            ]
          : exclude.length > 0
            ? [claimDueExcept, [...common, arrayLiteral(exclude)]]
            : [claimDue, common]
      const claimed = await retrying(() => rows(pool, stmt, values))
      return assemble(pool, claimed, leaseToken, now, true)
    },

    claimOne(id: string, options: Omit<ClaimOptions, 'limit'>): Promise<ClaimedDelivery | null> {
      const { now, leaseMs, leaseToken } = options
      return transaction(pool, async (client) => {
        await exec(client, lockQueued, [id])
        // The status before the claim decides what a failed manual attempt does to the delivery.
        const before = (await row(client, statusOf, [id]))?.status as DeliveryStatus | undefined
        const claimedRows = await rows(client, claimOne, [now + leaseMs, leaseToken, now, id])
        const claimed = (await assemble(client, claimedRows, leaseToken, now, false))[0]
        return claimed === undefined ? null : { ...claimed, status: before ?? 'pending' }
      })
    },

    async release(ids: string[], leaseToken: string, at: number): Promise<void> {
      if (ids.length > 0) await exec(pool, release, [at, ids, leaseToken])
    },

    async nextDueAt(): Promise<number | null> {
      return ((await row(pool, selectNextDue))?.due ?? null) as number | null
    },
  }
}
