import type pg from 'pg'
import { newId } from '../../core/ids.ts'
import type { Page, WebhookEvent } from '../../core/types.ts'
import type { EventQuery, InsertedEvent, NewDelivery, PublishEventOptions } from '../store.ts'
import { notifyChannel, type Queryable, row, rows, statement } from './connection.ts'
import { type Filters, newestFirstPage } from './paging.ts'
import { ms, toEvent } from '../row-mapping.ts'
import { matchingIds } from './subscriptions-sql.ts'
import { transaction } from './transaction.ts'

/** The event verbs of the PostgreSQL store. */
export type EventsSql = ReturnType<typeof eventsSql>

// One statement writes the event and its deliveries, all or nothing, and wakes the workers when
// it wrote a delivery. A repeated idempotency key writes nothing: ON CONFLICT waits for a
// concurrent first publish of the key to commit, so the first event can be read right after.
const insertWithDeliveries = statement(
  `WITH event AS (
     INSERT INTO events (id, tenant, type, data, timestamp, idempotency_key, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
     RETURNING id
   ), written AS (
     INSERT INTO deliveries (id, event_id, subscription_id, tenant, event_type, status, attempts,
       next_attempt_at, created_at, updated_at)
     SELECT d.id, event.id, d.subscription_id, $2, $3, 'pending', 0, $5, $5, $5
     FROM event CROSS JOIN unnest($8::text[], $9::text[]) AS d(id, subscription_id)
     RETURNING 1
   ), woken AS (
     SELECT pg_notify('${notifyChannel}', '') FROM (SELECT 1 FROM written LIMIT 1) AS any_written
   )
   SELECT (SELECT count(*) FROM event) AS inserted, (SELECT count(*) FROM written) AS deliveries,
     (SELECT count(*) FROM woken) AS woken`,
)
const selectByKey = statement(
  `SELECT e.*, (SELECT count(*) FROM deliveries d WHERE d.event_id = e.id) AS delivery_count
   FROM events e WHERE e.tenant = $1 AND e.idempotency_key = $2`,
)
const selectById = statement('SELECT * FROM events WHERE id = $1')
// Oldest first means by timestamp, with the id breaking ties; the cursor is the pair, found from
// `afterId` (a gone one still bounds the page by its id at `since`), so the (tenant, timestamp,
// id) index serves every page without a scan.
const selectSince = statement(
  `SELECT * FROM events WHERE tenant = $1 AND timestamp >= $2
     AND (timestamp, id) > (COALESCE((SELECT a.timestamp FROM events a WHERE a.id = $4), $2), $4)
   ORDER BY timestamp, id LIMIT $3`,
)

/**
 * Writes an event with its deliveries, or answers the first event of a repeated idempotency key.
 * New deliveries are due at the event's timestamp: the engine's (possibly injected) clock stamped
 * it at publish, so "due now" means the same thing to the claims that follow.
 */
async function insert(
  db: Queryable,
  event: WebhookEvent,
  deliveries: NewDelivery[],
): Promise<InsertedEvent> {
  const at = ms(event.timestamp)
  const data = JSON.stringify(event.data) ?? 'null'
  const values = [
    event.id,
    event.tenant,
    event.type,
    data,
    at,
    event.idempotencyKey,
    Date.now(),
    deliveries.map((d) => d.id),
    deliveries.map((d) => d.subscriptionId),
  ]
  // The first event of a key may be pruned between the conflict and the read: then try again.
  for (let tries = 1; ; tries++) {
    const result = (await row(db, insertWithDeliveries, values))!
    if (result.inserted === 1) return { event, deliveries: deliveries.length, inserted: true }
    const first = await row(db, selectByKey, [event.tenant, event.idempotencyKey])
    if (first !== undefined) {
      return { event: toEvent(first), deliveries: first.delivery_count as number, inserted: false }
    }
    if (tries >= 3) throw new Error(`idempotency key ${event.idempotencyKey} kept changing`)
  }
}

/** Returns the event operations, run on `pool`. */
export function eventsSql(pool: pg.Pool) {
  return {
    insert(event: WebhookEvent, deliveries: NewDelivery[]): Promise<InsertedEvent> {
      return insert(pool, event, deliveries)
    },

    /**
     * Matches and writes in one transaction. Read committed still lets a subscription be paused
     * between the two; the claim then cancels what reached it instead of sending it.
     */
    publish(event: WebhookEvent, options: PublishEventOptions): Promise<InsertedEvent> {
      return transaction(pool, async (client) => {
        const at = ms(event.timestamp)
        const deliveries: NewDelivery[] = []
        for (const subscriptionId of await matchingIds(client, event.tenant, event.type)) {
          if (subscriptionId === options.excludeSubscriptionId) continue
          deliveries.push({ id: newId('delivery', at), subscriptionId })
        }
        return insert(client, event, deliveries)
      })
    },

    async get(id: string): Promise<WebhookEvent | null> {
      const found = await row(pool, selectById, [id])
      return found === undefined ? null : toEvent(found)
    },

    list(query: EventQuery): Promise<Page<WebhookEvent>> {
      const filters: Filters = { clauses: ['tenant = ?'], params: [query.tenant] }
      if (query.type !== undefined) {
        filters.clauses.push('type = ?')
        filters.params.push(query.type)
      }
      return newestFirstPage(pool, 'events', filters, query.limit, query.cursor, toEvent)
    },

    async listSince(
      tenant: string,
      since: number,
      limit: number,
      afterId?: string,
    ): Promise<WebhookEvent[]> {
      return (await rows(pool, selectSince, [tenant, since, limit, afterId ?? ''])).map(toEvent)
    },
  }
}
