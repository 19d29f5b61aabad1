import { it } from 'node:test'

/**
 * Runs a suite of the engine or the server again on PostgreSQL: every `testHooks()` engine then
 * gets a fresh schema. Opt-in with `HOOKRELAY_TEST_PG_SUITES=1` (and `HOOKRELAY_TEST_PG`): these
 * runs pass, but twice in clean-clone CI one of them hung inside `drain()` and the cause is not
 * found yet. Without both variables, registers one skipped test saying so.
 */
export async function onPostgres(suite: string, load: () => Promise<unknown>): Promise<void> {
  const url = process.env.HOOKRELAY_TEST_PG
  if (url === undefined || url === '' || process.env.HOOKRELAY_TEST_PG_SUITES !== '1') {
    it(
      `${suite} on PostgreSQL skipped: set HOOKRELAY_TEST_PG=postgres://… and ` +
        'HOOKRELAY_TEST_PG_SUITES=1 to run it',
      { skip: 'opt-in: a hang seen twice in CI is not explained yet' },
      () => {},
    )
    return
  }
  process.env.HOOKRELAY_TEST_STORE = 'postgres'
  await load()
}
