import { it } from 'node:test'

/**
 * Runs a suite of the engine or the server again on PostgreSQL: every `testHooks()` engine then
 * gets a fresh schema. Without `HOOKRELAY_TEST_PG`, registers one skipped test saying so.
 */
export async function onPostgres(suite: string, load: () => Promise<unknown>): Promise<void> {
  const url = process.env.HOOKRELAY_TEST_PG
  if (url === undefined || url === '') {
    it(
      `${suite} on PostgreSQL skipped: set HOOKRELAY_TEST_PG=postgres://… to run it`,
      {
        skip: 'no PostgreSQL',
      },
      () => {},
    )
    return
  }
  process.env.HOOKRELAY_TEST_STORE = 'postgres'
  await load()
}
