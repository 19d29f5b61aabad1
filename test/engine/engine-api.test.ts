import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import {
  ConflictError,
  NotFoundError,
  UnsafeUrlError,
  ValidationError,
  type WebhookEvent,
} from '../../src/index.ts'
import { contactChange, testHooks, useEngine } from '../support/engine.ts'

const t = useEngine()

const input = (url: string, events = ['order.*']) => ({
  tenant: 'acme',
  name: 'Orders',
  events,
  config: { url },
})
const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('subscriptions', () => {
  it('refuses bad input with a typed error naming the field, writing nothing', async () => {
    const bad = [
      [{ ...input(t.receiver.url), events: [] }, 'events'],
      [{ ...input(t.receiver.url), name: '' }, 'name'],
      [{ ...input('nope') }, 'config.url'],
      [
        { ...input(t.receiver.url), config: { url: t.receiver.url, contentType: 'text/plain' } },
        'config.contentType',
      ],
      // Misplaced or misspelled options are refused, not dropped.
      [
        { ...input(t.receiver.url), config: { url: t.receiver.url, signatureScheme: 'github' } },
        'config.signatureScheme',
      ],
      [{ ...input(t.receiver.url), retrySchedul: [1000] }, 'retrySchedul'],
    ] as const
    for (const [body, field] of bad) {
      await assert.rejects(t.hooks.subscriptions.create(body as never), (err: unknown) => {
        return err instanceof ValidationError && err.field === field
      })
    }
    assert.equal((await t.hooks.subscriptions.list({ tenant: 'acme' })).data.length, 0)
  })

  it('refuses a private address unless allowed, without naming it', async () => {
    await t.reopen({ allowPrivateNetworks: false })
    await assert.rejects(
      t.hooks.subscriptions.create(input('http://10.1.2.3/hook')),
      (err: unknown) => {
        return (
          err instanceof UnsafeUrlError &&
          err.code === 'unsafe_url' &&
          !err.message.includes('10.1')
        )
      },
    )
    assert.equal((await t.hooks.subscriptions.list({ tenant: 'acme' })).data.length, 0)
  })

  it('refuses an overlapping duplicate in the same tenant only', async () => {
    const first = await t.hooks.subscriptions.create(input(`${t.receiver.url}/a`, ['order.*']))
    await assert.rejects(
      t.hooks.subscriptions.create(input(`${t.receiver.url}/a`, ['order.created'])),
      (err) => {
        return (
          err instanceof ConflictError &&
          err.code === 'duplicate_subscription' &&
          err.existingId === first.id
        )
      },
    )
    await t.hooks.subscriptions.create(input(`${t.receiver.url}/a`, ['contact.created']))
    await t.hooks.subscriptions.create({ ...input(`${t.receiver.url}/a`), tenant: 'globex' })
  })

  it('gets, lists with filters and pages, updates and deletes', async () => {
    const ids = []
    for (let i = 0; i < 5; i++) {
      ids.push(
        (await t.hooks.subscriptions.create({ ...input(`${t.receiver.url}/${i}`), name: `s${i}` }))
          .id,
      )
    }
    const first = await t.hooks.subscriptions.list({ tenant: 'acme', limit: 2 })
    assert.equal(first.data.length, 2)
    assert.equal(first.data[0]!.id, ids[4])
    assert.ok(first.nextCursor)
    const second = await t.hooks.subscriptions.list({
      tenant: 'acme',
      limit: 2,
      cursor: first.nextCursor!,
    })
    assert.deepEqual(
      second.data.map((s) => s.id),
      [ids[2], ids[1]],
    )
    assert.equal(
      (await t.hooks.subscriptions.list({ tenant: 'acme', event: 'order.paid' })).data.length,
      5,
    )
    assert.equal(
      (await t.hooks.subscriptions.list({ tenant: 'acme', event: 'user.made' })).data.length,
      0,
    )
    assert.equal(
      (await t.hooks.subscriptions.list({ tenant: 'acme', name: 's3' })).data[0]!.id,
      ids[3],
    )

    const moved = await t.hooks.subscriptions.update(ids[0]!, {
      config: { url: `${t.receiver.url}/moved` },
    })
    assert.equal(moved.config.url, `${t.receiver.url}/moved`)
    assert.equal('secrets' in moved, false)
    await t.hooks.publish({ tenant: 'acme', type: 'order.paid' })
    await t.hooks.drain()
    assert.equal(t.receiver.at('/moved').length, 1)

    await t.hooks.subscriptions.delete(ids[0]!)
    await assert.rejects(t.hooks.subscriptions.get(ids[0]!), NotFoundError)
    await assert.rejects(t.hooks.subscriptions.update(ids[0]!, { name: 'x' }), NotFoundError)
    await assert.rejects(t.hooks.subscriptions.delete(ids[0]!), NotFoundError)
  })

  it('finds the active subscribers of an event (relay search)', async () => {
    const sub = await t.hooks.subscriptions.create(input(`${t.receiver.url}/s`))
    const found = await t.hooks.subscriptions.search({ tenant: 'acme', event: 'order.created' })
    assert.deepEqual(found, [
      {
        subscriptionId: sub.id,
        config: { url: `${t.receiver.url}/s`, contentType: 'application/json' },
      },
    ])
    assert.deepEqual(
      await t.hooks.subscriptions.search({ tenant: 'globex', event: 'order.created' }),
      [],
    )
  })

  it('recovers what a paused subscription missed and the deliveries its pause cancelled', async () => {
    const states: string[] = []
    t.hooks.on('subscription.*', (e) => {
      states.push(e.type)
    })
    const sub = await t.hooks.subscriptions.create(input(`${t.receiver.url}/r`))
    const since = t.clock.now
    t.receiver.queue('/r', { kind: 'status', status: 500 })
    await t.hooks.publish({ tenant: 'acme', type: 'order.created', data: 0 })
    await t.hooks.drain() // fails once; a retry is pending
    await t.hooks.subscriptions.update(sub.id, { state: 'paused' })
    await t.hooks.publish({ tenant: 'acme', type: 'order.created', data: 1 })
    await t.hooks.publish({ tenant: 'acme', type: 'user.created', data: 2 })
    t.clock.advance(60_000)
    await t.hooks.drain()
    assert.equal(t.receiver.at('/r').length, 1)
    await t.hooks.subscriptions.update(sub.id, { state: 'active' })
    const { queued } = await t.hooks.subscriptions.recover(sub.id, { since })
    assert.equal(queued, 2)
    await t.hooks.drain()
    const data = t.receiver.at('/r').map((r) => JSON.parse(r.body).data)
    assert.deepEqual(data.slice(1).sort(), [0, 1])
    await tick()
    assert.deepEqual(states, ['subscription.paused', 'subscription.enabled'])
  })

  it('refuses to recover a subscription that is not active', async () => {
    const sub = await t.hooks.subscriptions.create(input(`${t.receiver.url}/np`))
    await t.hooks.subscriptions.update(sub.id, { state: 'paused' })
    await assert.rejects(t.hooks.subscriptions.recover(sub.id, { since: 0 }), (err: unknown) => {
      return err instanceof ConflictError && err.code === 'conflict' && /paused/.test(err.message)
    })
  })

  it('cancels pending deliveries when a subscription is deleted', async () => {
    t.receiver.queue('/d', { kind: 'status', status: 500 })
    const sub = await t.hooks.subscriptions.create(input(`${t.receiver.url}/d`))
    const event = await t.hooks.publish({ tenant: 'acme', type: 'order.created' })
    await t.hooks.drain()
    await t.hooks.subscriptions.delete(sub.id)
    const { deliveries } = await t.hooks.events.get(event.id)
    assert.equal(deliveries[0]!.status, 'cancelled')
  })
})

