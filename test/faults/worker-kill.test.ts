import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { it } from 'node:test'
import pg from 'pg'
import { type CliProcess, runScript, startServe, stop } from '../cli/serve-process.ts'
import {
  allReceived,
  ApiClient,
  freshDatabase,
  receivedIds,
  serveFlags,
  setUpSubscriber,
  until,
} from '../support/faults.ts'
import { TestReceiver } from '../support/receiver.ts'
import { testPostgresUrl } from '../support/postgres-url.ts'

const url = testPostgresUrl('worker-kill fault test')
const workerScript = fileURLToPath(new URL('../support/fault-worker.ts', import.meta.url))
const events = 5_000
const publishers = 16
// The workers' lease (see fault-worker.ts): a killed worker's claims come due after it.
const leaseMs = 2_000

if (url !== null) {
  it('a worker killed mid-delivery loses nothing: another sends its claims after the lease', async (t) => {
    const { schema, database } = freshDatabase(url)
    const receiver = await TestReceiver.start()
    receiver.always('/hooks', { kind: 'delay', ms: 3, status: 200 })
    const processes: CliProcess[] = []
    let client: ApiClient | undefined
    const started = performance.now()
    try {
      const apiProcess = await startServe(['--role', 'api', ...serveFlags(database)])
      processes.push(apiProcess)
      const workers = ['a', 'b'].map((name) => runScript(workerScript, [database, name]))
      processes.push(...workers)
      await Promise.all(workers.map((w) => w.waitFor((out) => out.includes('ready'))))
      const [victim, survivor] = workers as [CliProcess, CliProcess]

      client = new ApiClient(apiProcess.url, publishers)
      const key = await setUpSubscriber(client, `${receiver.url}/hooks`)

      // Kill one worker once about half the events have arrived, while publishing goes on.
      let killedAt = 0
      let receivedAtKill = 0
      void receiver.waitFor(events / 2).then(() => {
        victim.child.kill('SIGKILL')
        killedAt = performance.now()
        receivedAtKill = receiver.received.length
      })

      const acknowledged = new Set<string>()
      const refused: string[] = []
      let next = 0
      const api = client
      const publisher = async () => {
        while (next < events) {
          const n = next++
          const answer = await api.publish(key, { n })
          if (answer.status === 202) {
            acknowledged.add(answer.body.id as string)
          } else {
            refused.push(`${answer.status} ${answer.error?.message ?? JSON.stringify(answer.body)}`)
          }
        }
      }
      await Promise.all(Array.from({ length: publishers }, publisher))
      const published = performance.now()
      assert.deepEqual(refused.slice(0, 5), [], 'every publish was acknowledged')
      assert.equal(acknowledged.size, events)

      await until(() => killedAt > 0, 30_000, 'half the events arrived')
      await victim.exited
      assert.equal(victim.child.signalCode, 'SIGKILL')
      await until(
        () => allReceived(receiver, acknowledged),
        45_000,
        'every acknowledged event reached the receiver',
        100,
      )
      const delivered = performance.now()
      const { ids, requests } = receivedIds(receiver)
      // By construction: the schema is fresh, the only subscription is to `order.*`, and every
      // publish was acknowledged, so nothing else can have been sent.
      assert.deepEqual(
        [...ids].filter((id) => !acknowledged.has(id)),
        [],
        'only acknowledged events reached the receiver',
      )
      assert.equal(survivor.child.exitCode, null, 'the surviving worker is still running')

      const byWorker = new Map<string, number>()
      for (const r of receiver.received) {
        const agent = String(r.headers['user-agent'] ?? '')
        byWorker.set(agent, (byWorker.get(agent) ?? 0) + 1)
      }
      const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
      t.diagnostic(
        `acknowledged ${acknowledged.size}, delivered ${ids.size} distinct in ${requests} ` +
          `requests, duplicates ${requests - ids.size}`,
      )
      t.diagnostic(
        `killed worker a at ${receivedAtKill} received, ${seconds(killedAt - started)} in; ` +
          `published all by ${seconds(published - started)}, all delivered by ` +
          `${seconds(delivered - started)} (lease ${seconds(leaseMs)})`,
      )
      t.diagnostic(
        `requests by worker: ${[...byWorker].map(([agent, count]) => `${agent} ${count}`).join(', ')}`,
      )
    } finally {
      await client?.close()
      await Promise.all(
        processes.map((p) =>
          p.child.exitCode === null && p.child.signalCode === null ? stop(p) : p.exited,
        ),
      )
      await receiver.close()
      const admin = new pg.Client({ connectionString: url })
      await admin.connect()
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await admin.end()
    }
  })
}
