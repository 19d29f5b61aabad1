import { it } from 'node:test'

/**
 * The PostgreSQL server the tests of `what` run against (`HOOKRELAY_TEST_PG`), or null after
 * registering one skipped test that says they were skipped and how to run them.
 */
export function testPostgresUrl(what: string): string | null {
  const url = process.env.HOOKRELAY_TEST_PG
  if (url !== undefined && url !== '') return url
  it(
    `${what} skipped: set HOOKRELAY_TEST_PG=postgres://… to run them`,
    { skip: 'HOOKRELAY_TEST_PG is not set' },
    () => {},
  )
  return null
}
