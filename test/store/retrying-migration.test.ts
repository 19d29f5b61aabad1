import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { after, describe, it } from 'node:test'
import pg from 'pg'
import type { DeliveryStatus } from '../../src/core/types.ts'
import { connectionSettings } from '../../src/store/postgres/connection.ts'
import * as postgres from '../../src/store/postgres/migrations.ts'
import { openPostgresStore } from '../../src/store/postgres/open-store.ts'
import { subscriptionColumns, subscriptionRecord } from '../../src/store/row-mapping.ts'
import * as sqlite from '../../src/store/sqlite/migrations.ts'
import { openSqliteStore } from '../../src/store/sqlite/open-store.ts'
import type { Store } from '../../src/store/store.ts'
import { testPostgresUrl } from '../support/postgres-url.ts'
import { attemptRecord, claimAll, makeEvent, makeSubscription, T0 } from './conformance/builders.ts'

// A database written by the schema before `retrying` existed: a delivery that failed and waits
// for its next attempt was `pending` with attempts > 0. The migration makes it `retrying`, and
// the store then finds, filters, claims and finishes it as one.

/** One delivery of the old schema: its status, attempts made and next attempt. */
interface OldDelivery {
  id: string
  status: 'pending' | 'succeeded' | 'failed'
  attempts: number
  next: number | null
}

const subscription = makeSubscription()
const events = [0, 1, 2, 3].map((i) => makeEvent({ at: T0 + i }))
const old: OldDelivery[] = [
  { id: 'dlv_new', status: 'pending', attempts: 0, next: T0 },
  { id: 'dlv_failing', status: 'pending', attempts: 2, next: T0 + 5_000 },
  { id: 'dlv_failed', status: 'failed', attempts: 9, next: null },
  { id: 'dlv_done', status: 'succeeded', attempts: 1, next: null },
]
const expected: Record<string, DeliveryStatus> = {
  dlv_new: 'pending',
  dlv_failing: 'retrying',
  dlv_failed: 'failed',
  dlv_done: 'succeeded',
}

/** What both stores must do with the migrated rows. */
async function checkMigrated(store: Store): Promise<void> {
  for (const d of old) assert.equal((await store.getDelivery(d.id))?.status, expected[d.id], d.id)
  const list = async (status: DeliveryStatus) =>
    (await store.listEvents({ tenant: 'acme', status, limit: 10 })).data.map((e) => e.id)
  // "Has failed" finds the event whose delivery waits for a retry, newest first.
  assert.deepEqual(await list('failed'), [events[2]!.id, events[1]!.id])
  assert.deepEqual(await list('retrying'), [events[1]!.id])
  assert.deepEqual(await list('pending'), [events[0]!.id])
  assert.deepEqual(await store.countDeliveries([events[1]!.id]), {
    [events[1]!.id]: { pending: 0, retrying: 1, succeeded: 0, failed: 0, cancelled: 0 },
  })
  assert.deepEqual((await store.backlogStats(T0 + 5_000)).pending, 2)
  // Still due: claimed at its time with the status it had, and finished by a success.
  const claimed = await claimAll(store, T0 + 5_000)
  assert.deepEqual(claimed.map((c) => [c.id, c.status]).sort(), [
    ['dlv_failing', 'retrying'],
    ['dlv_new', 'pending'],
  ])
  await store.recordAttempts(claimed.map((c) => attemptRecord(c, { statusCode: 200 })))
  assert.equal((await store.getDelivery('dlv_failing'))?.status, 'succeeded')
  assert.equal((await store.getDelivery('dlv_failing'))?.attempts, 3)
  assert.equal(await store.nextDueAt(), null)
}

const dir = mkdtempSync(join(tmpdir(), 'hookrelay-retrying-'))
after(() => rmSync(dir, { recursive: true, force: true }))

