import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { after, describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { newId } from '../../src/core/ids.ts'
import { openSqliteStore } from '../../src/store/sqlite/open-store.ts'
import type { Store } from '../../src/store/store.ts'
import {
  attemptRecord,
  claimAll,
  insertAll,
  makeEvent,
  makeSubscription,
  publish,
  T0,
} from './conformance/builders.ts'

const dir = mkdtempSync(join(tmpdir(), 'hookrelay-leases-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const tempFile = (ext = 'db') => join(dir, `file-${++files}.${ext}`)
const open = (path: string) => openSqliteStore({ path, thread: false })
const ids = (claimed: { id: string }[]) => claimed.map((c) => c.id)

/** The delivery's row as stored, read beside the store. */
function storedRow(path: string, id: string): Record<string, unknown> {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    const row = db
      .prepare('SELECT status, next_attempt_at, lease_token FROM deliveries WHERE id = ?')
      .get(id)
    return { ...row }
  } finally {
    db.close()
  }
}

/** One subscription and `count` events, due at T0, T0 + 1, …; the delivery ids in due order. */
async function dueDeliveries(store: Store, count: number): Promise<string[]> {
  const [s] = await insertAll(store, makeSubscription())
  const out: string[] = []
  for (let i = 0; i < count; i++)
    out.push(...(await publish(store, makeEvent({ at: T0 + i }), [s!])))
  return out
}

describe('SQLite leases in memory', () => {
  it('claims without writing: the claimed row is as it was, and the record is its one write', async () => {
    const path = tempFile()
    const store = await open(path)
    try {
      const [id] = await dueDeliveries(store, 1)
      const [claimed] = await claimAll(store, T0 + 5)
      assert.equal(claimed?.id, id)
      assert.deepEqual(storedRow(path, id!), {
        status: 'pending',
        next_attempt_at: T0,
        lease_token: null,
      })
      assert.deepEqual(await claimAll(store, T0 + 5, 'again'), [])
      await store.recordAttempts([attemptRecord(claimed!)])
      assert.equal(storedRow(path, id!).status, 'succeeded')
    } finally {
      await store.close()
    }
  })

  it('claims a delivery that falls due behind where the last claim stopped', async () => {
    const store = await open(tempFile())
    try {
      const [s] = await insertAll(store, makeSubscription())
      const later: string[] = []
      for (const at of [T0 + 10, T0 + 20, T0 + 30]) {
        later.push(...(await publish(store, makeEvent({ at }), [s!])))
      }
      const claim = (limit: number, token: string) =>
        store.claimDueDeliveries({ now: T0 + 100, limit, leaseMs: 30_000, leaseToken: token })
      assert.deepEqual(ids(await claim(1, 'a')), [later[0]])
      // Published with a timestamp before the one just claimed.
      const [early] = await publish(store, makeEvent({ at: T0 }), [s!])
      assert.deepEqual(ids(await claim(1, 'b')), [later[1]])
      assert.deepEqual(ids(await claim(5, 'c')), [later[2]])
      // That claim ran out of due deliveries, so this one starts again from the earliest.
      assert.deepEqual(ids(await claim(5, 'd')), [early])
      assert.deepEqual(await claim(5, 'e'), [])
    } finally {
      await store.close()
    }
  })
})

describe('SQLite delivery lock', () => {
  it('lets one store deliver from a file; another takes over at once when it closes', async () => {
    const path = tempFile()
    const first = await open(path)
    const second = await open(path)
    try {
      const [a, b] = await dueDeliveries(first, 2)
      const options = { now: T0 + 5, leaseMs: 30_000 }
      assert.deepEqual(
        ids(await first.claimDueDeliveries({ ...options, limit: 1, leaseToken: 'one' })),
        [a],
      )
      assert.deepEqual(await claimAll(second, T0 + 5, 'two'), [])
      // Nothing is due for the standby before the holder's lock could run out.
      assert.ok((await second.nextDueAt())! >= T0 + 5 + 30_000)
      await first.close()
      // The first store's lease went with it: both are due at once.
      assert.deepEqual(ids(await claimAll(second, T0 + 6, 'two')), [a, b])
    } finally {
      await first.close()
      await second.close()
    }
  })

  it('takes over from a holder that stopped claiming once its lock runs out, and fences it off', async () => {
    const path = tempFile()
    const stalled = await open(path)
    const standby = await open(path)
    try {
      const [id] = await dueDeliveries(stalled, 1)
      const [old] = await claimAll(stalled, T0)
      // The holder keeps its lock half a lease longer than any lease it hands out.
      assert.deepEqual(await claimAll(standby, T0 + 44_999, 'standby'), [])
      const [fresh] = await claimAll(standby, T0 + 45_000, 'standby')
      assert.equal(fresh?.id, id)
      // The stalled store's attempt is logged but cannot move the delivery on.
      await stalled.recordAttempts([attemptRecord(old!, { statusCode: 500, status: 'failed' })])
      const untouched = await standby.getDelivery(id!)
      assert.equal(untouched?.status, 'pending')
      assert.equal(untouched?.attempts, 0)
      await standby.recordAttempts([attemptRecord(fresh!)])
      assert.equal((await standby.getDelivery(id!))?.status, 'succeeded')
      assert.equal((await standby.listAttempts({ deliveryId: id! })).length, 2)
    } finally {
      await stalled.close()
      await standby.close()
    }
  })

  it('takes over at once from a holder whose process was killed', async () => {
    const path = tempFile()
    const subscription = makeSubscription()
    const event = makeEvent({ at: T0 })
    const deliveryId = newId('delivery')
    const input = tempFile('json')
    writeFileSync(input, JSON.stringify({ subscription, event, deliveryId, now: T0 }))
    const storeModule = pathToFileURL(
      join(import.meta.dirname, '../../src/store/sqlite/open-store.ts'),
    )
    const script = tempFile('mjs')
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs'
import { openSqliteStore } from ${JSON.stringify(storeModule.href)}
const { subscription, event, deliveryId, now } = JSON.parse(readFileSync(process.argv[3], 'utf8'))
const store = await openSqliteStore({ path: process.argv[2] })
await store.insertSubscription(subscription)
await store.insertEvent(event, [{ id: deliveryId, subscriptionId: subscription.id }])
const claimed = await store.claimDueDeliveries({ now, limit: 10, leaseMs: 30_000, leaseToken: 'dies' })
process.stdout.write(claimed.map((c) => c.id).join(',') + '\\n')
process.kill(process.pid, 'SIGKILL')
`,
    )
    const child = spawnSync(process.execPath, ['--no-warnings', script, path, input], {
      encoding: 'utf8',
    })
    assert.equal(child.stdout, `${deliveryId}\n`, child.stderr)
    assert.equal(child.signal, 'SIGKILL')

    const store = await open(path)
    try {
      // Within the dead store's lease and lock, by the clock: its process is gone, so no wait.
      assert.deepEqual(ids(await claimAll(store, T0 + 1, 'after-kill')), [deliveryId])
    } finally {
      await store.close()
    }
  })
})
