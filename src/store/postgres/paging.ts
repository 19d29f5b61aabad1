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

/**
 * The named statement for `sql` with its `?` placeholders numbered `$1`, `$2`, … in order, made
 * once per text: a statement built from optional filters.
 */
export function numberedStatement(sql: string): Statement {
  let n = 0
  const text = sql.replace(/\?/g, () => `$${++n}`)
  let stmt = statements.get(text)
  if (stmt === undefined) {
    stmt = statement(text)
    statements.set(text, stmt)
  }
  return stmt
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
  const stmt = numberedStatement(`SELECT * FROM ${table} ${where} ORDER BY id DESC LIMIT ?`)
  const found = await rows(db, stmt, [...params, limit + 1])
  const data = found.slice(0, limit).map(map)
  const last = data.length > 0 ? found[limit - 1] : undefined
  const nextCursor = found.length > limit && last !== undefined ? (last.id as string) : null
  return { data, nextCursor }
}
