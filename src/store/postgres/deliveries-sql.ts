import type pg from 'pg'
import { newId } from '../../core/ids.ts'
import { anyPatternMatches } from '../../core/patterns.ts'
import { stateEventTypes } from '../../core/state-events.ts'
import type { Delivery, Page, StoredSubscription } from '../../core/types.ts'
import type { DeliveryQuery, RetriedDeliveries, RetryQuery, TimeRange } from '../store.ts'
import { ofActiveSubscriptionSql as ofActive, retryFilters } from '../event-filters.ts'
import { recoverableStatusesSql as recoverable } from '../../core/delivery-status.ts'
import { exec, notifySql, row, rows, statement } from './connection.ts'
import { type Filters, newestFirstPage, numberedStatement } from './paging.ts'
import { toDelivery } from '../row-mapping.ts'
import { transaction } from './transaction.ts'

/** The delivery reading, recovery and retry verbs of the PostgreSQL store. */
export type DeliveriesSql = ReturnType<typeof deliveriesSql>

const selectById = statement('SELECT * FROM deliveries WHERE id = $1')
// Failed and cancelled deliveries have no queue row; should one be left behind, it is reset
// rather than failing the recover. A retrying one has its queue row: one leased is in flight, and
// left to its attempt.
const requeue = statement(
  `WITH requeued AS (
     UPDATE deliveries SET status = 'pending', next_attempt_at = $1, attempts = 0, updated_at = $1
     WHERE subscription_id = $2 AND status IN ${recoverable} AND EXISTS (
       SELECT 1 FROM events e WHERE e.id = deliveries.event_id AND e.timestamp >= $3
         AND e.timestamp < $4
     ) AND NOT EXISTS (
       SELECT 1 FROM delivery_queue q WHERE q.delivery_id = deliveries.id
         AND q.lease_token IS NOT NULL
     ) RETURNING id
   )
   INSERT INTO delivery_queue (delivery_id, next_attempt_at, subscription_id)
   SELECT id, $1, $2 FROM requeued
   ON CONFLICT (delivery_id) DO UPDATE SET next_attempt_at = excluded.next_attempt_at,
     lease_token = NULL`,
)
// The data is parsed only for state-change events, the only ones that name a subscription; NULL
// (no `subscriptionId`) leaves such an event out, as SQLite's json_extract does.
const selectMissed = statement(
  `SELECT e.id, e.type FROM events e
   WHERE e.tenant = $1 AND e.timestamp >= $2 AND e.timestamp < $5 AND NOT EXISTS (
     SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.subscription_id = $3
   ) AND NOT (
     e.type = ANY($4::text[])
     AND (CASE WHEN e.type = ANY($4::text[]) THEN e.data::jsonb ->> 'subscriptionId' END) = $3
   ) ORDER BY e.id`,
)
const insertDeliveries = statement(
  `WITH written AS (
     INSERT INTO deliveries (id, event_id, subscription_id, tenant, event_type, status, attempts,
       next_attempt_at, created_at, updated_at)
     SELECT d.id, d.event_id, $3, $4, d.event_type, 'pending', 0, $5, $5, $5
     FROM unnest($1::text[], $2::text[], $6::text[]) AS d(id, event_id, event_type)
     RETURNING id
   )
   INSERT INTO delivery_queue (delivery_id, next_attempt_at, subscription_id)
   SELECT id, $5, $3 FROM written`,
)
const notify = statement(notifySql)

/**
 * A retry's requeue, for the `WHERE` of `retryFilters`: as `requeue` above, a retrying delivery
 * whose queue row is leased is in flight, and left to its attempt. The rows are locked as they
 * are chosen, so one that changed meanwhile (an attempt recorded) is chosen only if it still
 * matches.
 */
const retryRequeue = (where: string) =>
  numberedStatement(
    `WITH chosen AS (
       SELECT id FROM deliveries WHERE ${where} AND ${ofActive} AND NOT EXISTS (
         SELECT 1 FROM delivery_queue q WHERE q.delivery_id = deliveries.id
           AND q.lease_token IS NOT NULL
       ) LIMIT ? FOR UPDATE
     ), requeued AS (
       UPDATE deliveries SET status = 'pending', next_attempt_at = ?, attempts = 0, updated_at = ?
       WHERE id IN (SELECT id FROM chosen) RETURNING id, subscription_id
     )
     INSERT INTO delivery_queue (delivery_id, next_attempt_at, subscription_id)
     SELECT id, ?::bigint, subscription_id FROM requeued
     ON CONFLICT (delivery_id) DO UPDATE SET next_attempt_at = excluded.next_attempt_at,
       lease_token = NULL`,
  )

/** Returns the delivery operations, run on `pool`. */
export function deliveriesSql(pool: pg.Pool) {
  return {
    async get(id: string): Promise<Delivery | null> {
      const found = await row(pool, selectById, [id])
      return found === undefined ? null : toDelivery(found)
    },

    list(query: DeliveryQuery): Promise<Page<Delivery>> {
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
      return newestFirstPage(pool, 'deliveries', filters, query.limit, query.cursor, toDelivery)
    },

    recover(subscription: StoredSubscription, range: TimeRange, at: number): Promise<number> {
      const { id, tenant, events } = subscription
      const { since } = range
      const until = range.until ?? Number.MAX_SAFE_INTEGER
      return transaction(pool, async (client) => {
        let queued = (await exec(client, requeue, [at, id, since, until])).rowCount ?? 0
        // Events published while the subscription was paused or disabled never got a delivery
        // for it; match them against its patterns now.
        // Never events from before it existed, nor the notices about itself it was spared.
        const from = Math.max(since, Date.parse(subscription.createdAt))
        const found = await rows(client, selectMissed, [tenant, from, id, stateEventTypes, until])
        const missed = found
          .map((r) => ({ eventId: r.id as string, type: r.type as string }))
          .filter((e) => anyPatternMatches(events, e.type))
        if (missed.length > 0) {
          await exec(client, insertDeliveries, [
            missed.map(() => newId('delivery')),
            missed.map((e) => e.eventId),
            id,
            tenant,
            at,
            missed.map((e) => e.type),
          ])
          queued += missed.length
        }
        if (queued > 0) await exec(client, notify)
        return queued
      })
    },

    retry(query: RetryQuery, at: number): Promise<RetriedDeliveries> {
      const filters = retryFilters(query)
      if (filters === null) return Promise.resolve({ queued: 0, skipped: 0 })
      const where = filters.clauses.join(' AND ')
      const countLeft = numberedStatement(
        `SELECT count(*) AS n FROM deliveries WHERE ${where} AND NOT ${ofActive}`,
      )
      return transaction(pool, async (client) => {
        const skipped = ((await row(client, countLeft, filters.params))?.n as number) ?? 0
        const requeued = await exec(client, retryRequeue(where), [
          ...filters.params,
          query.limit,
          at,
          at,
          at,
        ])
        const queued = requeued.rowCount ?? 0
        if (queued > 0) await exec(client, notify)
        return { queued, skipped }
      })
    },
  }
}
