/**
 * The body of the checkpoint thread: its own connection to the database file, which copies the
 * write-ahead log back into the file whenever the store's thread says it committed. A checkpoint
 * is where SQLite fsyncs (with `synchronous = NORMAL`, only there): tens of milliseconds for a
 * few megabytes of log on an ordinary disk, which would otherwise land on whichever commit crossed
 * the threshold, and on every call queued behind it.
 */
import { DatabaseSync } from 'node:sqlite'
import { parentPort, workerData } from 'node:worker_threads'
import type { CheckpointResult, CheckpointThreadData } from './checkpointer.ts'

const port = parentPort
if (port === null) throw new Error('checkpoint-thread.ts runs only as a worker thread')
const { path, synchronous } = workerData as CheckpointThreadData

const db = new DatabaseSync(path)
// The checkpointing connection's level decides whether the checkpoint fsyncs: the store's.
db.exec(`PRAGMA synchronous = ${synchronous}`)
// PASSIVE never waits for a lock, so no busy timeout: a checkpoint that cannot run now runs at
// the next commit.
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)')

port.on('message', (message: 'checkpoint' | 'close') => {
  if (message === 'close') {
    db.close()
    port.close()
    return
  }
  let result: CheckpointResult
  try {
    const row = checkpoint.get() as { busy: number; log: number; checkpointed: number }
    result = { ok: true, frames: row.log, copied: row.checkpointed }
  } catch (error) {
    result = { ok: false, message: error instanceof Error ? error.message : String(error) }
  }
  port.postMessage(result)
})
port.postMessage('ready')
