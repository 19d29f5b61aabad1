import { type ChildProcess, fork } from 'node:child_process'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type {
  ParentMessage,
  ReceiverCounts,
  ReceiverMessage,
  ShapePathStats,
} from './receiver-protocol.ts'

/** A handle on the receiver running in its own process. */
export interface ReceiverProcess {
  port: number
  /** The receiver's request counters (total and per path) and its CPU time so far. */
  counts(): Promise<ReceiverCounts>
  /** What arrived on each `/shape/` path starting with `prefix` (see `receiver-child.ts`). */
  shape(prefix: string): Promise<Record<string, ShapePathStats>>
  /** Drops the statistics of the `/shape/` paths starting with `prefix`. */
  forget(prefix: string): Promise<void>
  stop(): Promise<void>
}

/**
 * Forks `receiver-child` with this process's Node, and resolves once it listens. The receiver
 * lives in another process so that it does not share this event loop (it still shares the
 * machine's cores, as the design's targets assume).
 */
export function startReceiver(): Promise<ReceiverProcess> {
  // The child sits beside this module with its extension: `.ts` run from source (then Node needs
  // the type-stripping flag), `.js` in the built package.
  const extension = extname(fileURLToPath(import.meta.url))
  const script = fileURLToPath(new URL(`./receiver-child${extension}`, import.meta.url))
  const child = fork(script, [], {
    execPath: process.execPath,
    execArgv:
      extension === '.ts'
        ? ['--experimental-strip-types', '--no-warnings=ExperimentalWarning']
        : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`receiver exited early (${code})`))
    child.once('exit', onExit)
    child.once('error', reject)
    child.once('message', (message: ReceiverMessage) => {
      if (message.type !== 'ready') return reject(new Error(`unexpected ${message.type}`))
      child.off('exit', onExit)
      resolve(handle(child, message.port))
    })
  })
}

function handle(child: ChildProcess, port: number): ReceiverProcess {
  // One answer per question, matched by type: questions of different types may overlap.
  const ask = <T extends ReceiverMessage['type']>(
    message: ParentMessage,
    answer: T,
  ): Promise<Extract<ReceiverMessage, { type: T }>> =>
    new Promise((resolve) => {
      const listener = (reply: ReceiverMessage) => {
        if (reply.type !== answer) return
        child.off('message', listener)
        resolve(reply as Extract<ReceiverMessage, { type: T }>)
      }
      child.on('message', listener)
      child.send(message)
    })
  return {
    port,
    async counts() {
      const { total, byPath, duplicates, cpuMs } = await ask({ type: 'counts' }, 'counts')
      return { total, byPath, duplicates, cpuMs }
    },
    async shape(prefix) {
      return (await ask({ type: 'shape', prefix }, 'shape')).paths
    },
    async forget(prefix) {
      await ask({ type: 'forget', prefix }, 'forgotten')
    },
    stop() {
      if (child.exitCode !== null) return Promise.resolve()
      return new Promise((resolve) => {
        child.once('exit', () => resolve())
        child.send({ type: 'stop' } satisfies ParentMessage)
      })
    },
  }
}