describe('publishing', () => {
  it('returns the first event for a repeated idempotency key', async () => {
    await t.hooks.subscriptions.create(input(`${t.receiver.url}/i`))
    const a = await t.hooks.publish({
      tenant: 'acme',
      type: 'order.created',
      idempotencyKey: 'k1',
      data: 1,
    })
    const b = await t.hooks.publish({
      tenant: 'acme',
      type: 'order.created',
      idempotencyKey: 'k1',
      data: 2,
    })
    assert.equal(b.id, a.id)
    assert.equal(b.data, 1)
    assert.equal(b.deliveries, 1)
    const other = await t.hooks.publish({
      tenant: 'globex',
      type: 'order.created',
      idempotencyKey: 'k1',
    })
    assert.notEqual(other.id, a.id)
    await t.hooks.drain()
    assert.equal(t.receiver.at('/i').length, 1)
  })

  it('checks data against a registered JSON Schema', async () => {
    await t.hooks.eventTypes.define({
      name: 'order.created',
      description: 'An order was placed',
      schema: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } },
    })
    await t.hooks.publish({ type: 'order.created', data: { id: 1 } })
    await assert.rejects(
      t.hooks.publish({ type: 'order.created', data: { id: 'x' } }),
      (err: unknown) => {
        return (
          err instanceof ValidationError &&
          err.code === 'schema_mismatch' &&
          err.field === 'data.id'
        )
      },
    )
    assert.equal((await t.hooks.events.list({})).data.length, 1)
    await assert.rejects(
      t.hooks.eventTypes.define({ name: 'bad', schema: { type: 'nope' } }),
      ValidationError,
    )
    assert.deepEqual(
      (await t.hooks.eventTypes.list()).map((t) => t.name),
      ['order.created'],
    )
  })

  it('publishes entity changes as <entity>.<action>', async () => {
    await t.hooks.subscriptions.create(input(`${t.receiver.url}/c`, ['contact.*']))
    const event = await t.hooks.entityChanged({ tenant: 'acme', ...contactChange })
    assert.equal(event.type, 'contact.updated')
    await t.hooks.drain()
    assert.deepEqual(JSON.parse(t.receiver.at('/c')[0]!.body).data, contactChange)
  })

  it('calls in-process subscribers after commit; one that throws harms no other', async () => {
    const seen: string[] = []
    t.hooks.on('contact.*', () => {
      throw new Error('listener bug')
    })
    t.hooks.on('contact.*', async () => {
      throw new Error('async listener bug')
    })
    t.hooks.on('contact.*', (e) => {
      seen.push(e.type)
    })
    const off = t.hooks.on('*', (e: WebhookEvent) => {
      seen.push(`*:${e.type}`)
    })
    await t.hooks.entityChanged({ entity: 'contact', id: 1, action: 'created' })
    await tick()
    off()
    await t.hooks.publish({ type: 'contact.deleted' })
    await tick()
    assert.deepEqual(seen, ['contact.created', '*:contact.created', 'contact.deleted'])
    assert.throws(() => t.hooks.on('bad pattern', () => {}), ValidationError)
  })
})

