import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import fc from 'fast-check'
import pg from 'pg'
import { ConflictError } from '../../src/core/errors.ts'
import { newId } from '../../src/core/ids.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { createHookrelay } from '../../src/index.ts'
import { connectionSettings } from '../../src/store/postgres/connection.ts'
import { applyMigrations, migrations } from '../../src/store/postgres/migrations.ts'
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts'
import { openPostgresStore } from '../../src/store/postgres/open-store.ts'
import { arrayLiteral } from '../../src/store/postgres/pg-text.ts'
import { matchingIdsQuery } from '../../src/store/postgres/subscriptions-sql.ts'
import { candidatePatterns } from '../../src/core/patterns.ts'
import { subscriptionColumns, subscriptionRecord } from '../../src/store/row-mapping.ts'
import { TestReceiver } from '../support/receiver.ts'
import {
  attemptRecord,
  claimAll,
  ids,
  insertAll,
  makeEvent,
  makeSubscription,
  publish,
  T0,
} from './conformance/builders.ts'
import { describeStore } from './store-conformance.ts'
import { testPostgresUrl } from '../support/postgres-url.ts'

const url = testPostgresUrl('PostgreSQL tests')
if (url !== null) postgresTests(url)

/** A callback, and the promise of its next call, rejected when none comes within `ms`. */
function wakeups(): { fn: () => void; next: (ms?: number) => Promise<void> } {
  let waiter: (() => void) | undefined
  return {
    fn: () => waiter?.(),
    next: (ms = 1_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`not woken within ${ms} ms`)), ms)
        waiter = () => {
          clearTimeout(timer)
          resolve()
        }
      }),
  }
}

/** Applies the migrations up to `version` and returns those it applied. */
function migrateTo(client: pg.Client, schema: string, version: number) {
  return applyMigrations(
    client,
    schema,
    migrations.filter((m) => m.version <= version),
  )
}

