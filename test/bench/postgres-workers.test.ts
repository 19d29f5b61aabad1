import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'
import { runHookrelayPostgres } from '../../bench/hookrelay-postgres.ts'
import { startWorkerProcess, type WorkerProcess } from '../../bench/postgres-worker.ts'
import { type ReceiverProcess, startReceiver } from '../../src/bench/receiver-process.ts'
import { testPostgresUrl } from '../support/postgres-url.ts'

const url = testPostgresUrl('PostgreSQL bench tests')

if (url !== null) {
  let receiver: ReceiverProcess
  let workerProcess: WorkerProcess
  before(async () => {
    receiver = await startReceiver()
    workerProcess = await startWorkerProcess()
  })
  after(async () => {
    await workerProcess.stop()
    await receiver.stop()
  })

  it('shares one backlog between this process and a worker process, each delivery once', async () => {
    const shape = {
      url,
      receiver,
      events: 300,
      subscriptions: 4,
      warmupEvents: 0,
      concurrency: 16,
      subscriptionConcurrency: 4,
      batchSize: 64,
      holdClaims: true,
      workers: 1,
    }
    // Twice on one worker process: it opens an engine per run, on that run's schema.
    for (let run = 0; run < 2; run++) {
      const result = await runHookrelayPostgres({ ...shape, workerProcess })
      assert.deepEqual(result.problems, [])
      assert.equal(result.complete, true)
      assert.equal(result.received, 1_200)
      assert.equal(result.recordedByWorker.length, 2)
      assert.equal(
        result.recordedByWorker.reduce((n, k) => n + k, 0),
        1_200,
      )
      assert.ok(
        result.recordedByWorker.every((k) => k > 0),
        `each process recorded some: ${result.recordedByWorker.join(' + ')}`,
      )
      assert.ok(result.cpuMs.bench > result.cpuMs.mainThread, 'the worker process’s CPU counts')
    }
  })
}
