import type pg from 'pg'
import { isSuccess } from '../../core/attempt-outcome.ts'
import { idFloor } from '../../core/ids.ts'
import type { Attempt, AttemptTiming } from '../../core/types.ts'
import type { AttemptRecord, AttemptTimingQuery, FailureRun } from '../store.ts'
import { notifyCall, row, rows, statement } from './connection.ts'
import { ms } from '../../core/time.ts'
import { toAttempt, toAttemptTiming } from '../row-mapping.ts'
import { arrayLiteral, pgText } from './pg-text.ts'
import { retrying } from './transaction.ts'
import { openStatusesSql as open } from '../../core/delivery-status.ts'

/** The attempt log verbs of the PostgreSQL store: the delivery workers' write path. */
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

// The whole batch in one statement, so one transaction and one round trip, whatever its size:
// the attempts, the deliveries' new states, the subscriptions' failure runs (folded per
// subscription beforehand), and a wake-up for workers when a delivery stays pending.
const record = statement(
  `WITH logged AS (
     INSERT INTO attempts (id, delivery_id, event_id, subscription_id, tenant, trigger, started_at,
       duration_ms, status_code, error, response_headers, response_body, request_headers,
       created_at)
     SELECT a.id, a.delivery_id, a.event_id, a.subscription_id, a.tenant, a.trigger,
       a.started_at, a.duration_ms, a.status_code, a.error, a.response_headers::text,
       a.response_body, a.request_headers::text, $13::bigint
     FROM ROWS FROM (unnest($1::text[]), unnest($2::text[]), unnest($3::text[]),
       unnest($4::text[]), unnest($5::text[]), unnest($6::text[]), unnest($7::bigint[]),
       unnest($8::int[]), unnest($9::int[]), unnest($10::text[]), json_array_elements($11::json),
       unnest($12::text[]), json_array_elements($23::json))
       AS a(id, delivery_id, event_id, subscription_id, tenant, trigger, started_at, duration_ms,
         status_code, error, response_headers, response_body, request_headers)
     RETURNING 1
   ), locked AS (
     -- The batch's queue rows, locked and read as they are now (a claim by another worker may
     -- have just committed): the lease each delivery holds at this moment.
     SELECT delivery_id, lease_token FROM delivery_queue WHERE delivery_id = ANY($2::text[])
     FOR UPDATE
   ), changes AS (
     -- As if recorded one by one: only the lease holder moves a delivery on, and the first of
     -- its records that holds the lease clears it, so later ones in the batch move nothing. A
     -- worker whose lease ran out still gets its attempt logged, but cannot overwrite the newer
     -- claim's state.
     SELECT DISTINCT ON (c.id) c.*
     FROM unnest($2::text[], $14::text[], $15::text[], $16::bigint[], $9::int[], $10::text[],
       $17::bigint[]) WITH ORDINALITY
       AS c(id, lease_token, status, next_attempt_at, status_code, error, updated_at, n)
     JOIN locked q ON q.delivery_id = c.id AND q.lease_token = c.lease_token
     ORDER BY c.id, c.n
   ), requeued AS (
     UPDATE delivery_queue q
     SET next_attempt_at = COALESCE(c.next_attempt_at, c.updated_at), lease_token = NULL
     FROM changes c WHERE q.delivery_id = c.id AND c.status IN ${open}
   ), dequeued AS (
     DELETE FROM delivery_queue q USING changes c
     WHERE q.delivery_id = c.id AND c.status NOT IN ${open}
   ), moved AS (
     -- No indexed column changes: a HOT update where the page has room.
     UPDATE deliveries d SET status = c.status, attempts = d.attempts + 1,
       next_attempt_at = c.next_attempt_at, last_status_code = c.status_code,
       last_error = c.error, updated_at = c.updated_at
     FROM changes c WHERE d.id = c.id
     RETURNING d.status
   ), runs AS (
     -- A success on a healthy subscription is the common case: its row is left untouched.
     UPDATE subscriptions s SET
       consecutive_failures = CASE WHEN r.reset THEN r.failures
         ELSE s.consecutive_failures + r.failures END,
       failing_since = CASE WHEN r.reset THEN r.since ELSE COALESCE(s.failing_since, r.since) END
     FROM unnest($18::text[], $19::boolean[], $20::int[], $21::bigint[], $22::boolean[])
       AS r(id, reset, failures, since, any_failure)
     WHERE s.id = r.id
       AND (r.any_failure OR s.consecutive_failures <> 0 OR s.failing_since IS NOT NULL)
     RETURNING s.id, r.any_failure, s.consecutive_failures, s.failing_since
   ), woken AS (
     SELECT ${notifyCall()}
     FROM (SELECT 1 FROM moved WHERE status IN ${open} LIMIT 1) AS still_pending
   )
   SELECT runs.* FROM (SELECT count(*) FROM woken) AS w LEFT JOIN runs ON true`,
)
const selectByDelivery = statement('SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY id')
const selectByEvent = statement(
  `SELECT * FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_id = $1)
   ORDER BY id`,
)
const selectLastFailed = statement(
  `SELECT * FROM attempts WHERE subscription_id = $1
     AND (status_code IS NULL OR status_code < 200 OR status_code >= 300)
   ORDER BY id DESC LIMIT 1`,
)

