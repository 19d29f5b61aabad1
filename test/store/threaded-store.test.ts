import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { HookrelayError, ValidationError } from '../../src/core/errors.ts'
import { openSqliteStore } from '../../src/store/sqlite/open-store.ts'
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-store.ts'
import { reviveError, serializeError } from '../../src/store/sqlite/thread-protocol.ts'
import { newId } from '../../src/core/ids.ts'
import { makeEvent, makeSubscription } from './conformance/builders.ts'

const dir = mkdtempSync(join(tmpdir(), 'hookrelay-thread-'))
after(() => rmSync(dir, { recursive: true, force: true }))

describe('SQLite store on its own thread', () => {
  it('is what a file opens by default, and :memory: runs on the calling thread', async () => {
    const file = await openSqliteStore({ path: join(dir, 'default.db') })
    const memory = await openSqliteStore({ path: ':memory:' })
    try {
      assert.ok(file instanceof ThreadedSqliteStore)
      assert.ok(!(memory instanceof ThreadedSqliteStore))
    } finally {
      await file.close()
      await memory.close()
    }
  })

  it('rejects the open with the reason when the database cannot be opened', async () => {
    await assert.rejects(
      openSqliteStore({ path: join(dir, 'missing-folder', 'x.db') }),
      /unable to open database/,
    )
  })

  it('answers calls in the order they were made, and refuses them after close', async () => {
    const store = await openSqliteStore({ path: join(dir, 'order.db') })
    const subscriptions = Array.from({ length: 50 }, (_, i) =>
      makeSubscription({ url: `https://example.com/${i}` }),
    )
    // Sent without waiting: each get sees the insert sent before it.
    const gets = subscriptions.map((s) => {
      void store.insertSubscription(s)
      return store.getSubscription(s.id)
    })
    assert.deepEqual(await Promise.all(gets), subscriptions)
    const pending = store.getSubscription(subscriptions[0]!.id)
    await store.close()
    assert.deepEqual(await pending, subscriptions[0], 'a call made before close is answered')
    await assert.rejects(store.getSubscription('sub_x'), (error: unknown) => {
      assert.ok(error instanceof HookrelayError)
      assert.equal(error.code, 'closed')
      return true
    })
  })

  it('commits calls that arrive together, and one that fails takes nothing else with it', async () => {
    const store = await openSqliteStore({ path: join(dir, 'group.db') })
    try {
      const subscription = makeSubscription()
      await store.insertSubscription(subscription)
      const events = Array.from({ length: 20 }, () => makeEvent())
      // The 11th reuses the 4th's id: its insert breaks the primary key and must fail alone.
      const inserts = events.map((event, i) =>
        store.insertEvent(i === 10 ? { ...event, id: events[3]!.id } : event, [
          { id: newId('delivery'), subscriptionId: subscription.id },
        ]),
      )
      const settled = await Promise.allSettled(inserts)
      assert.deepEqual(
        settled.map((s) => s.status),
        events.map((_, i) => (i === 10 ? 'rejected' : 'fulfilled')),
      )
      for (const [i, event] of events.entries()) {
        const stored = await store.getEvent(event.id)
        if (i === 10) assert.equal(stored, null, 'the failed insert left its event behind')
        else assert.deepEqual(stored, event)
      }
      const deliveries = await store.listDeliveries({ tenant: subscription.tenant, limit: 100 })
      assert.equal(deliveries.data.length, 19, 'the failed insert left a delivery behind')
    } finally {
      await store.close()
    }
  })

  it('does not keep the process alive when it is left open', () => {
    const script = join(dir, 'left-open.mjs')
    const storeModule = pathToFileURL(
      join(import.meta.dirname, '../../src/store/sqlite/open-store.ts'),
    )
    writeFileSync(
      script,
      `import { openSqliteStore } from ${JSON.stringify(storeModule.href)}
const store = await openSqliteStore({ path: process.argv[2] })
await store.ping()
process.stdout.write('ok\\n')
`,
    )
    const child = spawnSync(process.execPath, ['--no-warnings', script, join(dir, 'open.db')], {
      encoding: 'utf8',
      timeout: 20_000,
    })
    assert.equal(child.signal, null, 'the process had to be killed: the thread kept it alive')
    assert.equal(child.stdout, 'ok\n', child.stderr)
    assert.equal(child.status, 0)
  })

  it('rebuilds the error classes a verb throws, with their fields', () => {
    const revived = reviveError(serializeError(new ValidationError('config.url', 'is not a URL')))
    assert.ok(revived instanceof ValidationError)
    assert.equal(revived.field, 'config.url')
    assert.equal(revived.code, 'invalid_input')
    assert.equal(revived.message, 'config.url: is not a URL')
    const sqlite = Object.assign(new Error('database is locked'), { code: 'ERR_SQLITE_ERROR' })
    const plain = reviveError(serializeError(sqlite))
    assert.equal(plain.message, 'database is locked')
    assert.equal((plain as { code?: string }).code, 'ERR_SQLITE_ERROR')
  })
})
