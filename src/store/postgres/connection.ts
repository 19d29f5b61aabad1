import { createHash } from 'node:crypto'
import pg from 'pg'
import { ValidationError } from '../../core/errors.ts'
import type { Row } from '../row-mapping.ts'

/**
 * The channel `NOTIFY` wakes workers on when pending deliveries are written. Channels are per
 * database, so the payload names the schema the deliveries are in: workers of other schemas
 * ignore it.
 */
export const notifyChannel = 'hookrelay_deliveries'

/**
 * The `pg_notify` call for deliveries in `schema`, or, without it, in the session's schema (the
 * store's own connections set `search_path` to it).
 */
export function notifyCall(schema?: string): string {
  return `pg_notify('${notifyChannel}', ${schema === undefined ? 'current_schema()' : `'${schema}'`})`
}

/** SQL that wakes listeners on commit; inside a transaction, only if it commits. */
export const notifySql = `SELECT ${notifyCall()}`

/** What runs a query: the pool, or a client inside a transaction. */
export interface Queryable {
  query(config: pg.QueryConfig): Promise<pg.QueryResult<Row>>
}

/**
 * A named statement: each connection prepares it on first use and reuses the plan after. The name
 * is a hash of the text, so two texts never share a name on one connection.
 */
export interface Statement {
  readonly name: string
  readonly text: string
}

/** The named statement for `text`. */
export function statement(text: string): Statement {
  return { name: `hr_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`, text }
}

/** Runs a named statement and returns its whole result. */
export function exec(db: Queryable, stmt: Statement, values: unknown[] = []) {
  return db.query({ name: stmt.name, text: stmt.text, values })
}

/** Runs a named statement and returns its rows. */
export async function rows(db: Queryable, stmt: Statement, values: unknown[] = []) {
  return (await exec(db, stmt, values)).rows
}

/** Runs a named statement and returns its first row, or undefined. */
export async function row(db: Queryable, stmt: Statement, values: unknown[] = []) {
  return (await exec(db, stmt, values)).rows[0]
}

// Times are BIGINT epoch ms, and counts are BIGINT: both fit a double exactly, so they come back
// as numbers rather than pg's default strings.
const types = new pg.TypeOverrides()
types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value))

const schemaRe = /^[a-z_][a-z0-9_]{0,62}$/

/** How to connect: a connection string without Hookrelay's own parameters, and the schema. */
export interface ConnectionSettings {
  /** The client configuration every pooled and listening connection uses. */
  config: pg.ClientConfig
  schema: string
  /** The URL's `pool` parameter: connections in the pool at most; undefined when absent. */
  poolMax: number | undefined
}

/**
 * Works out the client configuration from the options: the schema is `schema`, else the URL's
 * `schema` parameter, else `public`, selected with `search_path` at connection start. The URL's
 * `pool` parameter sizes the pool (1–1000).
 */
export function connectionSettings(connectionString: string, schema?: string): ConnectionSettings {
  // Parsed here only to find Hookrelay's parameters; anything else, even a string only `pg`
  // understands (a host-less `postgres://user@/db`), goes to `pg` untouched.
  let url: URL | undefined
  try {
    url = new URL(connectionString)
  } catch {
    url = undefined
  }
  const chosen = schema ?? url?.searchParams.get('schema') ?? 'public'
  if (!schemaRe.test(chosen)) {
    throw new ValidationError('schema', 'must be a lower-case identifier ([a-z_][a-z0-9_]*)')
  }
  const pool = url?.searchParams.get('pool') ?? null
  const poolMax = pool === null ? undefined : Number(pool)
  if (poolMax !== undefined && !(Number.isInteger(poolMax) && poolMax >= 1 && poolMax <= 1000)) {
    throw new ValidationError('pool', 'must be a whole number of connections, 1–1000')
  }
  // The connection string's own `options` would replace the pool's, so both are merged here.
  let given: string | null = null
  let rest = connectionString
  const ours = ['schema', 'options', 'pool']
  if (url !== undefined && ours.some((name) => url.searchParams.has(name))) {
    given = url.searchParams.get('options')
    for (const name of ours) url.searchParams.delete(name)
    rest = url.toString()
  }
  const options = `${given === null ? '' : `${given} `}-c search_path=${chosen}`
  return { config: { connectionString: rest, options, types }, schema: chosen, poolMax }
}
