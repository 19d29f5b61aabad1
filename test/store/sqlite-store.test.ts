import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { after, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { newId } from '../../src/core/ids.ts'
import { anyPatternMatches } from '../../src/core/patterns.ts'
import type { StoredSubscription } from '../../src/core/types.ts'
import { applyMigrations, migrations } from '../../src/store/sqlite/migrations.ts'
import { openSqliteStore } from '../../src/store/sqlite/open-store.ts'
import { makeEvent, makeSubscription, T0 } from './conformance/builders.ts'
import { describeStore } from './store-conformance.ts'

const dir = mkdtempSync(join(tmpdir(), 'hookrelay-store-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const tempFile = (ext = 'db') => join(dir, `file-${++files}.${ext}`)

describeStore('sqlite :memory:', () => openSqliteStore({ path: ':memory:' }))
describeStore('sqlite file, on its own thread', () => openSqliteStore({ path: tempFile() }))
describeStore('sqlite file, on the calling thread', () =>
  openSqliteStore({ path: tempFile(), thread: false }),
)

function appliedVersions(path: string): { version: number; applied_at: number }[] {
  const db = new DatabaseSync(path)
  try {
    const rows = db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version')
    return rows.all() as { version: number; applied_at: number }[]
  } finally {
    db.close()
  }
}

describe('SQLite store', () => {
  it('records its migrations and applies none twice when a file is opened again', async () => {
    const path = tempFile()
    const store = await openSqliteStore({ path, synchronous: 'FULL' })
    const s = makeSubscription()
    await store.insertSubscription(s)
    await store.close()
    const first = appliedVersions(path)
    assert.deepEqual(
      first.map((row) => row.version),
      migrations.map((m) => m.version),
    )

    const reopened = await openSqliteStore({ path })
    assert.deepEqual(await reopened.getSubscription(s.id), s)
    await reopened.close()
    assert.deepEqual(appliedVersions(path), first)
  })

  it('applies only new migrations, each all or nothing', () => {
    const db = new DatabaseSync(':memory:')
    try {
      assert.deepEqual(
        applyMigrations(db),
        migrations.map((m) => m.version),
      )
      assert.deepEqual(applyMigrations(db), [])
      const next = [...migrations, { version: 1_000, sql: 'CREATE TABLE extra (x INTEGER)' }]
      assert.deepEqual(applyMigrations(db, next), [1_000])
      assert.deepEqual(applyMigrations(db, next), [])
      const broken = [
        ...next,
        { version: 1_001, sql: 'CREATE TABLE half (x); SELECT nope FROM none' },
      ]
      assert.throws(() => applyMigrations(db, broken))
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE name = 'half'`).all()
      assert.deepEqual(tables, [])
      const versions = db
        .prepare('SELECT version FROM schema_migrations WHERE version = 1001')
        .all()
      assert.deepEqual(versions, [])
    } finally {
      db.close()
    }
  })

  it('refuses verbs after close, and closes twice without error', async () => {
    const store = await openSqliteStore({ path: ':memory:' })
    await store.ping()
    await store.close()
    await store.close()
    await assert.rejects(store.ping(), { code: 'closed' })
  })

  it('keeps a committed event and its deliveries when the process is killed', async () => {
    const path = tempFile()
    const subscription = makeSubscription()
    const event = makeEvent({ data: { survives: 'kill -9' } })
    const deliveries = [{ id: newId('delivery'), subscriptionId: subscription.id }]
    const input = tempFile('json')
    writeFileSync(input, JSON.stringify({ subscription, event, deliveries }))
    const script = tempFile('mjs')
    const storeModule = pathToFileURL(
      join(import.meta.dirname, '../../src/store/sqlite/open-store.ts'),
    )
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs'
import { openSqliteStore } from ${JSON.stringify(storeModule.href)}
const { subscription, event, deliveries } = JSON.parse(readFileSync(process.argv[3], 'utf8'))
const store = await openSqliteStore({ path: process.argv[2] })
await store.insertSubscription(subscription)
await store.insertEvent(event, deliveries)
process.stdout.write('ok\\n')
process.kill(process.pid, 'SIGKILL')
`,
    )
    const child = spawnSync(process.execPath, ['--no-warnings', script, path, input], {
      encoding: 'utf8',
    })
    assert.equal(child.stdout, 'ok\n', child.stderr)
    assert.equal(child.signal, 'SIGKILL')

    const store = await openSqliteStore({ path })
    try {
      assert.deepEqual(await store.getEvent(event.id), event)
      assert.deepEqual(await store.getSubscription(subscription.id), subscription)
      const stored = await store.listDeliveries({ eventId: event.id, limit: 10 })
      assert.deepEqual(
        stored.data.map((d) => [d.id, d.status]),
        [[deliveries[0]!.id, 'pending']],
      )
      const claimed = await store.claimDueDeliveries({
        now: T0,
        limit: 10,
        leaseMs: 30_000,
        leaseToken: 'after-crash',
      })
      assert.deepEqual(
        claimed.map((c) => c.id),
        [deliveries[0]!.id],
      )
    } finally {
      await store.close()
    }
  })

  it('matches what another connection to the file just changed (its match cache is never stale)', async () => {
    const path = tempFile()
    const a = await openSqliteStore({ path, thread: false })
    const b = await openSqliteStore({ path, thread: false })
    try {
      assert.deepEqual(await a.matchSubscriptions('acme', 'order.created'), [])
      const s = makeSubscription({ events: ['order.*'] })
      await b.insertSubscription(s)
      assert.deepEqual(
        (await a.matchSubscriptions('acme', 'order.created')).map((m) => m.id),
        [s.id],
      )
      await b.updateSubscription({ ...s, state: 'paused' })
      assert.deepEqual(await a.matchSubscriptions('acme', 'order.created'), [])
      await a.updateSubscription({ ...s, state: 'active', events: ['invoice.*'] })
      assert.deepEqual(await a.matchSubscriptions('acme', 'order.created'), [])
      assert.equal((await b.matchSubscriptions('acme', 'invoice.paid')).length, 1)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('matches among 100,000 subscriptions by index', async () => {
    const store = await openSqliteStore({ path: ':memory:' })
    try {
      const all: StoredSubscription[] = []
      for (let i = 0; i < 100_000; i++) {
        const events =
          i % 1_000 === 0 ? [`e${i % 7}.*`] : i % 5_000 === 1 ? ['*'] : [`e${i % 7}.t${i % 13}`]
        const s = makeSubscription({
          tenant: i % 50 === 0 ? 'globex' : 'acme',
          events,
          url: `https://receiver.example/${i}`,
          state: i % 17 === 0 ? 'paused' : 'active',
        })
        all.push(s)
        await store.insertSubscription(s)
      }
      for (const type of ['e3.t5', 'e0.t0', 'e6.other', 'unmatched']) {
        const expected = all
          .filter((s) => s.tenant === 'acme' && s.state === 'active')
          .filter((s) => anyPatternMatches(s.events, type))
          .map((s) => s.id)
          .sort()
        const found = (await store.matchSubscriptions('acme', type)).map((s) => s.id).sort()
        assert.deepEqual(found, expected)
        assert.ok(found.length > 0)
      }
    } finally {
      await store.close()
    }
  })
})
