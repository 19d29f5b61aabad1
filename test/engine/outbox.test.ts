import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import pg from 'pg'
import { silentLogger } from '../../src/core/logger.ts'
import {
  createHookrelay,
  type Hookrelay,
  NotFoundError,
  type QueryClient,
  ValidationError,
} from '../../src/index.ts'
import { TestReceiver } from '../support/receiver.ts'
import { testPostgresUrl } from '../support/postgres-url.ts'

const url = testPostgresUrl('PostgreSQL outbox tests')
if (url !== null) outboxTests(url)

const common = { allowPrivateNetworks: ['127.0.0.0/8'], logger: silentLogger }
const order = (id: number, idempotencyKey?: string) => ({
  tenant: 'acme',
  type: 'order.created',
  data: { id },
  ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
})

function outboxTests(url: string): void {
  // The application's own pool: its connections keep the default search_path, not Hookrelay's
  // schema, so the publish must name its tables itself.
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  pool.on('error', () => {})
  after(() => pool.end())

  let receiver: TestReceiver
  before(async () => {
    receiver = await TestReceiver.start()
  })
  after(() => receiver.close())

  // A fresh schema per test: the publishing engine (no worker of its own), the application's
  // `orders` table beside Hookrelay's, and engines the test opens, closed before the drop.
  let schema: string
  let database: string
  let hooks: Hookrelay
  let engines: Hookrelay[]
  beforeEach(async () => {
    schema = `hr_t_${randomBytes(6).toString('hex')}`
    const address = new URL(url)
    address.searchParams.set('schema', schema)
    database = address.toString()
    receiver.received.length = 0
    hooks = await createHookrelay({ ...common, database, worker: false })
    engines = [hooks]
    await pool.query(`CREATE TABLE ${schema}.orders (id INTEGER PRIMARY KEY)`)
    await hooks.subscriptions.create({
      tenant: 'acme',
      name: 'Orders',
      events: ['order.*'],
      config: { url: `${receiver.url}/orders` },
    })
  })
  afterEach(async () => {
    for (const engine of engines) await engine.close()
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  })

  /** Runs `fn` on a pooled client inside BEGIN, then COMMIT or ROLLBACK as `end` says. */
  async function inTransaction<T>(
    end: 'COMMIT' | 'ROLLBACK',
    fn: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T> {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const result = await fn(client)
      await client.query(end)
      return result
    } catch (error) {
      await client.query('ROLLBACK')
      throw error
    } finally {
      client.release()
    }
  }

  const orderCount = async (id: number) =>
    (await pool.query(`SELECT 1 FROM ${schema}.orders WHERE id = $1`, [id])).rowCount

  describe('publish({ transaction }) on PostgreSQL: the transactional outbox', () => {
    it('leaves no event, no delivery and no request when the transaction rolls back', async () => {
      const heard: string[] = []
      hooks.on('order.*', (event) => {
        heard.push(event.id)
      })
      const published = await inTransaction('ROLLBACK', async (client) => {
        await client.query(`INSERT INTO ${schema}.orders (id) VALUES ($1)`, [42])
        return hooks.publish(order(42), { transaction: client })
      })
      assert.equal(published.deliveries, 1)
      await assert.rejects(hooks.events.get(published.id), NotFoundError)
      const deliveries = await hooks.store.listDeliveries({ tenant: 'acme', limit: 10 })
      assert.deepEqual(deliveries.data, [])
      await hooks.drain()
      assert.equal(receiver.received.length, 0)
      assert.deepEqual(heard, [], 'no in-process listener hears an uncommitted publish')
      assert.equal(await orderCount(42), 0)
    })

    it('delivers at commit, woken by its NOTIFY, with the business row in place', async () => {
      // A poll a minute apart: only a notification can make it deliver within seconds.
      const worker = await createHookrelay({ ...common, database, pollIntervalMs: 60_000 })
      engines.push(worker)
      // One ordinary publish first, so the worker is idle and listening before the commit.
      await hooks.publish(order(1))
      await receiver.waitWithin(1, 10_000)

      const published = await inTransaction('COMMIT', async (client) => {
        await client.query(`INSERT INTO ${schema}.orders (id) VALUES ($1)`, [42])
        const event = await hooks.publish(order(42), { transaction: client })
        // Not visible outside the transaction until it commits.
        await assert.rejects(hooks.events.get(event.id), NotFoundError)
        return event
      })
      await receiver.waitWithin(2, 5_000)
      const sent = receiver.at('/orders')
      assert.equal(sent[1]?.headers['webhook-id'], published.id)
      assert.deepEqual(JSON.parse(sent[1]?.body ?? '{}').data, { id: 42 })
      assert.equal(sent.length, 2, 'each event was sent once')
      assert.equal(await orderCount(42), 1)
      const stored = await hooks.events.get(published.id)
      assert.equal(stored.type, 'order.created')
    })

    it('takes the transaction for entity changes too: rolled back, nothing; committed, sent', async () => {
      const change = (id: number) => ({ tenant: 'acme', entity: 'order', id, action: 'created' })
      const undone = await inTransaction('ROLLBACK', (client) =>
        hooks.entityChanged(change(3), { transaction: client }),
      )
      await assert.rejects(hooks.events.get(undone.id), NotFoundError)
      const done = await inTransaction('COMMIT', (client) =>
        hooks.entityChanged(change(4), { transaction: client }),
      )
      await hooks.drain()
      const sent = receiver.at('/orders')
      assert.deepEqual(
        sent.map((r) => r.headers['webhook-id']),
        [done.id],
      )
      assert.equal(JSON.parse(sent[0]?.body ?? '{}').data.id, 4)
    })

    it('returns the deliveries count before the commit', async () => {
      await hooks.subscriptions.create({
        tenant: 'acme',
        name: 'Everything',
        events: ['*'],
        config: { url: `${receiver.url}/all` },
      })
      await hooks.subscriptions.create({
        tenant: 'acme',
        name: 'Invoices',
        events: ['invoice.*'],
        config: { url: `${receiver.url}/invoices` },
      })
      const published = await inTransaction('COMMIT', async (client) => {
        const event = await hooks.publish(order(7), { transaction: client })
        assert.equal(event.deliveries, 2)
        const inside = await client.query(
          `SELECT count(*)::int AS n FROM ${schema}.deliveries WHERE event_id = $1`,
          [event.id],
        )
        assert.equal(inside.rows[0].n, 2)
        return event
      })
      const stored = await hooks.events.get(published.id)
      assert.equal(stored.deliveries.length, 2)
      assert.deepEqual(
        stored.deliveries.map((d) => d.status),
        ['pending', 'pending'],
      )
    })

    it('treats an idempotency key reused inside the transaction as without one', async () => {
      const [first, again] = await inTransaction('COMMIT', async (client) => {
        const a = await hooks.publish(order(5, 'pay-5'), { transaction: client })
        const b = await hooks.publish(order(6, 'pay-5'), { transaction: client })
        return [a, b]
      })
      assert.equal(again.id, first.id)
      assert.deepEqual(again.data, { id: 5 }, 'the first event is returned')
      assert.equal(again.deliveries, first.deliveries)
      assert.equal(first.deliveries, 1)
      const outside = await hooks.publish(order(7, 'pay-5'))
      assert.equal(outside.id, first.id)
      const events = await hooks.events.list({ tenant: 'acme' })
      assert.deepEqual(
        events.data.map((e) => e.id),
        [first.id],
      )
      const deliveries = await hooks.store.listDeliveries({ tenant: 'acme', limit: 10 })
      assert.equal(deliveries.data.length, 1)

      // A key whose publish rolled back was never used.
      const lost = await inTransaction('ROLLBACK', (client) =>
        hooks.publish(order(8, 'pay-8'), { transaction: client }),
      )
      const kept = await hooks.publish(order(9, 'pay-8'))
      assert.notEqual(kept.id, lost.id)
      assert.deepEqual(kept.data, { id: 9 })
    })
  })
}

