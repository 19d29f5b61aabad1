import type { DatabaseSync } from 'node:sqlite'
import type { ClaimOptions } from '../store.ts'
import type { Leases } from './leases.ts'
import type { Row } from '../row-mapping.ts'
import { dueStatements } from './due-statements.ts'
import {
  after,
  firstRowid,
  lastRowid,
  type Position,
  positionOf,
  precedes,
  start,
} from './due-order.ts'

/**
 * How far behind its `now` a claim that ran out of due deliveries leaves the next one to start.
 * Another process (an API beside the worker) commits deliveries due at the timestamp its own clock
 * gave the event, a moment before the commit; this store's own writes need no margin (`dueFrom`).
 */
const lagMs = 1_000
/** How long at most a claim that has not run out reads on past deliveries `dueFrom` noted. */
const behindMs = 1_000
/**
 * How often claims read again from the earliest due delivery, the safety net for what nothing
 * else tells this store about (see `claimsSql`). Such a read also reads every delivery passed over
 * for an excluded subscription (about 0.4 µs each in SQLite's filter, so 0.4 s for a backlog of a
 * million), so it is kept rare: as long as the default lease, which is how long a delivery whose
 * lease ran out waits anyway.
 */
const fullRescanMs = 30_000

/**
 * The read path of scheduled claims: due deliveries without a live lease, earliest due first.
 *
 * Claims read due deliveries in the order of the partial index of pending ones, (due time, rowid),
 * on from a cursor where the last claim stopped, so no claim reads again what an earlier one
 * leased. Every pending delivery at or behind the cursor is one of these, and is found again as
 * said:
 * - Leased by this store. A lease ends with the delivery's record (out of the index, or due again
 *   at its retry time), its release (due at the release time), both noted by `dueFrom` (below),
 *   or by running out, which the claim that sees it run out answers with a full read (below).
 * - Passed over for a subscription that a claim excluded (`ClaimOptions.exclude`). `passed` keeps,
 *   per subscription, the earliest place of such a delivery; the first claim that no longer
 *   excludes it reads that subscription's deliveries from there up to the cursor (`catchUp`), and
 *   no others. A subscription whose receiver never answers keeps a backlog that grows and is always
 *   the earliest due, and claims run out after nearly every publish: were they to start again from
 *   the earliest due, as they did before claims could exclude, each would read the whole backlog.
 *   Here each of its deliveries is read about once while it is excluded.
 * - Written behind the cursor after it passed. By this store (a publish with an old timestamp, a
 *   recover, a retry or a release due earlier): after a claim that ran out, `dueFrom` moves the
 *   cursor back at once; otherwise it notes the earliest such due time, and the next claim that
 *   runs out starts there, or the first claim `behindMs` later, whichever comes first (until then
 *   claims read on, as they find due deliveries ahead, as they always did). By another process,
 *   which commits deliveries due at its own clock's now, a moment before the commit: a claim that
 *   runs out leaves the next to start `lagMs` behind its `now`, not at the end. So each such claim
 *   reads again the deliveries still pending of the last `lagMs` (in flight, or excluded), fewer
 *   than the claims before, which read again every delivery in flight.
 *
 * What none of this sees (another process's commit more than `lagMs` after its timestamp, rowids
 * renumbered by a VACUUM, a lease ended in memory by a write that was then rolled back) a full read
 * from the earliest due delivery finds: at once after a record or release failed (or the commit
 * around them did), and after a lease ran out (`leaseCheckAt` makes that check one comparison per
 * claim until the earliest lease could have run out); otherwise every `fullRescanMs`, not every time
 * a claim runs out. A claim that fails puts the cursor back where it found it.
 */
