import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { HookrelayError, ValidationError } from '../../src/core/errors.ts'
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts'
import { ThreadedSqliteStore } from '../../src/store/sqlite/threaded-store.ts'
import { reviveError, serializeError } from '../../src/store/sqlite/thread-protocol.ts'
import { makeSubscription } from './conformance/builders.ts'

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

  it('does not keep the process alive when it is left open', () => {
    const script = join(dir, 'left-open.mjs')
    const storeModule = pathToFileURL(
      join(import.meta.dirname, '../../src/store/sqlite/sqlite-store.ts'),
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
