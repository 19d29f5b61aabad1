import type pg from 'pg'
import { newId } from '../../core/ids.ts'
import { candidatePatterns } from '../../core/patterns.ts'
import { deliveryCountsByEvent } from '../../core/delivery-counts.ts'
import type { DeliveryCounts, Page, WebhookEvent } from '../../core/types.ts'
import type {
  EventQuery,
  InsertedEvent,
  NewDelivery,
  PublishEventOptions,
  QueryClient,
} from '../store.ts'
import { notifyCall, row, rows, type Statement, statement } from './connection.ts'
import { fanOutSlice, fanOutSlices } from '../fan-out-slices.ts'
import { eventFilters } from '../event-filters.ts'
import { newestFirstPage } from './paging.ts'
import { ms } from '../../core/time.ts'
import { type Row, toEvent } from '../row-mapping.ts'
import { matchingIdsQuery } from './subscriptions-sql.ts'
import { transaction } from './transaction.ts'

/** The event verbs of the PostgreSQL store. */
export type EventsSql = ReturnType<typeof eventsSql>

/** Runs one statement and returns its rows. */
type Run = (stmt: Statement, values: unknown[]) => Promise<Row[]>

// The event, `$1`–`$7` (`eventValues`), as the first part of both writes below: nothing is written
// when the key was seen, and the rest of the statement then writes nothing either.
const insertEvent = (prefix: string) =>
  `event AS (
     INSERT INTO ${prefix}events (id, tenant, type, data, timestamp, idempotency_key, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
     RETURNING id
   )`

// One statement writes the event and its deliveries, all or nothing, and wakes the workers when
// it wrote a delivery (inside a transaction, at its commit). A repeated idempotency key writes
// nothing: ON CONFLICT waits for a concurrent first publish of the key to commit, so the first
// event can be read right after. `prefix` is as in `matchingIdsQuery`; `notify` is a `notifyCall`.
const insertWithDeliveries = (prefix: string, notify: string) =>
  `WITH ${insertEvent(prefix)}, written AS (
     INSERT INTO ${prefix}deliveries (id, event_id, subscription_id, tenant, event_type, status,
       attempts, next_attempt_at, created_at, updated_at)
     SELECT d.id, event.id, d.subscription_id, $2, $3, 'pending', 0, $5, $5, $5
     FROM event CROSS JOIN unnest($8::text[], $9::text[]) AS d(id, subscription_id)
     RETURNING id, subscription_id
   ), queued AS (
     INSERT INTO ${prefix}delivery_queue (delivery_id, next_attempt_at, subscription_id)
     SELECT id, $5, subscription_id FROM written
   ), woken AS (
     SELECT ${notify} FROM (SELECT 1 FROM written LIMIT 1) AS any_written
   )
   SELECT (SELECT count(*) FROM event) AS inserted, (SELECT count(*) FROM written) AS deliveries,
     (SELECT count(*) FROM woken) AS woken`
// A publish to more than `fanOutSlice` subscriptions writes the event and the slices of its
// subscriptions (fan-outs-sql.ts), and wakes the workers, whose claims write the deliveries.
const insertWithQueue = (prefix: string, notify: string) =>
  `WITH ${insertEvent(prefix)}, queued AS (
     INSERT INTO ${prefix}fan_out_queue (event_id, subscription_ids)
     SELECT event.id, s.ids FROM event CROSS JOIN unnest($8::text[]) WITH ORDINALITY AS s(ids, n)
     ORDER BY s.n
     RETURNING 1
   ), woken AS (
     SELECT ${notify} FROM (SELECT 1 FROM queued LIMIT 1) AS any_queued
   )
   SELECT (SELECT count(*) FROM event) AS inserted, (SELECT count(*) FROM woken) AS woken`
