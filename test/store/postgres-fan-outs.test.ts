import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import pg from 'pg'
import { silentLogger } from '../../src/core/logger.ts'
import { createHookrelay } from '../../src/index.ts'
import type { PostgresStore } from '../../src/store/postgres/postgres-store.ts'
import { openPostgresStore } from '../../src/store/postgres/open-store.ts'
import type { ClaimedDelivery } from '../../src/store/store.ts'
import { makeEvent, makeSubscription, T0 } from './conformance/builders.ts'
import { testPostgresUrl } from '../support/postgres-url.ts'
import { TestReceiver } from '../support/receiver.ts'
import { subscribeReceivers } from '../support/engine.ts'

const url = testPostgresUrl('PostgreSQL fan-out tests')
if (url !== null) fanOutTests(url)

function fanOutTests(url: string): void {
  const admin = new pg.Pool({ connectionString: url, max: 2 })
  const schemas: string[] = []
  after(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await admin.end()
  })
  const freshSchema = () => {
    const schema = `hr_f_${randomBytes(6).toString('hex')}`
    schemas.push(schema)
    return schema
  }
  const open = (schema: string) => openPostgresStore({ connectionString: url, schema, max: 4 })

  async function subscribed(count: number) {
    const schema = freshSchema()
    const store = await open(schema)
    const subscriptions = Array.from({ length: count }, (_, i) =>
      makeSubscription({ url: `https://example.com/${i}` }),
    )
    for (const s of subscriptions) await store.insertSubscription(s)
    return { schema, store, subscriptions }
  }

  /** Rows of `table` in `schema`, read beside the store (which writes the queue before it reads). */
  const countRows = async (schema: string, table: string) =>
    Number((await admin.query(`SELECT count(*) AS n FROM ${schema}.${table}`)).rows[0].n)

  describe('PostgreSQL publishes to many subscriptions', () => {
    it('queue the deliveries past 100, and the calls after them see every one', async () => {
      const { schema, store } = await subscribed(250)
      try {
        const event = makeEvent({ at: T0 })
        assert.equal((await store.publishEvent(event)).deliveries, 250)
        assert.equal(await countRows(schema, 'fan_out_queue'), 3, 'three slices')
        assert.equal(await countRows(schema, 'deliveries'), 0, 'none written by the publish')
        assert.equal(await store.nextDueAt(), T0, 'due as if written')

        const counts = await store.countDeliveries([event.id])
        assert.equal(counts[event.id]!.pending, 250)
        assert.equal(await countRows(schema, 'fan_out_queue'), 0)
        assert.equal(await countRows(schema, 'delivery_queue'), 250)

        // 100 or fewer are written by the publish itself.
        const few = makeEvent({ at: T0 })
        await store.publishEvent(few)
        assert.equal(await countRows(schema, 'deliveries'), 250)
      } finally {
        await store.close()
      }
    })

    it('count queued deliveries when the idempotency key repeats', async () => {
      const { store } = await subscribed(250)
      try {
        const first = await store.publishEvent(makeEvent({ idempotencyKey: 'k1' }))
        const again = await store.publishEvent(makeEvent({ idempotencyKey: 'k1' }))
        assert.equal(again.inserted, false)
        assert.equal(again.event.id, first.event.id)
        assert.equal(again.deliveries, 250)
      } finally {
        await store.close()
      }
    })

    it('cancel the delivery of a subscription paused right after the publish', async () => {
      const { store, subscriptions } = await subscribed(300)
      try {
        const event = makeEvent()
        await store.publishEvent(event)
        const paused = { ...subscriptions[7]!, state: 'paused' as const }
        assert.equal(await store.updateSubscription(paused), true)
        const page = await store.listDeliveries({ eventId: event.id, limit: 1000 })
        assert.equal(page.data.length, 300)
        const bySubscription = new Map(page.data.map((d) => [d.subscriptionId, d.status]))
        assert.equal(bySubscription.get(paused.id), 'cancelled')
        assert.equal([...bySubscription.values()].filter((s) => s === 'pending').length, 299)
      } finally {
        await store.close()
      }
    })

    it('are written once by workers claiming at the same time', async () => {
      const { schema, store, subscriptions } = await subscribed(1000)
      const others = [await open(schema), await open(schema)]
      try {
        const event = makeEvent({ at: T0 })
        await store.publishEvent(event)
        const claimed: ClaimedDelivery[] = []
        // Three stores claim 150 at a time until none is left: each writes the slices the others
        // are not writing.
        await Promise.all(
          [store, ...others].map(async (claimer: PostgresStore, n) => {
            for (;;) {
              const batch = await claimer.claimDueDeliveries({
                now: T0 + 1,
                limit: 150,
                leaseMs: 60_000,
                leaseToken: `lease-${n}`,
              })
              if (batch.length === 0 && (await countRows(schema, 'fan_out_queue')) === 0) {
                const rest = await claimer.claimDueDeliveries({
                  now: T0 + 1,
                  limit: 1000,
                  leaseMs: 60_000,
                  leaseToken: `lease-${n}`,
                })
                claimed.push(...rest)
                if (rest.length === 0) return
              }
              claimed.push(...batch)
            }
          }),
        )
        assert.equal(claimed.length, 1000)
        assert.deepEqual(
          claimed.map((c) => c.subscription.id).sort(),
          subscriptions.map((s) => s.id).sort(),
          'one delivery to each subscription, claimed once',
        )
      } finally {
        await Promise.all([store.close(), ...others.map((o) => o.close())])
      }
    })

    it('write nothing when the caller’s transaction rolls back', async () => {
      const { schema, store } = await subscribed(250)
      const client = await admin.connect()
      try {
        await client.query('BEGIN')
        await store.publishEvent(makeEvent(), { transaction: client })
        assert.equal(
          Number(
            (await client.query(`SELECT count(*) AS n FROM ${schema}.fan_out_queue`)).rows[0].n,
          ),
          3,
        )
        await client.query('ROLLBACK')
        assert.equal(await countRows(schema, 'fan_out_queue'), 0)
        assert.equal(await countRows(schema, 'events'), 0)
      } finally {
        client.release()
        await store.close()
      }
    })

    it('reach every receiver through the worker', async () => {
      const receiver = await TestReceiver.start()
      const database = `${url}${url.includes('?') ? '&' : '?'}schema=${freshSchema()}`
      const hooks = await createHookrelay({
        database,
        allowPrivateNetworks: ['127.0.0.0/8'],
        logger: silentLogger,
        worker: false,
      })
      try {
        await subscribeReceivers(hooks, `${receiver.url}/fan`, 150)
        for (let i = 0; i < 3; i++) {
          await hooks.publish({ tenant: 'acme', type: 'order.created', data: { i } })
        }
        hooks.start()
        await hooks.drain()
        for (let i = 0; i < 150; i++) assert.equal(receiver.at(`/fan/${i}`).length, 3, `/fan/${i}`)
      } finally {
        await hooks.close()
        await receiver.close()
      }
    })
  })
}