describe('publish({ transaction }) on SQLite', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookrelay-outbox-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  for (const kind of [':memory:', 'a file'] as const) {
    it(`refuses it with a ValidationError and writes nothing (${kind})`, async () => {
      const database = kind === ':memory:' ? kind : join(dir, 'hooks.db')
      const hooks = await createHookrelay({ ...common, database, worker: false })
      try {
        await hooks.subscriptions.create({
          tenant: 'acme',
          name: 'Orders',
          events: ['order.*'],
          config: { url: 'http://127.0.0.1:9/orders' },
        })
        const calls: string[] = []
        const client: QueryClient = {
          query: async (text) => {
            calls.push(text)
            return { rows: [] }
          },
        }
        await assert.rejects(hooks.publish(order(1), { transaction: client }), (error) => {
          assert.ok(error instanceof ValidationError)
          assert.equal(error.field, 'transaction')
          assert.equal(error.code, 'invalid_input')
          return true
        })
        assert.deepEqual(calls, [])
        assert.deepEqual((await hooks.events.list({ tenant: 'acme' })).data, [])
        const deliveries = await hooks.store.listDeliveries({ tenant: 'acme', limit: 10 })
        assert.deepEqual(deliveries.data, [])
      } finally {
        await hooks.close()
      }
    })
  }
})
