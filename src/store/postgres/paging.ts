import type { Page } from '../../core/types.ts'
import { type Queryable, rows, type Statement, statement } from './connection.ts'
import type { Row } from '../row-mapping.ts'

/** The parts of a `WHERE` clause built from optional filters; clauses mark parameters with `?`. */
export interface Filters {
  clauses: string[]
  params: unknown[]
}

// One named statement per shape of filters: a handful at most.
const statements = new Map<string, Statement>()

/** `?` placeholders numbered `$1`, `$2`, … in order. */
function numbered(sql: string): string {
  let n = 0
  return sql.replace(/\?/g, () => `$${++n}`)
}

/**
 * Runs a newest-first page query: `SELECT * FROM table WHERE … AND id < cursor ORDER BY id DESC`,
 * fetching one row more than `limit` to know whether a next page exists. The statement text
 * depends only on which filters are present, so each shape is prepared once per connection.
 */
export async function newestFirstPage<T>(
  db: Queryable,
  table: string,
  filters: Filters,
  limit: number,
  cursor: string | undefined,
  map: (row: Row) => T,
): Promise<Page<T>> {
  const clauses = [...filters.clauses]
  const params = [...filters.params]
  if (cursor !== undefined) {
    clauses.push('id < ?')
    params.push(cursor)
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : ''
  const sql = numbered(`SELECT * FROM ${table} ${where} ORDER BY id DESC LIMIT ?`)
  let stmt = statements.get(sql)
  if (stmt === undefined) {
    stmt = statement(sql)
    statements.set(sql, stmt)
  }
  const found = await rows(db, stmt, [...params, limit + 1])
  const data = found.slice(0, limit).map(map)
  const last = data.length > 0 ? found[limit - 1] : undefined
  const nextCursor = found.length > limit && last !== undefined ? (last.id as string) : null
  return { data, nextCursor }
}
