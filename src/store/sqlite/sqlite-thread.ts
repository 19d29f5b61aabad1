/**
 * The body of the SQLite store's thread: opens the database, then runs each verb the main thread
 * sends, in order, and answers with its result. Keeping SQLite here leaves the main thread's event
 * loop to HTTP: claims and attempt records cost it a message, not their SQL.
 *
 * Calls that arrive together are committed together: when the thread falls behind (a busy API
 * publishing from many requests at once), one commit serves them all instead of one each.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { type SqliteStore } from './sqlite-store.ts'
import { openOnThisThread } from './open-store.ts'
import type { ClaimOptions } from '../store.ts'
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
const { path, synchronous } = workerData as ThreadData

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
  'listPublishedTypes',
  'getTenant',
  'findApiKeyByHash',
  'listApiKeys',
  'countApiKeys',
  'backlogStats',
  'ping',
])

// Calls whose answer and effect do not depend on deliveries not yet written: they run beside
// queued fan-outs (fan-outs-sql.ts). Every other call runs after all of them are written, but a
// claim, which needs only as many as it may claim. (A subscription that is paused, disabled or
// deleted has its pending deliveries cancelled, so that call runs after them.)
const besideFanOuts = new Set<StoreVerb>([
  'insertSubscription',
  'getSubscription',
  'listSubscriptions',
  'matchSubscriptions',
  'insertEvent',
  'publishEvent',
  'getEvent',
  'listEventsSince',
  'claimDelivery',
  'releaseDeliveries',
  'recordAttemptRows',
  'nextDueAt',
  'upsertEventType',
  'getEventType',
  'listEventTypes',
  'listPublishedTypes',
  'insertTenant',
  'getTenant',
  'listTenants',
  'insertApiKey',
  'findApiKeyByHash',
  'listApiKeys',
  'deleteApiKey',
  'countApiKeys',
  'ping',
])

let store: SqliteStore
let opened = false
try {
  store = openOnThisThread(path, synchronous, { queueFanOuts: true })
  opened = true
  port.postMessage({ ready: true } satisfies ReadyMessage)
} catch (error) {
  port.postMessage({ ready: false, error: serializeError(error) } satisfies ReadyMessage)
  port.close()
}

const queue: CallMessage[] = []
// Fan-outs may be queued: a publish ran, or the file was opened with some (a process killed before
// it wrote them). Written when the thread has nothing else to do.
let fanOutsQueued = true
let writingFanOuts = false
let closing = false

port.on('message', (message: CallMessage[] | 'close') => {
  if (message === 'close') {
    // Answer what came before the close, then close; fan-outs not yet written stay queued in the
    // file for the next store that opens it.
    closing = true
    void runQueued()
      .then(() => store.close())
      .finally(() => port.close())
    return
  }
  const first = queue.length === 0
  queue.push(...message)
  // Every message already waiting arrives before this runs, so they form one group.
  if (first) setImmediate(() => void runQueued())
})
if (opened) scheduleFanOutWrites()

function runQueued(): Promise<void> {
  const calls = queue.splice(0)
  let answers: Promise<ReplyMessage>[]
  try {
    writeFanOutsFor(calls)
    answers = runCalls(calls)
  } catch (error) {
    // Writing the queued deliveries failed: the calls that needed them are not run.
    answers = calls.map((call) => reply(call, Promise.reject(error)))
  }
  if (calls.some((call) => call.verb === 'publishEvent')) fanOutsQueued = true
  scheduleFanOutWrites()
  // One message back for all of them, once every one is settled (they already are: the verbs
  // ran synchronously above, and any group has committed).
  return Promise.all(answers).then((replies) => {
    if (replies.length > 0) port!.postMessage(replies)
  })
}

/**
 * Writes the queued deliveries `calls` must see (`besideFanOuts`). Any call but a claim looks in
 * the table rather than at `fanOutsQueued`, so it also sees what another process on the file
 * queued.
 */
function writeFanOutsFor(calls: CallMessage[]): void {
  if (calls.every((call) => besideFanOuts.has(call.verb))) return
  const claims = calls.filter((call) => call.verb === 'claimDueDeliveries')
  if (claims.length === calls.length) {
    // Only this store's own queue: another process's is written by that process's thread.
    if (!fanOutsQueued) return
    const limit = claims.reduce((sum, call) => sum + (call.args[0] as ClaimOptions).limit, 0)
    store.writeQueuedFanOuts(limit)
  } else {
    store.writeQueuedFanOuts(Infinity)
    fanOutsQueued = false
  }
}

function runCalls(calls: CallMessage[]): Promise<ReplyMessage>[] {
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
  return answers
}

/**
 * Writes queued fan-outs a slice at a time while no call waits: a call that arrives meanwhile
 * waits for one slice (100 deliveries) at most.
 */
function scheduleFanOutWrites(): void {
  if (!fanOutsQueued || writingFanOuts || closing) return
  writingFanOuts = true
  setImmediate(() => {
    writingFanOuts = false
    if (queue.length > 0 || closing) return
    try {
      if (store.writeQueuedFanOuts(1).deliveries === 0) fanOutsQueued = store.hasQueuedFanOuts()
    } catch {
      // Left queued: the next call that needs them writes them, and answers the error if any.
      return
    }
    scheduleFanOutWrites()
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