// Attempt ids sort by start time, so the window is a range of the primary key.
const timingColumns = 'SELECT subscription_id, started_at, duration_ms, status_code FROM attempts'
const selectTimings = statement(
  `${timingColumns} WHERE id >= $1 AND tenant = $2 ORDER BY id DESC LIMIT $3`,
)
const selectSubscriptionTimings = statement(
  `${timingColumns} WHERE id >= $1 AND tenant = $2 AND subscription_id = $4
   ORDER BY id DESC LIMIT $3`,
)

/** Folds a batch into one failure-run change per subscription, in order of first appearance. */
function foldRuns(records: AttemptRecord[]): Map<string, RunChange> {
  const runs = new Map<string, RunChange>()
  for (const { attempt: a } of records) {
    let run = runs.get(a.subscriptionId)
    if (run === undefined) {
      run = { reset: false, failures: 0, since: null, anyFailure: false }
      runs.set(a.subscriptionId, run)
    }
    const startedAt = ms(a.startedAt)
    if (isSuccess(a.statusCode)) {
      run.reset = true
      run.failures = 0
      run.since = null
    } else {
      run.anyFailure = true
      run.failures++
      run.since = run.since === null ? startedAt : Math.min(run.since, startedAt)
    }
  }
  return runs
}

/**
 * The statement's parameters: one array per column, in the statement's numbering, each in the
 * cheapest form to write. Ids, tokens and numbers go as array literals (`arrayLiteral`); the header
 * objects as one JSON array per column, whose elements PostgreSQL keeps as they were written (a
 * text[] would need their every quote escaped, in JavaScript); other text as arrays, for `pg`.
 */
function parameters(records: AttemptRecord[], runs: Map<string, RunChange>): unknown[] {
  const column = <T>(pick: (r: AttemptRecord) => T): T[] => records.map(pick)
  const plain = (pick: (r: AttemptRecord) => string | number | null) =>
    arrayLiteral(records.map(pick))
  const started = column((r) => ms(r.attempt.startedAt))
  const changes = [...runs.values()]
  return [
    plain((r) => r.attempt.id),
    plain((r) => r.attempt.deliveryId),
    plain((r) => r.attempt.eventId),
    plain((r) => r.attempt.subscriptionId),
    plain((r) => r.attempt.tenant),
    plain((r) => r.attempt.trigger),
    arrayLiteral(started),
    plain((r) => r.attempt.durationMs),
    plain((r) => r.attempt.statusCode),
    column((r) => pgText(r.attempt.error)),
    JSON.stringify(column((r) => r.attempt.responseHeaders)),
    column((r) => pgText(r.attempt.responseBody)),
    Date.now(),
    plain((r) => r.leaseToken),
    plain((r) => r.status),
    plain((r) => r.nextAttemptAt),
    arrayLiteral(records.map((r, i) => started[i]! + r.attempt.durationMs)),
    [...runs.keys()],
    changes.map((c) => c.reset),
    changes.map((c) => c.failures),
    changes.map((c) => c.since),
    changes.map((c) => c.anyFailure),
    JSON.stringify(column((r) => r.attempt.requestHeaders)),
  ]
}

/** Returns the attempt operations, run on `pool`. */
export function attemptsSql(pool: pg.Pool) {
  return {
    async record(records: AttemptRecord[]): Promise<FailureRun[]> {
      if (records.length === 0) return []
      const runs = foldRuns(records)
      const values = parameters(records, runs)
      const changed = await retrying(() => rows(pool, record, values))
      const after = new Map(changed.filter((r) => r.id !== null).map((r) => [r.id as string, r]))
      const health: FailureRun[] = []
      for (const [subscriptionId, run] of runs) {
        const r = after.get(subscriptionId)
        if (!run.anyFailure || r === undefined) continue
        health.push({
          subscriptionId,
          consecutiveFailures: r.consecutive_failures as number,
          failingSince: (r.failing_since ?? null) as number | null,
        })
      }
      return health
    },

    async list(filter: { deliveryId: string } | { eventId: string }): Promise<Attempt[]> {
      const found =
        'deliveryId' in filter
          ? await rows(pool, selectByDelivery, [filter.deliveryId])
          : await rows(pool, selectByEvent, [filter.eventId])
      return found.map(toAttempt)
    },

    async timings(query: AttemptTimingQuery): Promise<AttemptTiming[]> {
      const values = [idFloor('attempt', query.since), query.tenant, query.limit]
      const found =
        query.subscriptionId === undefined
          ? await rows(pool, selectTimings, values)
          : await rows(pool, selectSubscriptionTimings, [...values, query.subscriptionId])
      return found.map(toAttemptTiming)
    },

    async lastFailed(subscriptionId: string): Promise<Attempt | null> {
      const found = await row(pool, selectLastFailed, [subscriptionId])
      return found === undefined ? null : toAttempt(found)
    },
  }
}
