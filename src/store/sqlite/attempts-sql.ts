import { isSuccess } from '../../core/attempt-outcome.ts'
import { idFloor } from '../../core/ids.ts'
import type { Attempt, AttemptTiming } from '../../core/types.ts'
import type { AttemptTimingQuery, FailureRun } from '../store.ts'
import type { AttemptRow } from './attempt-rows.ts'
import type { SqliteConnection } from './connection.ts'
import type { DeliveryLock } from './delivery-lock.ts'
import type { Leases } from './leases.ts'
import { toAttempt, toAttemptTiming } from '../row-mapping.ts'

/** The attempt log verbs of the SQLite store: the delivery workers' write path. */
export type AttemptsSql = ReturnType<typeof attemptsSql>

/** A subscription's attempts within one batch, folded in order. */
interface RunChange {
  /** Whether a success came in the batch: then the run restarts from `failures`. */
  reset: boolean
  /** Failures after the batch's last success (or all of them, without one). */
  failures: number
  /** Start of the earliest failure counted in `failures`, epoch ms. */
  since: number | null
  /** Whether the batch had a failure at all (only those are reported back). */
  anyFailure: boolean
}

/** Prepares the attempt statements once and returns the operations that use them. */
export function attemptsSql(conn: SqliteConnection, leases: Leases, lock: DeliveryLock) {
  const { db, transaction } = conn
  const insertAttempt = db.prepare(
    `INSERT INTO attempts (id, delivery_id, event_id, subscription_id, tenant, trigger,
       started_at, duration_ms, status_code, error, request_headers, response_headers,
       response_body, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  // Only the lease holder moves the delivery on; a worker whose lease ran out (and was claimed
  // again since) still gets its attempt logged, but cannot overwrite the newer state. The row must
  // still hold the token it held when claimed: a manual claim's own token, or, for a scheduled
  // claim leased in memory, what the claim read (so a manual claim written since wins).
  const updateDelivery = db.prepare(
    `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?,
       last_status_code = ?, last_error = ?, lease_token = NULL, updated_at = ?
     WHERE id = ? AND lease_token IS ?`,
  )
  // A success on a healthy subscription is the common case: leave its row (and page) untouched.
  const clearRun = db.prepare(
    `UPDATE subscriptions SET consecutive_failures = 0, failing_since = NULL
     WHERE id = ? AND (consecutive_failures <> 0 OR failing_since IS NOT NULL)`,
  )
  const restartRun = db.prepare(
    `UPDATE subscriptions SET consecutive_failures = ?, failing_since = ? WHERE id = ?
     RETURNING consecutive_failures, failing_since`,
  )
  const extendRun = db.prepare(
    `UPDATE subscriptions SET consecutive_failures = consecutive_failures + ?,
       failing_since = COALESCE(failing_since, ?) WHERE id = ?
     RETURNING consecutive_failures, failing_since`,
  )
  const selectByDelivery = db.prepare('SELECT * FROM attempts WHERE delivery_id = ? ORDER BY id')
  const selectByEvent = db.prepare(
    `SELECT * FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_id = ?)
     ORDER BY id`,
  )
  const selectLastFailed = db.prepare(
    `SELECT * FROM attempts WHERE subscription_id = ?
       AND (status_code IS NULL OR status_code < 200 OR status_code >= 300)
     ORDER BY id DESC LIMIT 1`,
  )

  // Attempt ids sort by start time, so the window is a range of the primary key.
  const timingColumns = 'subscription_id, started_at, duration_ms, status_code'
  const selectTimings = db.prepare(
    `SELECT ${timingColumns} FROM attempts WHERE id >= ? AND tenant = ?
     ORDER BY id DESC LIMIT ?`,
  )
  const selectSubscriptionTimings = db.prepare(
    `SELECT ${timingColumns} FROM attempts WHERE id >= ? AND tenant = ? AND subscription_id = ?
     ORDER BY id DESC LIMIT ?`,
  )

  return {
    record(rows: AttemptRow[]): FailureRun[] {
      if (rows.length === 0) return []
      // One UPDATE per subscription per batch, not per attempt: fold the batch first.
      const runs = new Map<string, RunChange>()
      const now = Date.now()
      return transaction(() => {
        lock.confirm(leases)
        for (const row of rows) {
          // prettier-ignore
          const [id, deliveryId, eventId, subscriptionId, tenant, trigger, startedAt, durationMs,
            statusCode, error, requestHeaders, responseHeaders, body, leaseToken, status, next] = row
          insertAttempt.run(
            id,
            deliveryId,
            eventId,
            subscriptionId,
            tenant,
            trigger,
            startedAt,
            durationMs,
            statusCode,
            error,
            requestHeaders,
            responseHeaders,
            body,
            now,
          )
          const guard = leases.end(deliveryId, leaseToken)
          const updatedAt = startedAt + durationMs
          updateDelivery.run(status, next, statusCode, error, updatedAt, deliveryId, guard)
          let run = runs.get(subscriptionId)
          if (run === undefined) {
            run = { reset: false, failures: 0, since: null, anyFailure: false }
            runs.set(subscriptionId, run)
          }
          if (isSuccess(statusCode)) {
            run.reset = true
            run.failures = 0
            run.since = null
          } else {
            run.anyFailure = true
            run.failures++
            run.since = run.since === null ? startedAt : Math.min(run.since, startedAt)
          }
        }
        const health: FailureRun[] = []
        for (const [subscriptionId, run] of runs) {
          if (!run.anyFailure) {
            clearRun.run(subscriptionId)
            continue
          }
          const row = run.reset
            ? restartRun.get(run.failures, run.since, subscriptionId)
            : extendRun.get(run.failures, run.since, subscriptionId)
          if (row === undefined) continue
          health.push({
            subscriptionId,
            consecutiveFailures: row.consecutive_failures as number,
            failingSince: (row.failing_since ?? null) as number | null,
          })
        }
        return health
      })
    },

    list(filter: { deliveryId: string } | { eventId: string }): Attempt[] {
      const rows =
        'deliveryId' in filter
          ? selectByDelivery.all(filter.deliveryId)
          : selectByEvent.all(filter.eventId)
      return rows.map(toAttempt)
    },

    timings(query: AttemptTimingQuery): AttemptTiming[] {
      const floor = idFloor('attempt', query.since)
      const rows =
        query.subscriptionId === undefined
          ? selectTimings.all(floor, query.tenant, query.limit)
          : selectSubscriptionTimings.all(floor, query.tenant, query.subscriptionId, query.limit)
      return rows.map(toAttemptTiming)
    },

    lastFailed(subscriptionId: string): Attempt | null {
      const row = selectLastFailed.get(subscriptionId)
      return row === undefined ? null : toAttempt(row)
    },
  }
}
