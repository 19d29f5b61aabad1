/**
 * The body of the SQLite store's thread: opens the database, then runs each verb the main thread
 * sends, in order, and answers with its result. Keeping SQLite here leaves the main thread's event
 * loop to HTTP: claims and attempt records cost it a message, not their SQL.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { Store } from '../store.ts'
import { openOnThisThread } from './sqlite-store.ts'
import {
  type CallMessage,
  type ReadyMessage,
  type ReplyMessage,
  serializeError,
  type ThreadData,
} from './thread-protocol.ts'

const port = parentPort
if (port === null) throw new Error('sqlite-thread.ts runs only as a worker thread')
const { path, synchronous } = workerData as ThreadData

let store: Store
try {
  store = openOnThisThread(path, synchronous)
  port.postMessage({ ready: true } satisfies ReadyMessage)
} catch (error) {
  port.postMessage({ ready: false, error: serializeError(error) } satisfies ReadyMessage)
  port.close()
}

port.on('message', (message: CallMessage | 'close') => {
  if (message === 'close') {
    void store.close().finally(() => port.close())
    return
  }
  // The verbs run synchronously, so each finishes before the next message is read: calls never
  // interleave, exactly as on the main thread.
  const { id, verb, args } = message
  const call = (store[verb] as (...a: unknown[]) => Promise<unknown>).apply(store, args)
  call.then(
    (value) => port.postMessage({ id, ok: true, value } satisfies ReplyMessage),
    (error: unknown) =>
      port.postMessage({ id, ok: false, error: serializeError(error) } satisfies ReplyMessage),
  )
})
