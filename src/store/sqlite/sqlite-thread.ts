/**
 * The body of the SQLite store's thread: opens the database, then runs each verb the main thread
 * sends, in order, and answers with its result. Keeping SQLite here leaves the main thread's event
 * loop to HTTP: claims and attempt records cost it a message, not their SQL.
 *
 * Calls that arrive together are committed together: when the thread falls behind (a busy API
 * publishing from many requests at once), one commit serves them all instead of one each.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Checkpointer, writerCheckpointFrames } from './checkpointer.ts'
import { type SqliteStore, openOnThisThread } from './sqlite-store.ts'
import {
  type CallMessage,
  type ReadyMessage,
  type ReplyMessage,
  serializeError,
  type StoreVerb,
  type ThreadData,
} from './thread-protocol.ts'

const port = parentPort
if (port === null) throw new Error('sqlite-thread.ts runs only as a worker thread')
const { path, synchronous, restartFrames } = workerData as ThreadData

// Verbs that write nothing: a group of them needs no transaction.
const reads = new Set<StoreVerb>([
  'getSubscription',
  'listSubscriptions',
  'matchSubscriptions',
  'getEvent',
  'listEvents',
  'listEventsSince',
  'countDeliveries',
  'listAttemptTimings',
  'listTenants',
  'getDelivery',
  'listDeliveries',
  'nextDueAt',
  'listAttempts',
  'lastFailedAttempt',
  'getEventType',
  'listEventTypes',
  'getTenant',
  'findApiKeyByHash',
  'listApiKeys',
  'countApiKeys',
  'backlogStats',
  'ping',
])

let store: SqliteStore
// A database file's log is checkpointed on a thread of its own (`:memory:` has no log).
let checkpointer: Checkpointer | null = null
try {
  const file = path !== ':memory:' && path !== ''
  store = openOnThisThread(path, synchronous, file ? writerCheckpointFrames : undefined)
  try {
    if (file) checkpointer = await Checkpointer.start(path, synchronous, restartFrames)
  } catch (error) {
    await store.close()
    throw error
  }
  port.postMessage({ ready: true } satisfies ReadyMessage)
} catch (error) {
  port.postMessage({ ready: false, error: serializeError(error) } satisfies ReadyMessage)
  port.close()
}

const queue: CallMessage[] = []

port.on('message', (message: CallMessage[] | 'close') => {
  if (message === 'close') {
    // Answer what came before the close, then close.
    void runQueued()
      .then(() => checkpointer?.close())
      .then(() => store.close())
      .finally(() => port.close())
    return
  }
  const first = queue.length === 0
  queue.push(...message)
  // Every message already waiting arrives before this runs, so they form one group.
  if (!first) return
  const caughtUp = checkpointer?.untilCaughtUp()
  if (caughtUp) void caughtUp.then(() => runQueued())
  else setImmediate(() => void runQueued())
})

function runQueued(): Promise<void> {
  const calls = queue.splice(0)
  const answers: Promise<ReplyMessage>[] = []
  let group: CallMessage[] = []
  for (const call of calls) {
    // Prune commits in slices so it never holds the writer long: it runs on its own.
    if (call.verb === 'prune') {
      answers.push(...runGroup(group))
      group = []
      answers.push(reply(call, invoke(call)))
    } else {
      group.push(call)
    }
  }
  answers.push(...runGroup(group))
  if (calls.some((call) => !reads.has(call.verb))) checkpointer?.committed()
  // One message back for all of them, once every one is settled (they already are: the verbs
  // ran synchronously above, and any group has committed).
  return Promise.all(answers).then((replies) => {
    if (replies.length > 0) port!.postMessage(replies)
  })
}

function runGroup(group: CallMessage[]): Promise<ReplyMessage>[] {
  const writes = group.filter((call) => !reads.has(call.verb)).length
  if (writes < 2) return group.map((call) => reply(call, invoke(call)))
  const results: Promise<unknown>[] = []
  try {
    // Each verb's own transaction becomes a savepoint: one that fails undoes only itself.
    store.transaction(() => {
      for (const call of group) results.push(invoke(call))
    })
  } catch (error) {
    // The commit failed: nothing of the group was written, whatever each verb answered.
    for (const result of results) result.catch(() => {})
    return group.map((call) => reply(call, Promise.reject(error)))
  }
  return group.map((call, i) => reply(call, results[i]!))
}

// The verbs run synchronously, so a verb is done when `invoke` returns; answers are posted from
// `then`, which runs only after the whole group has committed.
function invoke({ verb, args }: CallMessage): Promise<unknown> {
  return (store[verb] as (...a: unknown[]) => Promise<unknown>).apply(store, args)
}

function reply({ id }: CallMessage, result: Promise<unknown>): Promise<ReplyMessage> {
  return result.then(
    (value) => ({ id, ok: true, value }),
    (error: unknown) => ({ id, ok: false, error: serializeError(error) }),
  )
}
