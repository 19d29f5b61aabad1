import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { DatabaseSync } from 'node:sqlite'
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-store.ts'
import { makeEvent, makeSubscription } from './conformance/builders.ts'

const dir = mkdtempSync(join(tmpdir(), 'hookrelay-checkpoints-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const page = 4096

/** A store with 40 subscriptions to every event, restarting its log past `restartFrames`. */
async function storeWithSubscribers(name: string, restartFrames: number) {
  const path = join(dir, name)
  const store = await ThreadedSqliteStore.open({ path, synchronous: 'NORMAL', restartFrames })
  for (let i = 0; i < 40; i++) {
    await store.insertSubscription(makeSubscription({ url: `https://example.com/${i}` }))
  }
  return { path, store }
}

describe('SQLite checkpoints on their own thread', () => {
  it('keeps the log short while a writer publishes without a pause', async () => {
    const restartFrames = 200
    const { path, store } = await storeWithSubscribers('busy.db', restartFrames)
    try {
      const published = 300
      for (let i = 0; i < published; i++) {
        // One at a time, as fast as the store answers: the writer never leaves the log idle.
        await store.publishEvent(makeEvent({ data: { i, pad: 'x'.repeat(2000) } }))
      }
      // 300 publishes of an event and 40 deliveries write about 24,000 frames, all of which a log
      // that never starts over holds. Here it holds the restart frames, plus what commits wrote
      // while a checkpoint copied (about 1,200 here), plus one commit.
      const frames = statSync(`${path}-wal`).size / page
      assert.ok(frames < 5000, `the log holds ${frames.toFixed(0)} frames`)
    } finally {
      await store.close()
    }
  })

  it('leaves a whole database and no log when the store closes', async () => {
    const { path, store } = await storeWithSubscribers('closed.db', 200)
    for (let i = 0; i < 50; i++) await store.publishEvent(makeEvent({ data: { i } }))
    await store.close()
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection folded the log in')
    const db = new DatabaseSync(path, { readOnly: true })
    try {
      const row = db.prepare('SELECT COUNT(*) AS n FROM deliveries').get() as { n: number }
      assert.equal(row.n, 50 * 40)
    } finally {
      db.close()
    }
  })
})
