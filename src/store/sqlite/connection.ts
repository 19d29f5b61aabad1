import { DatabaseSync, type StatementSync } from 'node:sqlite'

/** How hard SQLite flushes on commit. Default is `NORMAL`, which survives a killed process. */
export type SqliteSynchronous = 'NORMAL' | 'FULL'

/**
 * One open SQLite database with the helpers every SQL module uses: prepared statements made once
 * and reused, and `BEGIN IMMEDIATE` transactions.
 */
export interface SqliteConnection {
  readonly db: DatabaseSync
  /** The prepared statement for `sql`, prepared on first use and reused after. */
  statement(sql: string): StatementSync
  /**
   * Runs `fn` inside `BEGIN IMMEDIATE … COMMIT`, rolling back when it throws; nested, inside a
   * savepoint.
   */
  transaction<T>(fn: () => T): T
  /** How many outermost transactions were rolled back: caches of reads check it. */
  readonly rollbacks: number
}

/** Opens the database file (or `:memory:`) and sets the pragmas Hookrelay relies on. */
export function openConnection(path: string, synchronous: SqliteSynchronous): SqliteConnection {
  const db = new DatabaseSync(path)
  // WAL lets readers run beside the one writer; with synchronous=NORMAL a commit reaches the OS
  // before it returns, so a killed process loses nothing (only a power cut can lose the last
  // commits).
  db.exec('PRAGMA journal_mode = WAL')
  db.exec(`PRAGMA synchronous = ${synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`)
  db.exec('PRAGMA busy_timeout = 5000')
  db.exec('PRAGMA temp_store = MEMORY')
  // 8 MB of pages: claims and publishes touch the newest pages of each index, and the operating
  // system caches the file behind it. 32 MB added about 20 MB to a worker's resident set while
  // draining a large backlog, with no measurable gain in its rate.
  db.exec('PRAGMA cache_size = -8000')
  // Checkpoints are where synchronous=NORMAL fsyncs; 4,000 pages (16 MB of WAL) between them
  // instead of 1,000 lifts single-event commits by about a third here. The file is cut back after.
  db.exec('PRAGMA wal_autocheckpoint = 4000')
  db.exec('PRAGMA journal_size_limit = 67108864')

  const statements = new Map<string, StatementSync>()
  const statement = (sql: string): StatementSync => {
    let stmt = statements.get(sql)
    if (stmt === undefined) {
      stmt = db.prepare(sql)
      statements.set(sql, stmt)
    }
    return stmt
  }

  const begin = db.prepare('BEGIN IMMEDIATE')
  const commit = db.prepare('COMMIT')
  const rollback = db.prepare('ROLLBACK')
  // Inside another transaction (a group commit of several verbs), a verb's transaction is a
  // savepoint: its failure undoes its own writes and leaves the others to commit.
  let depth = 0
  let rollbacks = 0
  const transaction = <T>(fn: () => T): T => {
    const name = `t${depth}`
    if (depth === 0) begin.run()
    else statement(`SAVEPOINT ${name}`).run()
    depth++
    let result: T
    try {
      result = fn()
    } catch (error) {
      depth--
      if (depth === 0) {
        rollback.run()
        rollbacks++
      } else {
        statement(`ROLLBACK TO ${name}`).run()
        statement(`RELEASE ${name}`).run()
      }
      throw error
    }
    depth--
    if (depth > 0) {
      statement(`RELEASE ${name}`).run()
      return result
    }
    try {
      commit.run()
    } catch (error) {
      // A failed COMMIT can leave the transaction open; nothing of it may survive.
      if (db.isTransaction) rollback.run()
      rollbacks++
      throw error
    }
    return result
  }

  return {
    db,
    statement,
    transaction,
    get rollbacks() {
      return rollbacks
    },
  }
}
