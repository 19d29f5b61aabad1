import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { EngineTimings, RemoteEngine } from '../src/bench/hookrelay-run.ts'

/** What the worker process's engine is opened with. */
export interface WorkerSettings {
  /** The server, as the bench was given it (`openSchemaStore` takes its schema out). */
  url: string
  schema: string
  poolSize?: number
  concurrency: number
  subscriptionConcurrency: number
  batchSize: number
}

/** Parent to worker process. */
export type WorkerRequest =
  { type: 'open'; settings: WorkerSettings } | { type: 'deliver' } | { type: 'close' }

/** Worker process to parent: `ready` once it has started, then one answer per request. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'opened' }
  | { type: 'drained'; cpuMs: number; timings: EngineTimings }
  | { type: 'closed' }
  | { type: 'failed'; message: string }

/** A forked worker process that opens one engine at a time, each on the schema it is given. */
export interface WorkerProcess {
  open(settings: WorkerSettings): Promise<RemoteEngine>
  stop(): Promise<void>
}

/** Forks `postgres-worker-child.ts` and resolves once it is running. */
export async function startWorkerProcess(): Promise<WorkerProcess> {
  const script = fileURLToPath(new URL('./postgres-worker-child.ts', import.meta.url))
  const child = fork(script, [], {
    execPath: process.execPath,
    execArgv: ['--experimental-strip-types', '--no-warnings=ExperimentalWarning'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ask = requester(child)
  await ask(null)
  return {
    async open(settings) {
      await ask({ type: 'open', settings })
      return {
        async deliver() {
          const reply = await ask({ type: 'deliver' })
          if (reply.type !== 'drained') throw new Error(`worker process answered ${reply.type}`)
          return { cpuMs: reply.cpuMs, timings: reply.timings }
        },
        async close() {
          await ask({ type: 'close' })
        },
      }
    },
    stop() {
      if (child.exitCode !== null) return Promise.resolve()
      return new Promise((resolve) => {
        child.once('exit', () => resolve())
        child.disconnect()
      })
    },
  }
}

/**
 * Requests answered in order: each resolves with the next reply, or rejects on `failed`; a null
 * request sends nothing and waits for the next reply (`ready`).
 */
function requester(child: ChildProcess): (request: WorkerRequest | null) => Promise<WorkerReply> {
  const waiting: { resolve(reply: WorkerReply): void; reject(error: Error): void }[] = []
  child.on('message', (reply: WorkerReply) => {
    const next = waiting.shift()
    if (reply.type === 'failed') next?.reject(new Error(`worker process: ${reply.message}`))
    else next?.resolve(reply)
  })
  child.once('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`worker process exited (${code})`))
  })
  return (request) =>
    new Promise((resolve, reject) => {
      waiting.push({ resolve, reject })
      if (request !== null) child.send(request)
    })
}
