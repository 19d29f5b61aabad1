import type pg from 'pg'

/** How many times a transaction that lost a deadlock or a serialization race is run in all. */
const maxTries = 3

// 40P01: deadlock detected; 40001: serialization failure. Both roll the whole transaction back,
// so running it again is safe; the verbs lock rows in no fixed order, so deadlocks can happen.
const retryableCodes = new Set(['40P01', '40001'])

/** Whether `error` is a deadlock or serialization failure that a fresh try may not meet again. */
export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && retryableCodes.has(code)
}

/** Runs `fn`, again (up to 3 tries in all) when it fails with a deadlock or serialization error. */
export async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await fn()
    } catch (error) {
      if (tries >= maxTries || !isRetryable(error)) throw error
    }
  }
}

/**
 * Runs `fn` with a pooled client inside `BEGIN … COMMIT`, rolling back when it throws. A deadlock
 * or serialization failure runs the whole of `fn` again, so `fn` must only talk to the database.
 */
export function transaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return retrying(async () => {
    const client = await pool.connect()
    // A client whose ROLLBACK failed is in an unknown state: it is destroyed, not pooled again.
    let broken: Error | undefined
    // A checked-out client has no 'error' listener of the pool's, and a dropped connection (a
    // server restart) emits 'error' even while a query is failing with it: unheard, that would
    // end the process. The failing query reports the problem; the client is not pooled again.
    const onError = (error: Error): void => {
      broken = error
    }
    client.on('error', onError)
    try {
      await client.query('BEGIN')
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      try {
        await client.query('ROLLBACK')
      } catch (rollbackError) {
        broken = rollbackError as Error
      }
      throw error
    } finally {
      client.removeListener('error', onError)
      client.release(broken)
    }
  })
}
