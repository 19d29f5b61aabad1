import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import type { Store } from '../../src/store/store.ts'
import { openOnThisThread, openSqliteStore } from '../../src/store/sqlite/open-store.ts'
import { makeEvent, makeSubscription } from './conformance/builders.ts'
import { subscribeReceivers, testHooks } from '../support/engine.ts'
import { TestReceiver } from '../support/receiver.ts'

const dir = mkdtempSync(join(tmpdir(), 'hookrelay-fan-outs-'))
after(() => rmSync(dir, { recursive: true, force: true }))

async function subscribe(store: Store, count: number) {
  const subscriptions = Array.from({ length: count }, (_, i) =>
    makeSubscription({ url: `https://example.com/${i}` }),
  )
  for (const s of subscriptions) await store.insertSubscription(s)
  return subscriptions
}

/** Every delivery of `eventId`, by subscription id. */
async function deliveriesOf(store: Store, eventId: string) {
  const page = await store.listDeliveries({ eventId, limit: 1000 })
  return new Map(page.data.map((d) => [d.subscriptionId, d]))
}

describe('SQLite publishes to many subscriptions', () => {
  it('queue the deliveries past 100, and write them a slice of 100 at a time', async () => {
    const store = openOnThisThread(join(dir, 'slices.db'), 'NORMAL', { queueFanOuts: true })
    try {
      await subscribe(store, 250)
      const event = makeEvent()
      const published = await store.publishEvent(event)
      assert.equal(published.deliveries, 250)
      assert.equal((await deliveriesOf(store, event.id)).size, 0, 'none written by the publish')
      assert.equal(store.hasQueuedFanOuts(), true)
      assert.equal(await store.nextDueAt(), Date.parse(event.timestamp), 'due as if written')

      assert.equal(store.writeQueuedFanOuts(1).deliveries, 100)
      assert.equal(store.writeQueuedFanOuts(101).deliveries, 150)
      assert.equal(store.writeQueuedFanOuts(1).deliveries, 0)
      assert.equal(store.hasQueuedFanOuts(), false)
      const written = await deliveriesOf(store, event.id)
      assert.equal(written.size, 250)
      assert.ok([...written.values()].every((d) => d.status === 'pending'))

      // 100 or fewer are written by the publish itself.
      const few = await openOnThisThread(join(dir, 'few.db'), 'NORMAL', { queueFanOuts: true })
      await subscribe(few, 100)
      const small = makeEvent()
      await few.publishEvent(small)
      assert.equal((await deliveriesOf(few, small.id)).size, 100)
      assert.equal(few.hasQueuedFanOuts(), false)
      await few.close()
    } finally {
      await store.close()
    }
  })

  it('count queued deliveries when the idempotency key repeats', async () => {
    const store = openOnThisThread(join(dir, 'repeat.db'), 'NORMAL', { queueFanOuts: true })
    try {
      await subscribe(store, 250)
      const first = await store.publishEvent(makeEvent({ idempotencyKey: 'k1' }))
      store.writeQueuedFanOuts(1)
      const again = await store.publishEvent(makeEvent({ idempotencyKey: 'k1' }))
      assert.equal(again.inserted, false)
      assert.equal(again.event.id, first.event.id)
      assert.equal(again.deliveries, 250, '100 written and 150 queued')
    } finally {
      await store.close()
    }
  })

  it('show every delivery to the call after the publish, and cancel a paused subscription’s', async () => {
    const store = await openSqliteStore({ path: join(dir, 'thread.db') })
    try {
      const subscriptions = await subscribe(store, 300)
      const event = makeEvent()
      assert.equal((await store.publishEvent(event)).deliveries, 300)
      // Sent at once, before the thread has had a moment to write the slices on its own.
      const paused = { ...subscriptions[7]!, state: 'paused' as const }
      const [withPending, updated, counts] = await Promise.all([
        store.listEvents({ tenant: 'acme', status: 'pending', limit: 10 }),
        store.updateSubscription(paused),
        store.countDeliveries([event.id]),
      ])
      assert.deepEqual(
        withPending.data.map((e) => e.id),
        [event.id],
        'an event with pending deliveries',
      )
      assert.equal(updated, true)
      assert.equal(counts[event.id]!.pending + counts[event.id]!.cancelled, 300)
      const written = await deliveriesOf(store, event.id)
      assert.equal(written.size, 300)
      assert.equal(written.get(paused.id)!.status, 'cancelled')
      assert.equal([...written.values()].filter((d) => d.status === 'pending').length, 299)
    } finally {
      await store.close()
    }
  })

  it('lose no delivery when the process is killed with them queued', async () => {
    const path = join(dir, 'killed.db')
    const setup = await openSqliteStore({ path })
    const subscriptions = await subscribe(setup, 450)
    await setup.close()

    const child = spawn(
      process.execPath,
      ['--experimental-strip-types', '--no-warnings', 'test/support/fan-out-kill-child.ts', path],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const signal = await new Promise((resolve) => child.on('close', (_code, s) => resolve(s)))
    assert.equal(signal, 'SIGKILL')
    const [eventId, count] = out.trim().split(' ')
    assert.equal(count, '450')

    const store = await openSqliteStore({ path })
    try {
      const written = await deliveriesOf(store, eventId!)
      assert.equal(written.size, 450)
      assert.deepEqual(
        [...written.keys()].sort(),
        subscriptions.map((s) => s.id).sort(),
        'one delivery to each subscription',
      )
    } finally {
      await store.close()
    }
  })

  it('reach every receiver through the worker', async () => {
    const receiver = await TestReceiver.start()
    const { hooks } = await testHooks({ database: join(dir, 'engine.db') })
    try {
      await subscribeReceivers(hooks, `${receiver.url}/fan`, 150)
      for (let i = 0; i < 3; i++)
        await hooks.publish({ tenant: 'acme', type: 'order.created', data: { i } })
      await hooks.drain()
      for (let i = 0; i < 150; i++) assert.equal(receiver.at(`/fan/${i}`).length, 3, `/fan/${i}`)
    } finally {
      await hooks.close()
      await receiver.close()
    }
  })
})