// The first publish's deliveries, written or still queued.
const selectByKey = (prefix: string) =>
  `SELECT e.*,
     (SELECT count(*) FROM ${prefix}deliveries d WHERE d.event_id = e.id)
       + (SELECT COALESCE(sum(json_array_length(q.subscription_ids::json)), 0)
          FROM ${prefix}fan_out_queue q WHERE q.event_id = e.id) AS delivery_count
   FROM ${prefix}events e WHERE e.tenant = $1 AND e.idempotency_key = $2`

const countByStatus = statement(
  `SELECT event_id, status, COUNT(*) AS n FROM deliveries WHERE event_id = ANY($1::text[])
   GROUP BY event_id, status`,
)

/**
 * The statements of a publish: on the store's own connections without `schema`, else with
 * `"schema".` before each table name.
 */
function publishStatements(schema?: string) {
  const prefix = schema === undefined ? '' : `"${schema}".`
  return {
    match: matchingIdsQuery(prefix),
    insert: statement(insertWithDeliveries(prefix, notifyCall(schema))),
    queue: statement(insertWithQueue(prefix, notifyCall(schema))),
    byKey: statement(selectByKey(prefix)),
  }
}

type PublishStatements = ReturnType<typeof publishStatements>

/** The statements on the store's own connections, whose search_path is the schema. */
const own = publishStatements()

const selectById = statement('SELECT * FROM events WHERE id = $1')
// Oldest first means by timestamp, with the id breaking ties; the cursor is the pair, found from
// `afterId` (a gone one still bounds the page by its id at `since`), so the (tenant, timestamp,
// id) index serves every page without a scan.
const selectSince = statement(
  `SELECT * FROM events WHERE tenant = $1 AND timestamp >= $2
     AND (timestamp, id) > (COALESCE((SELECT a.timestamp FROM events a WHERE a.id = $4), $2), $4)
   ORDER BY timestamp, id LIMIT $3`,
)

// The BIGINT columns a publish reads back; the store's connections parse them as numbers.
const bigintColumns = [
  'inserted',
  'deliveries',
  'woken',
  'timestamp',
  'created_at',
  'delivery_count',
]

/**
 * Runs statements on a caller's client. They are sent unnamed, since a prepared statement would
 * outlive the call on a connection Hookrelay does not own; and BIGINT columns are made numbers,
 * since that client parses them with its own type parsers (pg's default gives strings).
 */
function onCallerClient(client: QueryClient): Run {
  return async (stmt, values) => {
    const result = await client.query(stmt.text, values)
    return result.rows.map((found) => {
      const copy = { ...(found as Row) }
      for (const column of bigintColumns) {
        if (copy[column] !== undefined && copy[column] !== null) copy[column] = Number(copy[column])
      }
      return copy
    })
  }
}

/**
 * Writes an event with its deliveries, or answers the first event of a repeated idempotency key.
 * New deliveries are due at the event's timestamp: the engine's (possibly injected) clock stamped
 * it at publish, so "due now" means the same thing to the claims that follow.
 */
async function insert(
  run: Run,
  sql: PublishStatements,
  event: WebhookEvent,
  deliveries: NewDelivery[],
): Promise<InsertedEvent> {
  const values = [
    ...eventValues(event),
    deliveries.map((d) => d.id),
    deliveries.map((d) => d.subscriptionId),
  ]
  return written(run, sql, event, sql.insert, values, deliveries.length)
}

/** The event's columns, `$1`–`$7` of both writes. */
function eventValues(event: WebhookEvent): unknown[] {
  const data = JSON.stringify(event.data) ?? 'null'
  const at = ms(event.timestamp)
  return [event.id, event.tenant, event.type, data, at, event.idempotencyKey, Date.now()]
}

/** Writes `event` and queues slices of `subscriptionIds` (`insertWithQueue`). */
function queue(
  run: Run,
  sql: PublishStatements,
  event: WebhookEvent,
  subscriptionIds: string[],
): Promise<InsertedEvent> {
  const values = [...eventValues(event), fanOutSlices(subscriptionIds)]
  return written(run, sql, event, sql.queue, values, subscriptionIds.length)
}

