import type pg from 'pg'
import { ConflictError } from '../../core/errors.ts'
import { candidatePatterns, findOverlap } from '../../core/patterns.ts'
import type { Page, StoredSubscription } from '../../core/types.ts'
import type { SubscriptionQuery } from '../store.ts'
import { exec, type Queryable, row, rows, type Statement, statement } from './connection.ts'
import { type Filters, newestFirstPage } from './paging.ts'
import { subscriptionFilters } from '../subscription-filters.ts'
import { subscriptionColumns, subscriptionRecord, toSubscription } from '../row-mapping.ts'
import { transaction } from './transaction.ts'

/** The subscription verbs of the PostgreSQL store. */
export type SubscriptionsSql = ReturnType<typeof subscriptionsSql>

const columns = subscriptionColumns
const insertRow = statement(
  `INSERT INTO subscriptions (${columns.join(', ')})
   VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
)
// created_at never changes after insert.
const assigned = columns.filter((c) => c !== 'id' && c !== 'created_at')
const updateRow = statement(
  `UPDATE subscriptions SET ${assigned.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE id = $1`,
)
// The duplicate rule spans rows, so no constraint can hold it: every write of a (tenant, URL)
// takes this lock first, in any process, and reads the others only once it holds it. A second
// writer of the same URL waits for the first to commit, then sees its row.
const lockUrl = statement(
  `SELECT pg_advisory_xact_lock(hashtext('hookrelay.subscription_url'),
     hashtext(current_schema() || ' ' || $1::text || ' ' || $2::text))`,
)
const resetRun = statement(
  'UPDATE subscriptions SET consecutive_failures = 0, failing_since = NULL WHERE id = $1',
)
const selectById = statement('SELECT * FROM subscriptions WHERE id = $1')
const lockState = statement('SELECT state FROM subscriptions WHERE id = $1 FOR UPDATE')
const selectSameUrl = statement(
  'SELECT id, events FROM subscriptions WHERE tenant = $1 AND url = $2 AND id <> $3',
)
const deleteRow = statement('DELETE FROM subscriptions WHERE id = $1')
const insertPatterns = statement(
  `INSERT INTO subscription_patterns (tenant, pattern, subscription_id)
   SELECT $1, pattern, $2 FROM unnest($3::text[]) AS pattern ON CONFLICT DO NOTHING`,
)
const deletePatterns = statement('DELETE FROM subscription_patterns WHERE subscription_id = $1')
// Queue rows first, then deliveries: the order every statement locks them in.
const cancelPending = statement(
  `WITH dequeued AS (
     DELETE FROM delivery_queue q USING deliveries d
     WHERE q.delivery_id = d.id AND d.subscription_id = $2 RETURNING q.delivery_id
   )
   UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, updated_at = $1
   WHERE id IN (SELECT delivery_id FROM dequeued)`,
)
// `prefix` goes before each table name: '' on the store's own connections, whose search_path is
// the schema, or `"schema".` on a caller's client, whose search_path may be anything.
// The shape is fixed on purpose: the matched ids from the patterns' index, then one primary-key
// probe each (the LIMIT keeps the planner from turning the probe into a join of its choosing).
// Left to itself, on tables not yet analyzed (a tenant that has just added 1,000 subscriptions),
// it chose a nested loop that read every pattern of the tenant once per subscription: 170 ms a
// publish instead of 4.
const matching = (prefix: string, columns: string) => `SELECT ${columns}
   FROM (SELECT DISTINCT subscription_id AS id FROM ${prefix}subscription_patterns
     WHERE tenant = $1 AND pattern = ANY($2)) AS m
   CROSS JOIN LATERAL (SELECT * FROM ${prefix}subscriptions s
     WHERE s.id = m.id AND s.tenant = $1 AND s.state = 'active' LIMIT 1) AS s
   ORDER BY s.id`
const selectMatching = statement(matching('', 's.*'))

function values(s: StoredSubscription): unknown[] {
  const record = subscriptionRecord(s)
  return columns.map((c) => record[c])
}

/** Refuses `s` when another subscription has its URL and an overlapping event; under `lockUrl`. */
async function assertNoDuplicate(client: Queryable, s: StoredSubscription): Promise<void> {
  for (const other of await rows(client, selectSameUrl, [s.tenant, s.config.url, s.id])) {
    const overlap = findOverlap(s.events, JSON.parse(other.events as string) as string[])
    if (overlap !== undefined) {
      throw new ConflictError(
        'duplicate_subscription',
        `a subscription for ${s.config.url} already receives ${overlap[1]}`,
        other.id as string,
      )
    }
  }
}

/**
 * The query of the ids of the active subscriptions of tenant `$1` with a pattern in `$2` (the
 * candidate patterns of an event type), in id order, with `prefix` ('' or `"schema".`) before
 * each table name.
 */
export function matchingIdsQuery(prefix: string): Statement {
  return statement(matching(prefix, 's.id'))
}

/** Returns the subscription operations, run on `pool`. */
export function subscriptionsSql(pool: pg.Pool) {
  return {
    async insert(s: StoredSubscription): Promise<void> {
      await transaction(pool, async (client) => {
        await exec(client, lockUrl, [s.tenant, s.config.url])
        await assertNoDuplicate(client, s)
        await exec(client, insertRow, values(s))
        await exec(client, insertPatterns, [s.tenant, s.id, s.events])
      })
    },

    async get(id: string): Promise<StoredSubscription | null> {
      const found = await row(pool, selectById, [id])
      return found === undefined ? null : toSubscription(found)
    },

    list(query: SubscriptionQuery): Promise<Page<StoredSubscription>> {
      const filters: Filters = subscriptionFilters(query)
      if (query.event !== undefined) {
        filters.clauses.push(
          `id IN (SELECT subscription_id FROM subscription_patterns
             WHERE tenant = ? AND pattern = ANY(?::text[]))`,
        )
        filters.params.push(query.tenant, candidatePatterns(query.event))
      }
      const { limit, cursor } = query
      return newestFirstPage(pool, 'subscriptions', filters, limit, cursor, toSubscription)
    },

    update(s: StoredSubscription): Promise<boolean> {
      return transaction(pool, async (client) => {
        // The URL lock before the row lock, in this order everywhere.
        await exec(client, lockUrl, [s.tenant, s.config.url])
        const before = await row(client, lockState, [s.id])
        if (before === undefined) return false
        await assertNoDuplicate(client, s)
        await exec(
          client,
          updateRow,
          values(s).filter((_, i) => columns[i] !== 'created_at'),
        )
        await exec(client, deletePatterns, [s.id])
        await exec(client, insertPatterns, [s.tenant, s.id, s.events])
        // A subscription turned back on starts a new failure run; otherwise the first failure
        // after re-enabling would count the run that disabled it.
        if (before.state !== 'active' && s.state === 'active') await exec(client, resetRun, [s.id])
        if (s.state !== 'active') {
          await exec(client, cancelPending, [Date.parse(s.updatedAt) || Date.now(), s.id])
        }
        return true
      })
    },

    delete(id: string): Promise<boolean> {
      return transaction(pool, async (client) => {
        if ((await exec(client, deleteRow, [id])).rowCount === 0) return false
        await exec(client, deletePatterns, [id])
        await exec(client, cancelPending, [Date.now(), id])
        return true
      })
    },

    async match(tenant: string, eventType: string): Promise<StoredSubscription[]> {
      const found = await rows(pool, selectMatching, [tenant, candidatePatterns(eventType)])
      return found.map(toSubscription)
    },
  }
}
