import type { Row } from '../row-mapping.ts'

/** A place in the order claims read due deliveries in: (due time, rowid). */
export interface Position {
  due: number
  rowid: number
}

/** A rowid below every real one: with it, a position is the start of its due time. */
export const firstRowid = Number.MIN_SAFE_INTEGER
/** A rowid above every real one: with it, a position is the end of its due time. */
export const lastRowid = Number.MAX_SAFE_INTEGER
/** Before every due delivery. */
export const start: Position = { due: Number.MIN_SAFE_INTEGER, rowid: firstRowid }

/** Whether `a` comes before `b` in due order. */
export const precedes = (a: Position, b: Position): boolean =>
  a.due < b.due || (a.due === b.due && a.rowid < b.rowid)

/** The place just after `p`. */
export const after = (p: Position): Position => ({ due: p.due, rowid: p.rowid + 1 })

export const positionOf = (row: Row): Position => ({
  due: row.next_attempt_at as number,
  rowid: row.rowid as number,
})