/**
 * Runs the write `stmt` and answers `deliveries` for it, or, when the idempotency key was used
 * before, the first event of the key.
 */
async function written(
  run: Run,
  sql: PublishStatements,
  event: WebhookEvent,
  stmt: Statement,
  values: unknown[],
  deliveries: number,
): Promise<InsertedEvent> {
  // The first event of a key may be pruned between the conflict and the read: then try again.
  for (let tries = 1; ; tries++) {
    const result = (await run(stmt, values))[0]!
    if (result.inserted === 1) return { event, deliveries, inserted: true }
    const first = (await run(sql.byKey, [event.tenant, event.idempotencyKey]))[0]
    if (first !== undefined) {
      return { event: toEvent(first), deliveries: first.delivery_count as number, inserted: false }
    }
    if (tries >= 3) throw new Error(`idempotency key ${event.idempotencyKey} kept changing`)
  }
}

/**
 * Matches and writes, inside a transaction the caller of this function holds. Read committed
 * still lets a subscription be paused between the two; the claim then cancels what reached it
 * instead of sending it.
 */
async function publish(
  run: Run,
  sql: PublishStatements,
  event: WebhookEvent,
  options: PublishEventOptions,
): Promise<InsertedEvent> {
  const at = ms(event.timestamp)
  const ids: string[] = []
  for (const found of await run(sql.match, [event.tenant, candidatePatterns(event.type)])) {
    const subscriptionId = found.id as string
    if (subscriptionId !== options.excludeSubscriptionId) ids.push(subscriptionId)
  }
  if (ids.length > fanOutSlice) return queue(run, sql, event, ids)
  const deliveries = ids.map((subscriptionId) => ({ id: newId('delivery', at), subscriptionId }))
  return insert(run, sql, event, deliveries)
}

/** Returns the event operations, run on `pool`, whose connections use `schema`. */
export function eventsSql(pool: pg.Pool, schema: string) {
  // A caller's client may have any search_path, so its statements name the store's schema: a
  // `SET LOCAL search_path` instead would last to the end of the caller's transaction and change
  // what the caller's own statements after the publish refer to.
  const qualified = publishStatements(schema)
  return {
    insert(event: WebhookEvent, deliveries: NewDelivery[]): Promise<InsertedEvent> {
      return insert((stmt, values) => rows(pool, stmt, values), own, event, deliveries)
    },

    /**
     * Matches and writes in a transaction of the store's own, or, with `transaction`, in the
     * caller's. There no BEGIN, COMMIT, ROLLBACK or SAVEPOINT is sent: the write is one
     * statement, all or nothing by itself, and a failed statement must fail the caller's
     * transaction, so that the business change cannot commit without its event. A deadlock is
     * not retried there either: it aborted the caller's transaction, which only the caller can
     * run again.
     */
    publish(event: WebhookEvent, options: PublishEventOptions): Promise<InsertedEvent> {
      if (options.transaction !== undefined) {
        return publish(onCallerClient(options.transaction), qualified, event, options)
      }
      return transaction(pool, (client) =>
        publish((stmt, values) => rows(client, stmt, values), own, event, options),
      )
    },

    async get(id: string): Promise<WebhookEvent | null> {
      const found = await row(pool, selectById, [id])
      return found === undefined ? null : toEvent(found)
    },

    list(query: EventQuery): Promise<Page<WebhookEvent>> {
      return newestFirstPage(
        pool,
        'events',
        eventFilters(query),
        query.limit,
        query.cursor,
        toEvent,
      )
    },

    async countDeliveries(eventIds: string[]): Promise<Record<string, DeliveryCounts>> {
      return deliveryCountsByEvent(eventIds, await rows(pool, countByStatus, [eventIds]))
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
