import { type ChildProcess, fork } from 'node:child_process'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ParentMessage, ReceiverCounts, ReceiverMessage } from './receiver-protocol.ts'

/** A handle on the receiver running in its own process. */
export interface ReceiverProcess {
  port: number
  /** The receiver's request counters (total and per path) and its CPU time so far. */
  counts(): Promise<ReceiverCounts>
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
  const ask = (message: ParentMessage) => child.send(message)
  return {
    port,
    counts() {
      return new Promise((resolve) => {
        child.once('message', (message: ReceiverMessage) => {
          if (message.type === 'counts') {
            const { total, byPath, duplicates, cpuMs } = message
            resolve({ total, byPath, duplicates, cpuMs })
          }
        })
        ask({ type: 'counts' })
      })
    },
    stop() {
      if (child.exitCode !== null) return Promise.resolve()
      return new Promise((resolve) => {
        child.once('exit', () => resolve())
        ask({ type: 'stop' })
      })
    },
  }
}