export function dueReader(db: DatabaseSync, leases: Leases) {
  const sql = dueStatements(db)

  // Where the last claim stopped (the next reads after it), or null to read from the start.
  let cursor: Position | null = null
  // Per subscription, where its earliest delivery behind the cursor may be that a claim passed over
  // (excluded) and no claim has taken since. Empty while the cursor is null.
  const passed = new Map<string, Position>()
  let fullRescanAt = 0
  // No lease runs out before this: the earliest end of the leases made since it was last worked
  // out (leases that ended since only make it early).
  let leaseCheckAt = Number.POSITIVE_INFINITY
  // The earliest due time this store wrote since a claim last went back for what it wrote, and
  // when one goes back at the latest.
  let behind = Number.POSITIVE_INFINITY
  let behindAt = 0

  /** Makes the next claim read from the earliest due delivery, with nothing passed over. */
  function rescan(): void {
    cursor = null
    passed.clear()
    behind = Number.POSITIVE_INFINITY
  }

  /** Deliveries this store wrote are due at `at`, perhaps behind the cursor. */
  function dueFrom(at: number): void {
    if (cursor === null) return
    // After a claim that ran out, the next starts from a due time: from this one, if earlier.
    if (cursor.rowid === firstRowid) {
      if (at < cursor.due) cursor = { due: at, rowid: firstRowid }
    } else if (at < behind) {
      behind = at
    }
  }

  /** Moves the cursor back to what `dueFrom` noted, if that is behind it. */
  function goBack(): void {
    if (cursor !== null && behind <= cursor.due) cursor = { due: behind, rowid: firstRowid }
    behind = Number.POSITIVE_INFINITY
  }

  // Where claims read, as the claim under way found it: put back if it fails.
  let savedCursor: Position | null = null
  let savedPassed: Map<string, Position> | null = null
  let savedBehind = Number.POSITIVE_INFINITY

  function save(): void {
    savedCursor = cursor
    savedPassed = passed.size === 0 ? null : new Map(passed)
    savedBehind = behind
  }

  function restore(): void {
    cursor = savedCursor
    passed.clear()
    if (savedPassed !== null) for (const [id, at] of savedPassed) passed.set(id, at)
    behind = savedBehind
  }

  /** Whether the next read starts where there may be leased rows ahead: at the start, or back. */
  const reread = (): boolean => cursor === null || cursor.rowid === firstRowid

  /** A claim that read everything due at `now`: the next starts a little behind it. */
  function ranOut(now: number): void {
    cursor = { due: now - lagMs, rowid: firstRowid }
    goBack()
  }

  /** The full read, when it is time for one or a lease ran out since the last claim. */
  function checkRescan(now: number): void {
    if (now >= fullRescanAt) {
      rescan()
      fullRescanAt = now + fullRescanMs
    }
    if (now >= behindAt) {
      goBack()
      behindAt = now + behindMs
    }
    if (now >= leaseCheckAt) {
      // A delivery whose lease ran out is behind the cursor, due as it stands.
      if (leases.sweep(now) > 0) rescan()
      leaseCheckAt = leases.firstEnd()
    }
  }

  /** Up to `ask` due deliveries after the cursor, or from the earliest without one. */
  function readDue(now: number, ask: number): Row[] {
    if (cursor === null) return sql.selectDue.all(now, ask)
    if (cursor.rowid === firstRowid) return sql.selectDueFrom.all(cursor.due, now, ask)
    const same = sql.selectDueSame.all(cursor.due, cursor.rowid, ask)
    if (same.length === ask) return same
    return same.concat(sql.selectDueLater.all(cursor.due, now, ask - same.length))
  }

  /**
   * What a claim's `room` still lets it take of each listed subscription. A delivery it turns away
   * is passed over as for an excluded subscription: `stoppedAt` keeps where the first one was.
   */
  class Room {
    readonly #left: Map<string, number>
    readonly stoppedAt = new Map<string, Position>()

    constructor(room: Readonly<Record<string, number>>) {
      this.#left = new Map(Object.entries(room))
    }

    /** Whether the claim may take `row`; if not, notes it as passed over. */
    take(row: Row): boolean {
      const id = row.subscription_id as string
      const left = this.#left.get(id)
      if (left === undefined) return true
      if (left > 0) {
        this.#left.set(id, left - 1)
        return true
      }
      if (!this.stoppedAt.has(id)) {
        const at = positionOf(row)
        this.stoppedAt.set(id, at)
        const known = passed.get(id)
        if (known === undefined || precedes(at, known)) passed.set(id, at)
      }
      return false
    }
  }

  /**
   * Adds to `found`, up to `limit`, the rows no live lease holds and the claim's room lets it
   * take; returns the last row it looked at.
   */
  function takeRows(
    rows: Row[],
    now: number,
    room: Room | undefined,
    found: Row[],
    limit: number,
  ): Row | undefined {
    let last: Row | undefined
    for (const row of rows) {
      last = row
      if (leases.live(row.id as string, now)) continue
      if (room !== undefined && !room.take(row)) continue
      found.push(row)
      if (found.length === limit) break
    }
    return last
  }

  /** Up to `limit` due deliveries without a live lease, earliest due first. */
  function dueUnleased(now: number, limit: number, options: ClaimOptions): Row[] {
    const found: Row[] = []
    if (limit <= 0) return found
    const { exclude } = options
    const room =
      options.room === undefined || Object.keys(options.room).length === 0
        ? undefined
        : new Room(options.room)
    if (passed.size > 0) {
      catchUp(now, limit, exclude, room, found)
      if (found.length === limit) return found
    }
    if (exclude !== undefined && exclude.length > 0) {
      readOnExcluding(now, limit, exclude, room, found)
    } else if (readOn(now, limit, found, room)) {
      ranOut(now)
    }
    return found
  }

  /**
   * Adds unleased due deliveries after the cursor to `found`, up to `limit`, reading them with
   * `read`; true when it ran out of due deliveries before the limit.
   */
  function readOn(
    now: number,
    limit: number,
    found: Row[],
    room: Room | undefined,
    read: (ask: number) => Row[] = (ask) => readDue(now, ask),
  ): boolean {
    for (;;) {
      const ask = limit - found.length + (reread() ? leases.size : 0)
      const rows = read(ask)
      const last = takeRows(rows, now, room, found, limit)
      if (last !== undefined) cursor = positionOf(last)
      if (found.length === limit) return false
      if (rows.length < ask) return true
    }
  }

  /** `readDue` without the deliveries of the subscriptions in `json` (an array of their ids). */
  function readOthers(now: number, ask: number, json: string): Row[] {
    if (cursor === null) return sql.selectOthersLater.all(start.due, now, json, ask)
    if (cursor.due > now) return []
    const same = sql.selectOthersSame.all(cursor.due, cursor.rowid, json, ask)
    if (same.length === ask) return same
    return same.concat(sql.selectOthersLater.all(cursor.due, now, json, ask - same.length))
  }

  /** `readOn`, passing over the deliveries of the `exclude`d subscriptions and noting where. */
  function readOnExcluding(
    now: number,
    limit: number,
    exclude: readonly string[],
    room: Room | undefined,
    found: Row[],
  ) {
    const json = JSON.stringify(exclude)
    const from = cursor ?? start
    const ranOutOfDue = readOn(now, limit, found, room, (ask) => readOthers(now, ask, json))
    notePassed(exclude, from, ranOutOfDue ? { due: now, rowid: lastRowid } : cursor!)
    if (ranOutOfDue) ranOut(now)
  }

  /** Remembers where the first deliveries of `exclude` in (`from`, `to`] lie: the claim's range. */
  function notePassed(exclude: readonly string[], from: Position, to: Position): void {
    if (!precedes(from, to)) return
    // One passed over at or before `from` is remembered from there on already.
    const unknown = exclude.filter((id) => {
      const at = passed.get(id)
      return at === undefined || precedes(from, at)
    })
    if (unknown.length === 0) return
    const note = (id: string, at: Position): void => {
      const known = passed.get(id)
      if (known === undefined || precedes(at, known)) passed.set(id, at)
    }
    const sameTo = to.due === from.due ? to.rowid : lastRowid
    const later = to.due > from.due
    if (unknown.length === 1) {
      const id = unknown[0]!
      const row =
        sql.selectFirstSame.get(from.due, from.rowid, sameTo, id) ??
        (later ? sql.selectFirstLater.get(from.due, to.due, to.rowid, id) : undefined)
      if (row !== undefined) note(id, positionOf(row))
      return
    }
    const json = JSON.stringify(unknown)
    // Only the earliest due time of each is known: from the start of it.
    const rows = sql.selectFirstOfEachSame.all(from.due, from.rowid, sameTo, json)
    if (later) rows.push(...sql.selectFirstOfEachLater.all(from.due, to.due, to.rowid, json))
    for (const row of rows) {
      note(row.subscription_id as string, { due: row.due as number, rowid: firstRowid })
    }
  }

  /**
   * Adds to `found` the deliveries passed over before for subscriptions this claim does not
   * exclude, earliest first, up to `limit`: from the earliest place `passed` has for them, up to
   * the cursor, and no other subscription's.
   */
  function catchUp(
    now: number,
    limit: number,
    exclude: readonly string[] | undefined,
    room: Room | undefined,
    found: Row[],
  ): void {
    // `passed` is empty without a cursor.
    const frontier = cursor!
    const excluded = new Set(exclude)
    const ids: string[] = []
    let from: Position | null = null
    for (const [id, at] of passed) {
      if (excluded.has(id)) continue
      ids.push(id)
      if (from === null || precedes(at, from)) from = at
    }
    if (from === null) return
    // Never past `now`, should a clock go back.
    const to = frontier.due <= now ? frontier : { due: now, rowid: lastRowid }
    // At most `leases.size` of the rows are leased, so one read holds all the claim can take.
    const ask = limit - found.length + leases.size
    let rows: Row[] = []
    if (!precedes(to, from)) {
      const json = JSON.stringify(ids)
      const sameTo = to.due === from.due ? to.rowid : lastRowid
      rows = sql.selectPassedSame.all(from.due, from.rowid, sameTo, json, ask)
      if (rows.length < ask && to.due > from.due) {
        rows = rows.concat(
          sql.selectPassedLater.all(from.due, to.due, to.rowid, json, ask - rows.length),
        )
      }
    }
    const last = takeRows(rows, now, room, found, limit)
    // Where their deliveries behind the cursor may still be: where the room for one ran out, after
    // the last one taken, or after `now`; none left once the read reached the cursor.
    const rest =
      found.length === limit ? after(positionOf(last!)) : to === frontier ? null : after(to)
    for (const id of ids) {
      const stopped = room?.stoppedAt.get(id)
      if (stopped !== undefined) passed.set(id, stopped)
      else if (rest === null) passed.delete(id)
      else if (precedes(passed.get(id)!, rest)) passed.set(id, rest)
    }
  }

  return {
    /**
     * Up to `limit` due deliveries without a live lease, earliest due first, as `options` allows;
     * first the full read from the earliest due when one is due. A claim whose transaction fails
     * calls `restore`.
     */
    read(now: number, limit: number, options: ClaimOptions): Row[] {
      checkRescan(now)
      save()
      return dueUnleased(now, limit, options)
    },
    /** Puts the cursor back where the last `read` found it (its claim failed). */
    restore,
    /** A claim leased deliveries until `until`: no lease runs out before the earliest such. */
    leasedUntil(until: number): void {
      if (until < leaseCheckAt) leaseCheckAt = until
    },
    dueFrom,
    rescan,
  }
}
