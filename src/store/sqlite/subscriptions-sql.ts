import { openStatusesSql as open } from '../../core/delivery-status.ts'
import { ConflictError } from '../../core/errors.ts'
import { candidatePatterns, findOverlap } from '../../core/patterns.ts'
import type { Page, StoredSubscription } from '../../core/types.ts'
import type { SubscriptionQuery } from '../store.ts'
import type { SqliteConnection } from './connection.ts'
import { type Filters, newestFirstPage } from './paging.ts'
import { subscriptionFilters } from '../subscription-filters.ts'
import { subscriptionColumns, subscriptionRecord, toSubscription } from '../row-mapping.ts'

/** The subscription verbs of the SQLite store. */
export type SubscriptionsSql = ReturnType<typeof subscriptionsSql>

/** Prepares the subscription statements once and returns the operations that use them. */
export function subscriptionsSql(conn: SqliteConnection) {
  const { db, transaction } = conn
  const columns = subscriptionColumns
  const insertRow = db.prepare(
    `INSERT INTO subscriptions (${columns.join(', ')})
     VALUES (${columns.map((c) => `:${c}`).join(', ')})`,
  )
  // created_at never changes after insert.
  const assigned = columns.filter((c) => c !== 'id' && c !== 'created_at')
  const updateRow = db.prepare(
    `UPDATE subscriptions SET ${assigned.map((c) => `${c} = :${c}`).join(', ')} WHERE id = :id`,
  )
  const resetRun = db.prepare(
    'UPDATE subscriptions SET consecutive_failures = 0, failing_since = NULL WHERE id = ?',
  )
  const selectById = db.prepare('SELECT * FROM subscriptions WHERE id = ?')
  const selectState = db.prepare('SELECT state FROM subscriptions WHERE id = ?')
  // No ORDER BY: it would tempt the planner into the (tenant, id) index and a scan of the tenant.
  const selectSameUrl = db.prepare(
    'SELECT id, events FROM subscriptions WHERE tenant = ? AND url = ? AND id <> ?',
  )
  const deleteRow = db.prepare('DELETE FROM subscriptions WHERE id = ?')
  const insertPattern = db.prepare(
    'INSERT OR IGNORE INTO subscription_patterns (tenant, pattern, subscription_id) VALUES (?, ?, ?)',
  )
  const deletePatterns = db.prepare('DELETE FROM subscription_patterns WHERE subscription_id = ?')
  const cancelPending = db.prepare(
    `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, lease_token = NULL,
       updated_at = ? WHERE subscription_id = ? AND status IN ${open}`,
  )
  const selectMatching = db.prepare(
    `SELECT * FROM subscriptions WHERE state = 'active' AND id IN (
       SELECT subscription_id FROM subscription_patterns
       WHERE tenant = ? AND pattern IN (SELECT value FROM json_each(?))
     ) ORDER BY id`,
  )

  // Publishing matches on every event while subscriptions rarely change: matches are kept until
  // this connection writes a subscription or `data_version` says another connection committed
  // (it changes on any commit elsewhere, so the cache is only ever too cautious), or a rollback
  // may have undone what a cached match saw.
  const dataVersion = db.prepare('PRAGMA data_version')
  const matches = new Map<string, StoredSubscription[]>()
  let matchesVersion: unknown = null
  const forgetMatches = () => {
    matches.clear()
  }

  function assertNoDuplicate(s: StoredSubscription): void {
    for (const row of selectSameUrl.all(s.tenant, s.config.url, s.id)) {
      const overlap = findOverlap(s.events, JSON.parse(row.events as string) as string[])
      if (overlap !== undefined) {
        throw new ConflictError(
          'duplicate_subscription',
          `a subscription for ${s.config.url} already receives ${overlap[1]}`,
          row.id as string,
        )
      }
    }
  }

  function writePatterns(s: StoredSubscription): void {
    for (const pattern of s.events) insertPattern.run(s.tenant, pattern, s.id)
  }

  return {
    insert(s: StoredSubscription): void {
      transaction(() => {
        forgetMatches()
        assertNoDuplicate(s)
        insertRow.run(subscriptionRecord(s))
        writePatterns(s)
      })
    },

    get(id: string): StoredSubscription | null {
      const row = selectById.get(id)
      return row === undefined ? null : toSubscription(row)
    },

    list(query: SubscriptionQuery): Page<StoredSubscription> {
      const filters: Filters = subscriptionFilters(query)
      if (query.event !== undefined) {
        filters.clauses.push(
          `id IN (SELECT subscription_id FROM subscription_patterns
             WHERE tenant = ? AND pattern IN (SELECT value FROM json_each(?)))`,
        )
        filters.params.push(query.tenant, JSON.stringify(candidatePatterns(query.event)))
      }
      return newestFirstPage(
        conn,
        'subscriptions',
        filters,
        query.limit,
        query.cursor,
        toSubscription,
      )
    },

    update(s: StoredSubscription): boolean {
      return transaction(() => {
        forgetMatches()
        const before = selectState.get(s.id)
        if (before === undefined) return false
        assertNoDuplicate(s)
        const { created_at: _, ...values } = subscriptionRecord(s)
        updateRow.run(values)
        deletePatterns.run(s.id)
        writePatterns(s)
        // A subscription turned back on starts a new failure run; otherwise the first failure
        // after re-enabling would count the run that disabled it.
        if (before.state !== 'active' && s.state === 'active') resetRun.run(s.id)
        if (s.state !== 'active') cancelPending.run(Date.parse(s.updatedAt) || Date.now(), s.id)
        return true
      })
    },

    delete(id: string): boolean {
      return transaction(() => {
        forgetMatches()
        if (deleteRow.run(id).changes === 0) return false
        deletePatterns.run(id)
        cancelPending.run(Date.now(), id)
        return true
      })
    },

    match(tenant: string, eventType: string): StoredSubscription[] {
      const version = `${dataVersion.get()?.data_version}.${conn.rollbacks}`
      if (version !== matchesVersion || matches.size >= 10_000) {
        matches.clear()
        matchesVersion = version
      }
      const key = `${tenant}\u0000${eventType}`
      let matched = matches.get(key)
      if (matched === undefined) {
        matched = selectMatching
          .all(tenant, JSON.stringify(candidatePatterns(eventType)))
          .map(toSubscription)
        matches.set(key, matched)
      }
      return matched
    },
  }
}
