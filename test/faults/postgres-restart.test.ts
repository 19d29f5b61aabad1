import assert from 'node:assert/strict'
import { it } from 'node:test'
import pg from 'pg'
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts'
import { openPostgresStore } from '../../src/store/postgres/open-store.ts'
import { type Served, startServe, stop } from '../cli/serve-process.ts'
import {
  allReceived,
  type Answer,
  ApiClient,
  freshDatabase,
  receivedIds,
  serveFlags,
  setUpSubscriber,
  until,
} from '../support/faults.ts'
import { ensureRunning, findCluster, type PgCluster, pgCtl } from '../support/pg-cluster.ts'
import { TestReceiver } from '../support/receiver.ts'

const url = process.env.HOOKRELAY_TEST_PG
const found = url === undefined || url === '' ? undefined : findCluster(url)

if (url === undefined || url === '' || found === undefined) {
  it(
    'PostgreSQL restart fault test skipped: set HOOKRELAY_TEST_PG=postgres://… to run it',
    { skip: 'HOOKRELAY_TEST_PG is not set' },
    () => {},
  )
} else if ('skip' in found) {
  it(
    `PostgreSQL restart fault test skipped: ${found.skip}`,
    { skip: `cannot restart the server: ${found.skip}` },
    () => {},
  )
} else {
  restartTest(url, found)
}

// `stopping` and `starting` while pg_ctlcluster runs; `down` in between, when nothing can commit.
type Phase = 'before' | 'stopping' | 'down' | 'starting' | 'after'
const phases: Phase[] = ['before', 'stopping', 'down', 'starting', 'after']

function restartTest(url: string, cluster: PgCluster): void {
  it('PostgreSQL restarted under load: 503 meanwhile, then it carries on by itself', async (t) => {
    const { schema, database } = freshDatabase(url)
    const receiver = await TestReceiver.start()
    let server: Served | undefined
    let client: ApiClient | undefined
    let store: PostgresStore | undefined
    let publishing = true
    let loops: Promise<void>[] = []
    try {
      server = await startServe(['--role', 'all', ...serveFlags(database)])
      const api = new ApiClient(server.url, 8)
      client = api
      const key = await setUpSubscriber(api, `${receiver.url}/hooks`)
      // A listener of this process's own, to watch LISTEN come back across the restart.
      store = await openPostgresStore({ connectionString: database, max: 1 })
      let wakes = 0
      await store.listen(() => wakes++)

      let phase: Phase = 'before'
      const answers: (Answer & { phase: Phase })[] = []
      const accepted = new Set<string>()
      const count = (p: Phase, status: number) =>
        answers.filter((a) => a.phase === p && a.status === status).length
      let n = 0
      const publisher = async () => {
        while (publishing) {
          const at = phase
          const answer = await api.publish(key, { n: n++ })
          answers.push({ ...answer, phase: at })
          if (answer.status === 202) accepted.add(answer.body.id as string)
          // Paced, so a fast stream of instant 503s does not starve the rest of the machine.
          await new Promise((resolve) => setTimeout(resolve, 5))
        }
      }
      loops = Array.from({ length: 4 }, publisher)
      await until(() => count('before', 202) >= 20, 10_000, 'publishing before the restart')

      phase = 'stopping'
      const outageStarted = performance.now()
      await pgCtl(cluster, 'stop')
      phase = 'down'
      const wakesWhileDown = wakes
      await until(() => count('down', 503) >= 10, 10_000, '503 answers while stopped')
      const ready = await api.call('GET', '/readyz')
      assert.equal(ready.status, 503, '/readyz answers 503 while the database is down')
      phase = 'starting'
      await pgCtl(cluster, 'start')
      phase = 'after'
      const restarted = performance.now()

      await until(() => count('after', 202) >= 20, 15_000, 'publishing again after the restart')
      const recovered = performance.now()
      publishing = false
      await Promise.all(loops)
      await until(
        async () => (await api.call('GET', '/readyz')).status === 200,
        5_000,
        '/readyz ready again',
      )
      // One wake when the listener is back (LISTEN is on again), then notifications on it.
      await until(() => wakes > wakesWhileDown, 10_000, 'the listener reconnected')
      const afterReconnect = wakes
      const last = await api.publish(key, { n: 'after the reconnect' })
      assert.equal(last.status, 202)
      accepted.add(last.body.id as string)
      await until(() => wakes > afterReconnect, 5_000, 'a notification on the new connection')

      await until(
        () => allReceived(receiver, accepted),
        20_000,
        'every accepted event reached the receiver',
        50,
      )
      const { ids, requests } = receivedIds(receiver)

      const wrong = answers.filter((a) => a.status !== 202 && a.status !== 503)
      assert.deepEqual(
        wrong.slice(0, 5).map((a) => `${a.status} ${a.error?.message ?? JSON.stringify(a.body)}`),
        [],
        'every answer was 202 or 503 (no 500, no dropped connection)',
      )
      assert.equal(count('down', 202), 0, 'nothing was accepted while the database was down')
      for (const answer of answers.filter((a) => a.status === 503)) {
        assert.match(answer.contentType, /^application\/problem\+json/)
        assert.equal(answer.body.code, 'unavailable')
        assert.equal(answer.retryAfter, '1')
      }
      assert.equal(server.child.exitCode, null, 'the server is still running')
      assert.equal(server.child.signalCode, null, 'the server is still running')
      assert.ok(ids.size >= accepted.size)

      const errors = new Map<string, number>()
      for (const log of server.logs()) {
        if (typeof log.level === 'number' && log.level >= 50) {
          errors.set(String(log.msg), (errors.get(String(log.msg)) ?? 0) + 1)
        }
      }
      const by = (p: Phase) => `${count(p, 202)} × 202, ${count(p, 503)} × 503`
      const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
      t.diagnostic(`answers by phase: ${phases.map((p) => `${p} ${by(p)}`).join('; ')}`)
      t.diagnostic(
        `down and restarting ${seconds(restarted - outageStarted)}, publishing again ` +
          `${seconds(recovered - restarted)} after the start; accepted ${accepted.size}, ` +
          `delivered ${ids.size} distinct in ${requests} requests`,
      )
      t.diagnostic(
        `server error logs: ${[...errors].map(([msg, k]) => `${msg} × ${k}`).join(', ') || 'none'}`,
      )
    } finally {
      publishing = false
      await Promise.all(loops)
      await ensureRunning(cluster)
      await store?.close()
      await client?.close()
      if (server !== undefined && server.child.exitCode === null) await stop(server)
      await receiver.close()
      const admin = new pg.Client({ connectionString: url })
      await admin.connect()
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await admin.end()
    }
  })
}
