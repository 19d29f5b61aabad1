import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { StoredSubscription } from '../../src/core/types.ts'
import { openConnection } from '../../src/store/sqlite/connection.ts'
import { applyMigrations } from '../../src/store/sqlite/migrations.ts'
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts'
import { openSqliteStore } from '../../src/store/sqlite/open-store.ts'
import type { ClaimedDelivery, Store } from '../../src/store/store.ts'
import {
  attemptRecord,
  insertAll,
  makeEvent,
  makeSubscription,
  publish,
  T0,
} from './conformance/builders.ts'
import { openStatusesSql } from '../../src/core/delivery-status.ts'

const dir = mkdtempSync(join(tmpdir(), 'hookrelay-claims-exclude-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const tempFile = () => join(dir, `file-${++files}.db`)
const order = (claimed: readonly { id: string }[]) => claimed.map((c) => c.id)

/**
 * A store on `path` that counts the pending deliveries SQLite visits for it: every statement that
 * reads the pending index calls `visit` for each row, before any other condition (a subscription
 * filtered out in SQL included), so the count is the rows read, whatever reads them.
 */
function countingStore(path: string): { store: SqliteStore; visits: () => number } {
  const conn = openConnection(path, 'NORMAL')
  applyMigrations(conn.db)
  let visits = 0
  conn.db.function('visit', (_rowid: unknown) => {
    visits++
    return 1
  })
  const prepare = conn.db.prepare.bind(conn.db)
  conn.db.prepare = (sql: string) =>
    prepare(
      sql.replaceAll(
        `FROM deliveries WHERE status IN ${openStatusesSql}`,
        `FROM deliveries WHERE visit(rowid) AND status IN ${openStatusesSql}`,
      ),
    )
  return { store: new SqliteStore(conn), visits: () => visits }
}

/** Publishes `count` events for `subscription`, due at `at(i)`, in one transaction. */
async function backlog(
  store: SqliteStore,
  subscription: StoredSubscription,
  count: number,
  at: (i: number) => number,
): Promise<string[]> {
  const published: Promise<string[]>[] = []
  store.transaction(() => {
    for (let i = 0; i < count; i++)
      published.push(publish(store, makeEvent({ at: at(i) }), [subscription]))
  })
  return (await Promise.all(published)).flat()
}

const lease = { leaseMs: 30_000, leaseToken: 'lease-x' }

/** Records a success for every claimed delivery: out of the pending index, as a worker does. */
async function succeed(store: Store, claimed: ClaimedDelivery[]): Promise<void> {
  if (claimed.length > 0) await store.recordAttempts(claimed.map((c) => attemptRecord(c)))
}

describe('SQLite claims that exclude subscriptions', () => {
  it('read an excluded backlog once, not at every claim that runs out', async () => {
    const { store, visits } = countingStore(tempFile())
    try {
      const [a, b] = await insertAll(store, makeSubscription(), makeSubscription())
      // A receiver that never answers: its deliveries are the earliest due, and stay due.
      await backlog(store, a!, 5_000, (i) => T0 + i)
      const [first] = await publish(store, makeEvent({ at: T0 + 9_000 }), [b!])
      const exclude = [a!.id]
      let now = T0 + 10_000
      const claimed = await store.claimDueDeliveries({ ...lease, now, limit: 10, exclude })
      assert.deepEqual(order(claimed), [first])
      await succeed(store, claimed)
      // The first claim reads past the whole backlog (which shows the count sees rows SQL
      // filters out).
      const once = visits()
      assert.ok(once >= 5_000, `the first claim visited ${once} rows`)
      for (let i = 0; i < 200; i++) {
        now += 5
        const [id] = await publish(store, makeEvent({ at: now }), [b!])
        const found = await store.claimDueDeliveries({ ...lease, now: now + 1, limit: 10, exclude })
        assert.deepEqual(order(found), [id], `claim ${i}`)
        await succeed(store, found)
      }
      // Reading the backlog again at each of the 200 claims would be a million rows.
      const later = visits() - once
      assert.ok(later < 2_000, `the 200 claims after it visited ${later} rows`)
    } finally {
      await store.close()
    }
  })

  it('hands out every passed-over delivery once, in due order, as the exclusion comes and goes', async () => {
    const { store, visits } = countingStore(tempFile())
    try {
      const [a, b] = await insertAll(store, makeSubscription(), makeSubscription())
      const expected = await backlog(store, a!, 2_000, (i) => T0 + i)
      await backlog(store, b!, 100, (i) => T0 + 10 * i + 5)
      let now = T0 + 3_000
      const theirs: string[] = []
      const seen = new Set<string>()
      // A seeded sequence, so a failure repeats.
      let seed = 7
      const random = (n: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
        return seed % n
      }
      const claim = async (exclude: string[] | undefined, limit: number) => {
        const found = await store.claimDueDeliveries({ ...lease, now, limit, exclude })
        for (const c of found) {
          assert.ok(!seen.has(c.id), `${c.id} handed out twice`)
          seen.add(c.id)
          if (c.subscription.id === a!.id) theirs.push(c.id)
        }
        await succeed(store, found)
        return found
      }
      for (let i = 0; i < 300; i++) {
        now += 3
        if (random(3) === 0) expected.push(...(await publish(store, makeEvent({ at: now }), [a!])))
        if (random(2) === 0) await publish(store, makeEvent({ at: now }), [b!])
        const excluded = random(3) !== 0
        const found = await claim(excluded ? [a!.id] : undefined, 1 + random(40))
        if (excluded) assert.ok(found.every((c) => c.subscription.id !== a!.id))
      }
      // Everything left, with nothing excluded.
      const before = visits()
      while ((await claim(undefined, 100)).length > 0) now += 1
      assert.deepEqual(theirs, expected)
      // The rest of the backlog was read about once, not once per claim.
      const rest = visits() - before
      assert.ok(rest < 3 * expected.length, `draining visited ${rest} rows`)
    } finally {
      await store.close()
    }
  })

  it('finds a delivery another process commits due a little before the last claim', async () => {
    const path = tempFile()
    const store = await openSqliteStore({ path, thread: false })
    // Another process on the same file, such as an API beside the worker: it never claims.
    const api = await openSqliteStore({ path, thread: false })
    try {
      const [a, b] = await insertAll(store, makeSubscription(), makeSubscription())
      await publish(store, makeEvent({ at: T0 }), [a!])
      let now = T0 + 10_000
      for (const exclude of [[a!.id], undefined]) {
        // Runs out of due deliveries (not excluded, the backlog's one goes too).
        await succeed(store, await store.claimDueDeliveries({ ...lease, now, limit: 10, exclude }))
        // Committed after that claim, stamped by a clock half a second behind its `now`.
        const [late] = await publish(api, makeEvent({ at: now - 500 }), [b!])
        const found = await store.claimDueDeliveries({ ...lease, now: now + 1, limit: 10, exclude })
        assert.deepEqual(order(found), [late], `exclude: ${String(exclude)}`)
        await succeed(store, found)
        now += 5_000
      }
    } finally {
      await api.close()
      await store.close()
    }
  })

  it('finds at once a delivery this store writes due long before the last claim', async () => {
    const store = await openSqliteStore({ path: tempFile(), thread: false })
    try {
      const [a, b] = await insertAll(store, makeSubscription(), makeSubscription())
      await backlog(store as SqliteStore, a!, 100, (i) => T0 + i)
      const now = T0 + 60_000
      const exclude = [a!.id]
      assert.deepEqual(await store.claimDueDeliveries({ ...lease, now, limit: 10, exclude }), [])
      const [old] = await publish(store, makeEvent({ at: T0 + 5_000 }), [b!])
      const found = await store.claimDueDeliveries({ ...lease, now: now + 1, limit: 10, exclude })
      assert.deepEqual(order(found), [old])
    } finally {
      await store.close()
    }
  })

  it('claims again a delivery whose lease ran out with neither record nor release', async () => {
    const { store, visits } = countingStore(tempFile())
    try {
      const [a, b] = await insertAll(store, makeSubscription(), makeSubscription())
      await backlog(store, a!, 1_000, (i) => T0 + i)
      const exclude = [a!.id]
      const short = { leaseMs: 5_000, leaseToken: 'short' }
      let now = T0 + 10_000
      const [lost] = await publish(store, makeEvent({ at: now }), [b!])
      const claimed = await store.claimDueDeliveries({ ...short, now, limit: 10, exclude })
      assert.deepEqual(order(claimed), [lost])
      // Its worker never records nor releases it; claims go on past it.
      for (let i = 0; i < 20; i++) {
        now += 200
        const [id] = await publish(store, makeEvent({ at: now }), [b!])
        const found = await store.claimDueDeliveries({ ...short, now, limit: 10, exclude })
        assert.deepEqual(order(found), [id])
        await succeed(store, found)
      }
      const before = visits()
      assert.deepEqual(
        await store.claimDueDeliveries({ ...short, now: T0 + 14_999, limit: 10, exclude }),
        [],
      )
      // Far less than the full read every 30 s that would find it too: the lease's end.
      const found = await store.claimDueDeliveries({
        ...short,
        now: T0 + 15_000,
        limit: 10,
        exclude,
      })
      assert.deepEqual(order(found), [lost])
      assert.ok(visits() - before >= 1_000, 'the claim after the lease ran out read from the start')
    } finally {
      await store.close()
    }
  })
})
