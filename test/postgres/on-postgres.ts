import { testPostgresUrl } from '../support/postgres-url.ts'

/**
 * Runs a suite of the engine or the server again on PostgreSQL: every `testHooks()` engine then
 * gets a fresh schema. Without `HOOKRELAY_TEST_PG`, registers one skipped test saying so.
 */
export async function onPostgres(suite: string, load: () => Promise<unknown>): Promise<void> {
  if (testPostgresUrl(`${suite} on PostgreSQL`) === null) return
  process.env.HOOKRELAY_TEST_STORE = 'postgres'
  await load()
}