function postgresTests(url: string): void {
  const admin = new pg.Pool({ connectionString: url, max: 2 })
  after(() => admin.end())
  const freshSchema = () => `hr_t_${randomBytes(6).toString('hex')}`
  const dropSchema = (schema: string) => admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  const open = (schema: string, max = 4) =>
    openPostgresStore({ connectionString: url, schema, max })

  /** Opens `count` stores on one fresh schema; `done` closes them all and drops the schema. */
  async function shared(count: number, max = 4) {
    const schema = freshSchema()
    const stores: PostgresStore[] = []
    // Bound now: a caller may replace a store's `close` with `done` itself.
    const closes: (() => Promise<void>)[] = []
    const done = async () => {
      await Promise.all(closes.map((close) => close()))
      await dropSchema(schema)
    }
    try {
      for (let i = 0; i < count; i++) {
        const store = await open(schema, max)
        stores.push(store)
        closes.push(store.close.bind(store))
      }
    } catch (error) {
      await done()
      throw error
    }
    return { schema, stores, done }
  }

  describeStore('postgres', async () => {
    const { stores, done } = await shared(1)
    const store = stores[0]!
    store.close = done
    return store
  })

  describe('PostgreSQL store', () => {
    it('applies each migration once when 5 stores open one new schema at once', async () => {
      const schema = freshSchema()
      const opened = await Promise.allSettled(Array.from({ length: 5 }, () => open(schema, 2)))
      try {
        for (const result of opened) if (result.status === 'rejected') throw result.reason
        const { rows } = await admin.query(
          `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
        )
        assert.deepEqual(
          rows.map((r) => r.version),
          migrations.map((m) => m.version),
        )
      } finally {
        const stores = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
        await Promise.all(stores.map((s) => s.close()))
        await dropSchema(schema)
      }
    })

    it('applies only new migrations, each all or nothing', async () => {
      const schema = freshSchema()
      const client = new pg.Client(connectionSettings(url, schema).config)
      await client.connect()
      try {
        assert.deepEqual(
          await applyMigrations(client, schema),
          migrations.map((m) => m.version),
        )
        assert.deepEqual(await applyMigrations(client, schema), [])
        const broken = [
          ...migrations,
          { version: 1_000, sql: 'CREATE TABLE half (x INTEGER); SELECT nope FROM none' },
        ]
        await assert.rejects(applyMigrations(client, schema, broken))
        const half = await client.query(`SELECT to_regclass('half') AS t`)
        assert.equal(half.rows[0].t, null)
        const seen = await client.query('SELECT 1 FROM schema_migrations WHERE version = 1000')
        assert.equal(seen.rowCount, 0)
      } finally {
        await client.end()
        await dropSchema(schema)
      }
    })

    it('moves pending deliveries into the queue when migration 4 applies, leases included', async () => {
      const schema = freshSchema()
      const client = new pg.Client(connectionSettings(url, schema).config)
      await client.connect()
      try {
        await applyMigrations(
          client,
          schema,
          migrations.filter((m) => m.version < 4),
        )
        const insert = `INSERT INTO deliveries (id, event_id, subscription_id, tenant, event_type,
          status, attempts, next_attempt_at, lease_token, created_at, updated_at)
          VALUES ($1, 'evt_1', 'sub_1', 'acme', 'order.created', $2, 0, $3, $4, 0, 0)`
        await client.query(insert, ['dlv_due', 'pending', T0, null])
        await client.query(insert, ['dlv_leased', 'pending', T0 + 30_000, 'worker.1'])
        await client.query(insert, ['dlv_done', 'succeeded', null, null])
        assert.deepEqual(await migrateTo(client, schema, 4), [4])
        const { rows } = await client.query(
          'SELECT delivery_id, next_attempt_at, lease_token FROM delivery_queue ORDER BY delivery_id',
        )
        assert.deepEqual(
          rows.map((r) => [r.delivery_id, Number(r.next_attempt_at), r.lease_token]),
          [
            ['dlv_due', T0, null],
            ['dlv_leased', T0 + 30_000, 'worker.1'],
          ],
        )
      } finally {
        await client.end()
        await dropSchema(schema)
      }
    })

    it('gives every queue row its delivery’s subscription when migration 5 applies, and claims pass over them by it', async () => {
      const schema = freshSchema()
      const client = new pg.Client(connectionSettings(url, schema).config)
      await client.connect()
      let store: PostgresStore | undefined
      try {
        await applyMigrations(
          client,
          schema,
          migrations.filter((m) => m.version <= 4),
        )
        const [a, b] = [makeSubscription({ name: 'a' }), makeSubscription({ name: 'b' })]
        for (const s of [a, b]) {
          const record = subscriptionRecord(s)
          await client.query(
            `INSERT INTO subscriptions (${subscriptionColumns.join(', ')})
             VALUES (${subscriptionColumns.map((_, i) => `$${i + 1}`).join(', ')})`,
            subscriptionColumns.map((c) => record[c]),
          )
        }
        // The statements of schema version 4: a publish queues deliveries without their
        // subscription, and a claim leases queue rows.
        const publishV4 = `WITH event AS (
            INSERT INTO events (id, tenant, type, data, timestamp, idempotency_key, created_at)
            VALUES ($1, 'acme', 'order.created', '{}', $2, NULL, $2) RETURNING id
          ), written AS (
            INSERT INTO deliveries (id, event_id, subscription_id, tenant, event_type, status,
              attempts, next_attempt_at, created_at, updated_at)
            SELECT d.id, event.id, d.subscription_id, 'acme', 'order.created', 'pending', 0, $2,
              $2, $2
            FROM event CROSS JOIN unnest($3::text[], $4::text[]) AS d(id, subscription_id)
            RETURNING id
          )
          INSERT INTO delivery_queue (delivery_id, next_attempt_at) SELECT id, $2 FROM written`
        const leaseV4 = `UPDATE delivery_queue SET next_attempt_at = $1, lease_token = $2
          WHERE delivery_id = ANY($3::text[])`
        const due: Record<string, string> = {}
        for (let i = 0; i < 4; i++) {
          const [da, db] = [newId('delivery'), newId('delivery')]
          await client.query(publishV4, [newId('event'), T0 + i, [da, db], [a.id, b.id]])
          due[da] = a.id
          due[db] = b.id
        }
        const ofA = Object.keys(due).filter((id) => due[id] === a.id)
        const ofB = Object.keys(due).filter((id) => due[id] === b.id)
        // One of each leased until T0 + 30 s, and a delivery already done: no queue row.
        await client.query(leaseV4, [T0 + 30_000, 'worker.1', [ofA[3], ofB[3]]])
        await client.query(publishV4, [newId('event'), T0, ['dlv_done'], [a.id]])
        await client.query(`UPDATE deliveries SET status = 'succeeded' WHERE id = 'dlv_done'`)
        await client.query(`DELETE FROM delivery_queue WHERE delivery_id = 'dlv_done'`)
        // A queue row whose delivery is gone could never be sent: the migration drops it.
        await client.query(
          `INSERT INTO delivery_queue (delivery_id, next_attempt_at) VALUES ('dlv_gone', $1)`,
          [T0],
        )

        assert.deepEqual(await migrateTo(client, schema, 5), [5])
        const { rows } = await client.query(
          `SELECT delivery_id, subscription_id, next_attempt_at, lease_token FROM delivery_queue
           ORDER BY delivery_id`,
        )
        assert.deepEqual(
          rows.map((r) => [
            r.delivery_id,
            r.subscription_id,
            Number(r.next_attempt_at),
            r.lease_token,
          ]),
          Object.keys(due)
            .sort()
            .map((id) => {
              const leased = id === ofA[3] || id === ofB[3]
              const i = (due[id] === a.id ? ofA : ofB).indexOf(id)
              return [id, due[id], leased ? T0 + 30_000 : T0 + i, leased ? 'worker.1' : null]
            }),
        )
        const nullable = await client.query(
          `SELECT is_nullable FROM information_schema.columns
           WHERE table_schema = $1 AND table_name = 'delivery_queue'
             AND column_name = 'subscription_id'`,
          [schema],
        )
        assert.equal(nullable.rows[0].is_nullable, 'NO')

        store = await open(schema)
        const claim = (now: number, exclude: string[], leaseToken: string) =>
          store!.claimDueDeliveries({ now, limit: 10, leaseMs: 60_000, leaseToken, exclude })
        assert.deepEqual(ids(await claim(T0 + 10, [a.id], 'l1')), ofB.slice(0, 3).sort())
        assert.deepEqual(await claim(T0 + 10, [a.id, b.id], 'l2'), [])
        assert.deepEqual(ids(await claim(T0 + 10, [b.id], 'l3')), ofA.slice(0, 3).sort())
        // The leases taken before the migration run out, and hold until then.
        assert.deepEqual(await claim(T0 + 29_999, [], 'l4'), [])
        assert.deepEqual(ids(await claim(T0 + 30_000, [a.id], 'l5')), [ofB[3]!])
        assert.deepEqual(ids(await claim(T0 + 30_000, [b.id], 'l6')), [ofA[3]!])
      } finally {
        await store?.close()
        await client.end()
        await dropSchema(schema)
      }
    })

    it('reads an array literal of tokens, numbers and nulls as the array it was made from', async () => {
      const token = fc
        .stringMatching(/^[A-Za-z0-9_.:-]{1,12}$/)
        .filter((t) => t.toUpperCase() !== 'NULL')
      const plain = fc.oneof(
        token,
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.constant(null),
      )
      const asText = (v: string | number | null) => (typeof v === 'number' ? String(v) : v)
      await fc.assert(
        fc.asyncProperty(fc.array(plain, { maxLength: 8 }), async (values) => {
          const literal = arrayLiteral(values)
          assert.equal(typeof literal, 'string')
          const { rows } = await admin.query('SELECT $1::text[] AS a', [literal])
          assert.deepEqual(rows[0].a, values.map(asText))
        }),
        { numRuns: 200 },
      )
      // Anything else needs quoting: it goes back as the array, for pg to encode.
      const other = fc.oneof(
        fc.string().filter((s) => !/^[A-Za-z0-9_.:-]+$/.test(s)),
        fc.constantFrom('NULL', 'null', 'Null', 'nULl'),
        fc.constant(NaN),
        fc.constant(Infinity),
      )
      fc.assert(
        fc.property(fc.array(plain), other, fc.array(plain), (before, odd, after) => {
          const values = [...before, odd, ...after]
          assert.equal(arrayLiteral(values), values)
        }),
      )
    })

    it('records text PostgreSQL cannot hold with U+FFFD in its place, and headers as they were', async () => {
      const schema = freshSchema()
      const store = await open(schema)
      try {
        const [subscription] = await insertAll(store, makeSubscription())
        await publish(store, makeEvent(), [subscription!])
        const [claimed] = await claimAll(store, T0)
        const record = attemptRecord(claimed!, { statusCode: 502, status: 'failed' })
        record.attempt.error = 'bad \ud800 gateway'
        record.attempt.responseBody = 'a\u0000b "quoted" \\ back'
        record.attempt.requestHeaders = { 'x-odd': 'tab\there \u0000 "q" \ud83d\ude00' }
        record.attempt.responseHeaders = { 'x-null': 'a\u0000b', 'x-lone': '\udc00' }
        await store.recordAttempts([record])
        const [stored] = await store.listAttempts({ deliveryId: claimed!.id })
        assert.equal(stored!.error, 'bad \ufffd gateway')
        assert.equal(stored!.responseBody, 'a\ufffdb "quoted" \\ back')
        assert.deepEqual(stored!.requestHeaders, record.attempt.requestHeaders)
        assert.deepEqual(stored!.responseHeaders, record.attempt.responseHeaders)
        assert.equal((await store.getDelivery(claimed!.id))!.status, 'failed')
      } finally {
        await store.close()
        await dropSchema(schema)
      }
    })

    it('never hands one delivery to two stores claiming at once', async () => {
      const { stores, done } = await shared(2, 8)
      const [a, b] = stores as [PostgresStore, PostgresStore]
      try {
        const s = makeSubscription()
        await a.insertSubscription(s)
        const published: string[] = []
        for (let i = 0; i < 20; i++) {
          const batch = Array.from({ length: 20 }, (_, j) => makeEvent({ at: T0 + i * 20 + j }))
          const ids = await Promise.all(batch.map((e) => publish(i % 2 ? a : b, e, [s])))
          published.push(...ids.flat())
        }
        const claim = (store: PostgresStore, leaseToken: string) =>
          store.claimDueDeliveries({ now: T0 + 1_000, limit: 15, leaseMs: 30_000, leaseToken })
        const rounds = await Promise.all(
          Array.from({ length: 20 }, (_, i) => [claim(a, `a${i}`), claim(b, `b${i}`)]).flat(),
        )
        const claimed = rounds.flat()
        assert.equal(new Set(claimed.map((c) => c.id)).size, claimed.length, 'claimed twice')
        assert.ok(claimed.length > 0)
        const rest = await claimAll(a, T0 + 1_000, 'sweep')
        const all = [...claimed, ...rest].map((c) => c.id).sort()
        assert.deepEqual(all, [...published].sort())
        // Every one is leased until its lease's end, none before.
        assert.equal(await a.nextDueAt(), T0 + 31_000)
      } finally {
        await done()
      }
    })

    it('never hands one delivery to two stores claiming at once with the same exclusions, nor an excluded one', async () => {
      const { stores, done } = await shared(2, 8)
      const [a, b] = stores as [PostgresStore, PostgresStore]
      try {
        const [held, other, third] = await insertAll(
          a,
          makeSubscription({ name: 'held', url: 'https://held.example/hook' }),
          makeSubscription({ name: 'other', url: 'https://other.example/hook' }),
          makeSubscription({ name: 'third', url: 'https://third.example/hook' }),
        )
        // The held subscription's backlog is due first, then the others' deliveries, mixed with
        // more of the held one's.
        const heldIds: string[] = []
        for (let i = 0; i < 100; i++) {
          heldIds.push(...(await publish(i % 2 ? a : b, makeEvent({ at: T0 + i }), [held!])))
        }
        const published: string[] = []
        for (let i = 0; i < 20; i++) {
          const batch = Array.from({ length: 20 }, (_, j) =>
            makeEvent({ at: T0 + 100 + i * 20 + j }),
          )
          const written = await Promise.all(
            batch.map((e) => publish(i % 2 ? a : b, e, [held!, other!, third!])),
          )
          for (const [h, ...rest] of written) {
            heldIds.push(h!)
            published.push(...rest)
          }
        }
        const exclude = [held!.id]
        const claim = (store: PostgresStore, leaseToken: string) =>
          store.claimDueDeliveries({
            now: T0 + 1_000,
            limit: 15,
            leaseMs: 30_000,
            leaseToken,
            exclude,
          })
        const rounds = await Promise.all(
          Array.from({ length: 20 }, (_, i) => [claim(a, `a${i}`), claim(b, `b${i}`)]).flat(),
        )
        const claimed = rounds.flat()
        assert.equal(new Set(claimed.map((c) => c.id)).size, claimed.length, 'claimed twice')
        assert.ok(claimed.length > 0)
        assert.ok(
          claimed.every((c) => c.subscription.id !== held!.id),
          'an excluded subscription’s delivery was claimed',
        )
        const rest: string[] = []
        for (let i = 0; ; i++) {
          const got = await claim(a, `sweep${i}`)
          if (got.length === 0) break
          rest.push(...got.map((c) => c.id))
        }
        assert.deepEqual([...claimed.map((c) => c.id), ...rest].sort(), [...published].sort())
        // The held subscription's deliveries were passed over, not leased: all still due, the
        // first of them first.
        assert.equal(await a.nextDueAt(), T0)
        const theirs = await claimAll(b, T0 + 1_000, 'after')
        assert.deepEqual(ids(theirs), [...heldIds].sort())
      } finally {
        await done()
      }
    })

    it('lets exactly one of two duplicates written at once from two pools in', async () => {
      const { stores, done } = await shared(2)
      const [a, b] = stores as [PostgresStore, PostgresStore]
      try {
        for (let round = 0; round < 10; round++) {
          const url = `https://receiver.example/race/${round}`
          const first = makeSubscription({ url, events: ['order.*'] })
          const second = makeSubscription({ url, events: ['order.created'] })
          const results = await Promise.allSettled([
            a.insertSubscription(first),
            b.insertSubscription(second),
          ])
          const won = results.findIndex((r) => r.status === 'fulfilled')
          const lost = results.find((r) => r.status === 'rejected')
          assert.ok(won !== -1 && lost !== undefined, `round ${round}: ${results.length} in`)
          assert.ok(lost.reason instanceof ConflictError)
          assert.equal(lost.reason.code, 'duplicate_subscription')
          assert.equal(lost.reason.existingId, [first, second][won]!.id)
        }
        const page = await a.listSubscriptions({ tenant: 'acme', limit: 100 })
        assert.equal(page.data.length, 10)
      } finally {
        await done()
      }
    })

    it('publishes a key once when two pools publish it at once', async () => {
      const { stores, done } = await shared(2)
      const [a, b] = stores as [PostgresStore, PostgresStore]
      try {
        await a.insertSubscription(makeSubscription({ events: ['order.*'] }))
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? a : b).publishEvent(makeEvent({ idempotencyKey: 'pay-7' })),
          ),
        )
        assert.equal(results.filter((r) => r.inserted).length, 1)
        const first = results.find((r) => r.inserted)!.event
        for (const r of results) assert.deepEqual([r.event, r.deliveries], [first, 1])
        assert.equal((await a.listEvents({ tenant: 'acme', limit: 50 })).data.length, 1)
        assert.equal((await a.listDeliveries({ tenant: 'acme', limit: 50 })).data.length, 1)
      } finally {
        await done()
      }
    })

    it('notifies on commit exactly the writes that leave deliveries pending, naming the schema', async () => {
      const { schema, stores, done } = await shared(1)
      const store = stores[0]!
      const listener = new pg.Client({ connectionString: url })
      await listener.connect()
      const seen: string[] = []
      const sentinel = new Promise<void>((resolve) => {
        listener.on('notification', (m) => {
          if (m.channel === 'hr_test_done') resolve()
          // Other test files' schemas notify on the same channel; only this schema's count.
          else if (m.payload === schema) seen.push(m.channel)
        })
      })
      try {
        await listener.query('LISTEN hookrelay_deliveries')
        await listener.query('LISTEN hr_test_done')
        const s = makeSubscription({ events: ['order.*'] })
        await store.insertSubscription(s)
        await store.insertEvent(makeEvent(), []) // nothing pending: silent
        await store.publishEvent(makeEvent({ type: 'invoice.paid' })) // matches nothing: silent
        await store.publishEvent(makeEvent()) // 1
        const [first] = await claimAll(store, T0, 'l1')
        const failure = { statusCode: 500, status: 'retrying', nextAttemptAt: T0 + 5 } as const
        await store.recordAttempts([attemptRecord(first!, failure)]) // 2: stays pending
        const [again] = await claimAll(store, T0 + 5, 'l2')
        await store.releaseDeliveries([again!.id], 'not-the-lease', T0 + 6) // nothing released
        await store.releaseDeliveries([again!.id], 'l2', T0 + 6) // 3
        const [third] = await claimAll(store, T0 + 6, 'l3')
        await store.recordAttempts([attemptRecord(third!, { statusCode: 500, status: 'failed' })])
        await store.recoverDeliveries(s, { since: T0 }, T0 + 10) // 4
        const [fourth] = await claimAll(store, T0 + 10, 'l4')
        await store.recordAttempts([attemptRecord(fourth!, { statusCode: 500, status: 'failed' })])
        await store.retryDeliveries({ tenant: 'acme', limit: 10 }, T0 + 20) // 5
        await store.retryDeliveries({ tenant: 'acme', limit: 10 }, T0 + 20) // nothing failed: silent
        const [fifth] = await claimAll(store, T0 + 20, 'l5')
        await store.recordAttempts([attemptRecord(fifth!)]) // succeeded: silent
        await store.insertEvent(makeEvent(), [{ id: 'dlv_manual', subscriptionId: s.id }]) // 6
        // Notifications arrive in commit order, so this one comes after all of the above.
        await admin.query('NOTIFY hr_test_done')
        await sentinel
        assert.equal(seen.length, 6)
      } finally {
        await listener.end()
        await done()
      }
    })

    it('wakes only the listeners of the schema a publish wrote to', async () => {
      const here = await shared(1)
      const there = await shared(1)
      try {
        const [mine] = here.stores as [PostgresStore]
        const [theirs] = there.stores as [PostgresStore]
        await theirs.insertSubscription(makeSubscription({ events: ['order.*'] }))
        let woken = 0
        const woke = wakeups()
        const stop = await mine.listen(() => {
          woken++
          woke.fn()
        })
        try {
          const first = woke.next()
          await theirs.publishEvent(makeEvent())
          // A listener hears notifications in commit order: the publish to the other schema
          // comes before this one for its own.
          await admin.query(`SELECT pg_notify('hookrelay_deliveries', $1)`, [here.schema])
          await first
          // Heard unfiltered, the other schema's publish would have woken it first, and this
          // schema's notification, already on its way, a moment later.
          await assert.rejects(woke.next(200), /not woken/)
          assert.equal(woken, 1, 'woken by another schema’s publish')
        } finally {
          await stop()
        }
      } finally {
        await here.done()
        await there.done()
      }
    })

    it('wakes a listener within a second of a publish by another store', async () => {
      const { stores, done } = await shared(2)
      const [a, b] = stores as [PostgresStore, PostgresStore]
      try {
        await b.insertSubscription(makeSubscription({ events: ['order.*'] }))
        const woken = wakeups()
        const stop = await a.listen(woken.fn)
        const heard = woken.next(1_000)
        await b.publishEvent(makeEvent())
        await heard
        await stop()
        await stop()
      } finally {
        await done()
      }
    })

    it('listens again by itself after its connection is cut', async () => {
      const { stores, done } = await shared(2)
      const [a, b] = stores as [PostgresStore, PostgresStore]
      try {
        await b.insertSubscription(makeSubscription({ events: ['order.*'] }))
        const woken = wakeups()
        await a.listen(woken.fn)
        // Back, it wakes once for what it may have missed while away.
        const back = woken.next(5_000)
        const cut = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE application_name = 'hookrelay-listen'`,
        )
        assert.equal(cut.rowCount, 1)
        await back
        const heard = woken.next(1_000)
        await b.publishEvent(makeEvent())
        await heard
      } finally {
        await done() // closing the store stops its listener
      }
    })

    it('matches a publish by one probe per subscription, even on tables not yet analyzed', async () => {
      // A tenant that has just added its subscriptions: the planner has no statistics yet. The
      // rows every plan node handled, times its loops, must grow with the subscriptions, not
      // with their square (the plan it chose unguided read every pattern once per subscription).
      const { schema, stores, done } = await shared(1)
      const store = stores[0]!
      try {
        const count = 300
        const expected: string[] = []
        for (let i = 0; i < count; i++) {
          const events =
            i % 3 === 0 ? ['order.*', '*'] : i % 3 === 1 ? ['order.created'] : ['invoice.paid']
          const s = makeSubscription({ events, state: i % 10 === 0 ? 'paused' : 'active' })
          await store.insertSubscription(s)
          if (i % 3 !== 2 && i % 10 !== 0) expected.push(s.id)
        }
        const client = await admin.connect()
        try {
          await client.query(`SET search_path = ${schema}`)
          const match = matchingIdsQuery('')
          const values = ['acme', candidatePatterns('order.created')]
          const found = await client.query(match.text, values)
          assert.deepEqual(
            found.rows.map((r: { id: string }) => r.id),
            expected.sort(),
          )
          const plan = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${match.text}`, values)
          type Node = { 'Actual Rows': number; 'Actual Loops': number; Plans?: Node[] }
          const handled = (node: Node): number =>
            node['Actual Rows'] * node['Actual Loops'] +
            (node.Plans ?? []).reduce((sum, child) => sum + handled(child), 0)
          const top = (plan.rows[0] as { 'QUERY PLAN': { Plan: Node }[] })['QUERY PLAN'][0]!.Plan
          assert.ok(handled(top) <= 10 * count, `the plan handled ${handled(top)} rows`)
        } finally {
          client.release()
        }
      } finally {
        await done()
      }
    })

    it('refuses verbs after close, and closes twice without error', async () => {
      const { stores, done } = await shared(1)
      const store = stores[0]!
      await store.ping()
      await done()
      await store.close()
      await assert.rejects(store.ping(), { code: 'closed' })
      await assert.rejects(
        store.listen(() => {}),
        { code: 'closed' },
      )
    })

    it('refuses a schema name that is not a plain identifier', async () => {
      await assert.rejects(openPostgresStore({ connectionString: url, schema: 'a; DROP' }), {
        code: 'invalid_input',
      })
    })

    it('sizes its pool from the URL’s pool parameter, and refuses a bad one', async () => {
      const connections = async (pool: string | null) => {
        const schema = freshSchema()
        const name = `hr_pool_${schema}`
        const at = new URL(url)
        at.searchParams.set('schema', schema)
        at.searchParams.set('application_name', name)
        if (pool !== null) at.searchParams.set('pool', pool)
        const store = await openPostgresStore({ connectionString: at.toString() })
        try {
          // More verbs at once than either pool has connections: each waits for a free one.
          await Promise.all(
            Array.from({ length: 12 }, () => store.listEvents({ tenant: 'acme', limit: 1 })),
          )
          const open = await admin.query(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
            [name],
          )
          return open.rows[0].n as number
        } finally {
          await store.close()
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
        }
      }
      assert.ok((await connections('2')) <= 2)
      assert.ok((await connections(null)) > 2, 'the default pool is larger')
      for (const bad of ['0', 'many', '1.5']) {
        const at = new URL(url)
        at.searchParams.set('pool', bad)
        await assert.rejects(openPostgresStore({ connectionString: at.toString() }), {
          code: 'invalid_input',
          field: 'pool',
        })
      }
    })

    it('runs the engine end to end on a postgres:// database URL', async () => {
      const schema = freshSchema()
      const database = new URL(url)
      database.searchParams.set('schema', schema)
      const receiver = await TestReceiver.start()
      const hooks = await createHookrelay({
        database: database.toString(),
        allowPrivateNetworks: ['127.0.0.0/8'],
        jitter: 0,
        worker: false,
        logger: silentLogger,
      })
      try {
        await hooks.subscriptions.create({
          tenant: 'acme',
          name: 'Orders',
          events: ['order.*'],
          config: { url: `${receiver.url}/orders` },
        })
        const event = await hooks.publish({ tenant: 'acme', type: 'order.created', data: { n: 1 } })
        await hooks.drain()
        const [got] = receiver.at('/orders')
        assert.ok(got, 'the receiver got the delivery')
        assert.equal(got.headers['webhook-id'], event.id)
        assert.deepEqual(JSON.parse(got.body).data, { n: 1 })
        const detail = await hooks.events.get(event.id)
        assert.equal(detail.deliveries[0]?.status, 'succeeded')
        const tables = await admin.query(
          `SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'deliveries'`,
          [schema],
        )
        assert.equal(tables.rowCount, 1, 'the tables are in the schema the URL named')
      } finally {
        await hooks.close()
        await receiver.close()
        await dropSchema(schema)
      }
    })
  })
}
