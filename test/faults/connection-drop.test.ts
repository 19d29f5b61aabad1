import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import pg from 'pg'
import { UnavailableError } from '../../src/core/errors.ts'
import { openPostgresStore } from '../../src/store/postgres/open-store.ts'
import { makeEvent, makeSubscription } from '../store/conformance/builders.ts'
import { until } from '../support/faults.ts'
import { testPostgresUrl } from '../support/postgres-url.ts'

const url = testPostgresUrl('PostgreSQL connection-drop tests')
if (url !== null) connectionDropTests(url)

function connectionDropTests(url: string): void {
  const admin = new pg.Pool({ connectionString: url, max: 2 })
  after(() => admin.end())

  /** A store whose connections carry an application name of their own, so they can be killed. */
  async function openNamed() {
    const name = `hr_t_${randomBytes(6).toString('hex')}`
    const named = new URL(url)
    named.searchParams.set('application_name', name)
    const store = await openPostgresStore({ connectionString: named.toString(), schema: name })
    const backends = async (where = 'true') =>
      (
        await admin.query(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND ${where}`,
          [name],
        )
      ).rows.map((r: { pid: number }) => r.pid)
    const kill = (where?: string) =>
      backends(where).then((pids) =>
        admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]),
      )
    const done = async () => {
      await store.close()
      await admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)
    }
    return { name, store, backends, kill, done }
  }

  describe('a dropped connection', () => {
    it('of an idle pooled client is replaced; the process carries on', async () => {
      const { store, backends, kill, done } = await openNamed()
      try {
        await store.ping()
        assert.ok((await backends()).length > 0)
        await kill()
        await until(async () => (await backends()).length === 0, 5_000, 'the backends ended')
        // The pool may hand out a dead client (it held more than one) before its socket reports
        // the end: such a query answers UnavailableError (a 503 for the API), never anything
        // else, and the pool opens new connections for the next ones.
        let answered = false
        for (let i = 0; i < 10 && !answered; i++) {
          const error = await store.ping().then(
            () => null,
            (e: unknown) => e,
          )
          if (error !== null) assert.ok(error instanceof UnavailableError, String(error))
          answered = error === null
        }
        assert.ok(answered, 'the store never answered again')
      } finally {
        await done()
      }
    })

    it('in the middle of a transaction rejects with UnavailableError, without ending the process', async () => {
      const { name, store, backends, kill, done } = await openNamed()
      const blocker = await admin.connect()
      try {
        const subscription = makeSubscription({ events: ['order.*'] })
        await store.insertSubscription(subscription)
        // Holds the publish's transaction in its first read, until its connection is killed.
        await blocker.query('BEGIN')
        await blocker.query(`LOCK TABLE ${name}.subscriptions IN ACCESS EXCLUSIVE MODE`)
        // Its outcome is taken at once: it may fail while the kill below is still being awaited,
        // and a rejection nobody has handled yet fails the test as unhandled.
        const publishing = store.publishEvent(makeEvent({ type: 'order.created' })).then(
          () => null,
          (e: unknown) => e,
        )
        const blocked = "wait_event_type = 'Lock'"
        await until(async () => (await backends(blocked)).length > 0, 5_000, 'publish blocked')
        // Only the publish's connection: an idle pooled one killed too could be handed to the
        // publish after it before its socket reports the end (the case of the test above).
        await kill(blocked)
        const error = await publishing
        assert.ok(error instanceof UnavailableError, String(error))
        assert.equal(error.code, 'unavailable')
        await blocker.query('ROLLBACK')
        const again = await store.publishEvent(makeEvent({ type: 'order.created' }))
        assert.equal(again.deliveries, 1)
      } finally {
        blocker.release()
        await done()
      }
    })
  })
}