describe('the retrying status on a database of the previous schema', () => {
  it('SQLite: migration 6 makes waiting failures retrying, and they are still due', async () => {
    const path = join(dir, 'old.db')
    const db = new DatabaseSync(path)
    try {
      sqlite.applyMigrations(
        db,
        sqlite.migrations.filter((m) => m.version < 6),
      )
      const record = subscriptionRecord(subscription)
      db.prepare(
        `INSERT INTO subscriptions (${subscriptionColumns.join(', ')})
         VALUES (${subscriptionColumns.map(() => '?').join(', ')})`,
      ).run(...subscriptionColumns.map((c) => record[c]))
      for (const [i, e] of events.entries()) {
        db.prepare(
          `INSERT INTO events (id, tenant, type, data, timestamp, idempotency_key, created_at)
           VALUES (?, 'acme', ?, '{}', ?, NULL, ?)`,
        ).run(e.id, e.type, T0 + i, T0 + i)
        const d = old[i]!
        db.prepare(
          `INSERT INTO deliveries (id, event_id, subscription_id, tenant, event_type, status,
             attempts, next_attempt_at, created_at, updated_at)
           VALUES (?, ?, ?, 'acme', ?, ?, ?, ?, ?, ?)`,
        ).run(d.id, e.id, subscription.id, e.type, d.status, d.attempts, d.next, T0, T0)
      }
    } finally {
      db.close()
    }
    const store = await openSqliteStore({ path, thread: false })
    try {
      await checkMigrated(store)
    } finally {
      await store.close()
    }
    // The due deliveries are still read through the index of due deliveries, not the table.
    const reopened = new DatabaseSync(path)
    try {
      const plan = reopened
        .prepare(
          `EXPLAIN QUERY PLAN SELECT id FROM deliveries WHERE status IN ('pending', 'retrying')
           AND next_attempt_at <= ? ORDER BY next_attempt_at, rowid LIMIT 10`,
        )
        .all(T0)
        .map((row) => row.detail)
      assert.match(String(plan), /USING INDEX deliveries_due/)
    } finally {
      reopened.close()
    }
  })

  const url = testPostgresUrl('PostgreSQL migration tests')
  if (url === null) return
  it('PostgreSQL: migration 7 makes waiting failures retrying, and they are still due', async () => {
    const schema = `hr_t_${randomBytes(6).toString('hex')}`
    const client = new pg.Client(connectionSettings(url, schema).config)
    await client.connect()
    try {
      await postgres.applyMigrations(
        client,
        schema,
        postgres.migrations.filter((m) => m.version < 7),
      )
      const record = subscriptionRecord(subscription)
      await client.query(
        `INSERT INTO subscriptions (${subscriptionColumns.join(', ')})
         VALUES (${subscriptionColumns.map((_, i) => `$${i + 1}`).join(', ')})`,
        subscriptionColumns.map((c) => record[c]),
      )
      for (const [i, e] of events.entries()) {
        await client.query(
          `INSERT INTO events (id, tenant, type, data, timestamp, idempotency_key, created_at)
           VALUES ($1, 'acme', $2, '{}', $3, NULL, $3)`,
          [e.id, e.type, T0 + i],
        )
        const d = old[i]!
        await client.query(
          `INSERT INTO deliveries (id, event_id, subscription_id, tenant, event_type, status,
             attempts, next_attempt_at, created_at, updated_at)
           VALUES ($1, $2, $3, 'acme', $4, $5, $6, $7, $8, $8)`,
          [d.id, e.id, subscription.id, e.type, d.status, d.attempts, d.next, T0],
        )
        // Schema 4 on: a delivery not over has its row in the queue.
        if (d.status === 'pending') {
          await client.query(
            `INSERT INTO delivery_queue (delivery_id, next_attempt_at, subscription_id)
             VALUES ($1, $2, $3)`,
            [d.id, d.next, subscription.id],
          )
        }
      }
      const store = await openPostgresStore({ connectionString: url, schema, max: 2 })
      try {
        await checkMigrated(store)
      } finally {
        await store.close()
      }
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await client.end()
    }
  })
})
