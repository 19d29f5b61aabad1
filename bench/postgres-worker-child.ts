/**
 * A second worker process for the PostgreSQL bench rows, forked by `postgres-worker.ts`: it opens
 * an engine on the schema it is told, delivers when told until it has drained, and reports its CPU
 * time and store timings. It lives across rounds, so its code is as warm as the bench's own.
 */
import { benchEngine, type Engine } from '../src/bench/hookrelay-run.ts'
import { openSchemaStore } from './hookrelay-postgres.ts'
import type { WorkerReply, WorkerRequest } from './postgres-worker.ts'

let engine: Engine | null = null

const send = (reply: WorkerReply) => process.send!(reply)

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.type) {
    case 'open': {
      const { url, schema, poolSize, concurrency, subscriptionConcurrency, batchSize } =
        request.settings
      engine = await benchEngine(await openSchemaStore(url, schema, poolSize), {
        concurrency,
        subscriptionConcurrency,
        batchSize,
        holdClaims: true,
      })
      return { type: 'opened' }
    }
    case 'deliver': {
      if (engine === null) throw new Error('deliver before open')
      const { hooks, timed } = engine
      timed.reset()
      const before = process.cpuUsage()
      timed.release()
      hooks.start()
      await hooks.drain()
      const cpu = process.cpuUsage(before)
      return { type: 'drained', cpuMs: (cpu.user + cpu.system) / 1000, timings: timed.timings() }
    }
    case 'close': {
      await engine?.hooks.close()
      engine = null
      return { type: 'closed' }
    }
  }
}

process.on('message', (request: WorkerRequest) => {
  handle(request).then(send, (error: unknown) =>
    send({ type: 'failed', message: (error as Error).stack ?? String(error) }),
  )
})
process.on('disconnect', () => process.exit(0))
send({ type: 'ready' })