describe('history and operations', () => {
  it('re-sends a delivery by hand as a manual attempt', async () => {
    await t.hooks.subscriptions.create(input(`${t.receiver.url}/m`))
    const event = await t.hooks.publish({ tenant: 'acme', type: 'order.created' })
    await t.hooks.drain()
    const [delivery] = (await t.hooks.events.get(event.id)).deliveries
    const attempt = await t.hooks.deliveries.retry(delivery!.id)
    assert.equal(attempt.trigger, 'manual')
    assert.equal(attempt.statusCode, 200)
    assert.equal(t.receiver.at('/m').length, 2)
    assert.equal((await t.hooks.deliveries.get(delivery!.id)).attempts, 2)
    await assert.rejects(t.hooks.deliveries.retry('dlv_missing'), NotFoundError)
  })

  it('prunes what is older than the retention period', async () => {
    await t.hooks.subscriptions.create(input(`${t.receiver.url}/p`))
    const old = await t.hooks.publish({ tenant: 'acme', type: 'order.created' })
    await t.hooks.drain()
    t.clock.advance(31 * 24 * 3_600_000)
    const fresh = await t.hooks.publish({ tenant: 'acme', type: 'order.created' })
    await t.hooks.drain()
    const removed = await t.hooks.prune()
    assert.deepEqual(removed, { events: 1, deliveries: 1, attempts: 1 })
    await assert.rejects(t.hooks.events.get(old.id), NotFoundError)
    assert.equal((await t.hooks.events.get(fresh.id)).attempts.length, 1)
  })

  it('close() waits for an attempt in flight, records it, and is idempotent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookrelay-close-'))
    const database = join(dir, 'hooks.db')
    try {
      const { hooks: onFile } = await testHooks({ database })
      t.receiver.queue('/slow', { kind: 'delay', ms: 200, status: 200 })
      await onFile.subscriptions.create(input(`${t.receiver.url}/slow`))
      const event = await onFile.publish({ tenant: 'acme', type: 'order.created' })
      onFile.start()
      await t.receiver.waitFor(1)
      await Promise.all([onFile.close(), onFile.close()])
      const { hooks: reopened } = await testHooks({ database })
      const detail = await reopened.events.get(event.id)
      await reopened.close()
      assert.equal(detail.deliveries[0]!.status, 'succeeded')
      assert.equal(detail.attempts.length, 1)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('a process without a worker', () => {
  it('never sends on its own; drain() still delivers', async () => {
    await t.hooks.subscriptions.create(input(`${t.receiver.url}/nw`))
    await t.hooks.publish({ tenant: 'acme', type: 'order.created' })
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(t.receiver.at('/nw').length, 0)
    const [delivery] = (await t.hooks.events.list({ tenant: 'acme' })).data
    assert.equal((await t.hooks.events.get(delivery!.id)).deliveries[0]!.attempts, 0)
    await t.hooks.drain()
    assert.equal(t.receiver.at('/nw').length, 1)
  })
})

describe('event-type schemas over time', () => {
  it('keep checking a schema with an $id after the cache runs out, and after it changes', async () => {
    const schema = { $id: 'https://example.test/order', type: 'object', required: ['id'] }
    await t.hooks.eventTypes.define({ name: 'order.created', schema })
    t.clock.advance(10_000) // past the 5 s cache: the schema is read and compiled again
    await t.hooks.publish({ type: 'order.created', data: { id: 1 } })
    await t.hooks.eventTypes.define({
      name: 'order.created',
      schema: { ...schema, required: ['sku'] },
    })
    t.clock.advance(10_000)
    await assert.rejects(
      t.hooks.publish({ type: 'order.created', data: { id: 1 } }),
      ValidationError,
    )
    await t.hooks.publish({ type: 'order.created', data: { sku: 'a' } })
  })
})

describe('a manual re-send that fails', () => {
  it('leaves a finished delivery finished instead of restarting its schedule', async () => {
    await t.hooks.subscriptions.create(input(`${t.receiver.url}/mf`))
    const event = await t.hooks.publish({ tenant: 'acme', type: 'order.created' })
    await t.hooks.drain()
    const [delivery] = (await t.hooks.events.get(event.id)).deliveries
    t.receiver.queue('/mf', { kind: 'status', status: 500 })
    const attempt = await t.hooks.deliveries.retry(delivery!.id)
    assert.equal(attempt.statusCode, 500)
    const after = await t.hooks.deliveries.get(delivery!.id)
    assert.equal(after.status, 'failed')
    assert.equal(after.nextAttemptAt, null)
  })
})

describe('pausing with deliveries held by the worker', () => {
  it('sends none of them after the pause', async () => {
    const sub = await t.hooks.subscriptions.create(input(`${t.receiver.url}/held`))
    await t.hooks.subscriptions.update(sub.id, { rateLimit: 1 })
    for (let i = 0; i < 4; i++) await t.hooks.publish({ tenant: 'acme', type: 'order.created' })
    const draining = t.hooks.drain()
    await t.receiver.waitFor(1) // one token: the rest wait in the worker for the rate limit
    await t.hooks.subscriptions.update(sub.id, { state: 'paused' })
    await draining
    assert.equal(t.receiver.at('/held').length, 1)
    // The three held back are cancelled (the one in flight may be too: the pause won the race).
    const { data } = await t.hooks.subscriptions.deliveries(sub.id, { status: 'cancelled' })
    assert.ok(data.length >= 3)
  })
})
