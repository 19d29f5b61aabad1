import { openStatusesSql as open } from '../../core/delivery-status.ts'
import type { DatabaseSync } from 'node:sqlite'

const dueColumns = 'rowid, id, next_attempt_at, event_id, subscription_id, attempts, lease_token'

/**
 * The statements of the scheduled claims' read path (`due-reader.ts`), prepared once: due
 * deliveries in the order of the partial index of pending ones, (due time, rowid), from a place,
 * with or without the subscriptions a claim excludes or only those it passed over.
 */
export function dueStatements(db: DatabaseSync) {
  // A million deliveries due later cost nothing here.
  const pendingDue = `SELECT ${dueColumns} FROM deliveries WHERE status IN ${open}`
  const selectDue = db.prepare(
    `${pendingDue} AND next_attempt_at <= ? ORDER BY next_attempt_at, rowid LIMIT ?`,
  )
  const selectDueFrom = db.prepare(
    `${pendingDue} AND next_attempt_at >= ? AND next_attempt_at <= ?
     ORDER BY next_attempt_at, rowid LIMIT ?`,
  )
  const selectDueSame = db.prepare(
    `${pendingDue} AND next_attempt_at = ? AND rowid > ? ORDER BY rowid LIMIT ?`,
  )
  const selectDueLater = db.prepare(
    `${pendingDue} AND next_attempt_at > ? AND next_attempt_at <= ?
     ORDER BY next_attempt_at, rowid LIMIT ?`,
  )
  // Claims that exclude subscriptions filter them out in SQL: SQLite still visits their rows in
  // the index, but does not hand them to JavaScript, which costs several times as much per row
  // (measured on 100,000 rows of an excluded subscription, medians: 0.3–0.5 µs a row filtered in
  // SQL, 2–4 µs a row read and skipped here). `+subscription_id` keeps SQLite from reading a subscription's
  // whole history through the (subscription_id, id) index instead of a range of the pending index.
  // A place is sought as its due time's rows after a rowid, then the later due times: a row value
  // `(next_attempt_at, rowid) > (?, ?)` seeks the due time only, and would visit every row of it
  // before the rowid (all of a large fan-out's deliveries share one due time). As an upper bound
  // it costs only the rows of that one due time.
  const excluded = '+subscription_id NOT IN (SELECT value FROM json_each(?))'
  const selectOthersSame = db.prepare(
    `${pendingDue} AND next_attempt_at = ? AND rowid > ? AND ${excluded} ORDER BY rowid LIMIT ?`,
  )
  const selectOthersLater = db.prepare(
    `${pendingDue} AND next_attempt_at > ? AND next_attempt_at <= ? AND ${excluded}
     ORDER BY next_attempt_at, rowid LIMIT ?`,
  )
  // The deliveries passed over for the subscriptions a claim no longer excludes, up to a place.
  const only = '+subscription_id IN (SELECT value FROM json_each(?))'
  const selectPassedSame = db.prepare(
    `${pendingDue} AND next_attempt_at = ? AND rowid >= ? AND rowid <= ? AND ${only}
     ORDER BY rowid LIMIT ?`,
  )
  const selectPassedLater = db.prepare(
    `${pendingDue} AND next_attempt_at > ? AND (next_attempt_at, rowid) <= (?, ?) AND ${only}
     ORDER BY next_attempt_at, rowid LIMIT ?`,
  )
  // Filtering in SQL loses where the excluded deliveries were: what `passed` needs is found after
  // the claim, for the subscriptions it does not know yet, in the range the claim read. For one,
  // the first of its deliveries there (at once for a backlog just passed over); for several, one
  // read of the range for all, so never more than the claim's own.
  const first = `SELECT next_attempt_at, rowid FROM deliveries WHERE status IN ${open}`
  const selectFirstSame = db.prepare(
    `${first} AND next_attempt_at = ? AND rowid > ? AND rowid <= ? AND +subscription_id = ?
     ORDER BY rowid LIMIT 1`,
  )
  const selectFirstLater = db.prepare(
    `${first} AND next_attempt_at > ? AND (next_attempt_at, rowid) <= (?, ?)
       AND +subscription_id = ?
     ORDER BY next_attempt_at, rowid LIMIT 1`,
  )
  const firstOfEach = `SELECT subscription_id, min(next_attempt_at) AS due FROM deliveries
     WHERE status IN ${open}`
  const selectFirstOfEachSame = db.prepare(
    `${firstOfEach} AND next_attempt_at = ? AND rowid > ? AND rowid <= ? AND ${only}
     GROUP BY subscription_id`,
  )
  const selectFirstOfEachLater = db.prepare(
    `${firstOfEach} AND next_attempt_at > ? AND (next_attempt_at, rowid) <= (?, ?) AND ${only}
     GROUP BY subscription_id`,
  )
  return {
    selectDue,
    selectDueFrom,
    selectDueSame,
    selectDueLater,
    selectOthersSame,
    selectOthersLater,
    selectPassedSame,
    selectPassedLater,
    selectFirstSame,
    selectFirstLater,
    selectFirstOfEachSame,
    selectFirstOfEachLater,
  }
}
