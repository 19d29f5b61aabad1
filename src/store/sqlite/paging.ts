import type { SQLInputValue } from 'node:sqlite'
import type { Page } from '../../core/types.ts'
import type { SqliteConnection } from './connection.ts'
import type { Row } from '../row-mapping.ts'

/** The parts of a `WHERE` clause built from optional filters. */
export interface Filters {
  clauses: string[]
  params: SQLInputValue[]
}

/**
 * Runs a newest-first page query: `SELECT * FROM table WHERE … AND id < cursor ORDER BY id DESC`,
 * fetching one row more than `limit` to know whether a next page exists. The statement text
 * depends only on which filters are present, so each shape is prepared once.
 */
export function newestFirstPage<T>(
  conn: SqliteConnection,
  table: string,
  filters: Filters,
  limit: number,
  cursor: string | undefined,
  map: (row: Row) => T,
): Page<T> {
  const clauses = [...filters.clauses]
  const params = [...filters.params]
  if (cursor !== undefined) {
    clauses.push('id < ?')
    params.push(cursor)
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : ''
  const sql = `SELECT * FROM ${table} ${where} ORDER BY id DESC LIMIT ?`
  const rows = conn.statement(sql).all(...params, limit + 1)
  const data = rows.slice(0, limit).map(map)
  const last = data.length > 0 ? rows[limit - 1] : undefined
  const nextCursor = rows.length > limit && last !== undefined ? (last.id as string) : null
  return { data, nextCursor }
}
