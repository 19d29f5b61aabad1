import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** `url` without a `schema` parameter: each run picks a fresh schema of its own. */
export function serverUrl(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.searchParams.delete('schema')
    return parsed.toString()
  } catch {
    // A string only `pg` understands goes to it untouched.
    return url
  }
}

/** A schema name nobody uses yet: `prefix_` and 8 random hex digits. */
export function freshSchema(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`
}

/** Runs `fn` on one connection to `url`, then closes it. */
export async function withClient<T>(
  url: string,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl(url) })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** Drops `schema` and everything in it, if it is there. */
export function dropSchema(url: string, schema: string): Promise<void> {
  return withClient(url, async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  })
}

/**
 * Writes every dirty page out now (`CHECKPOINT`), so that the WAL of the run before does not set
 * off a checkpoint in the middle of the next one: with `max_wal_size` at its default, the runs
 * before a row filled it, and the checkpoint that followed, with its full-page writes, stalled
 * commits for seconds in whichever run it landed in, reference or measured. Answers false where
 * the user may not (PostgreSQL before 15 wants a superuser; then the run goes on without it).
 */
export function checkpoint(url: string): Promise<boolean> {
  return withClient(url, async (client) => {
    try {
      await client.query('CHECKPOINT')
      return true
    } catch {
      return false
    }
  })
}
