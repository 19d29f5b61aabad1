import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  assertProblem,
  createAsAcme,
  publishAsAcme,
  subscriptionBody,
  useServer,
} from '../support/server.ts'

// Recovery after an outage: one subscription's, or every active one's of the tenant.
const t = useServer()
const base = '/webhooks/subscriptions'
const url = (path: string) => `${t.receiver.url}${path}`

const create = (body: Record<string, unknown>) => createAsAcme(t, body)
const publish = (type: string, data?: unknown) => publishAsAcme(t, type, data)

describe('recover routes', () => {
  it('recovers failed deliveries since a time, and only those', async () => {
    const created = await create(
      subscriptionBody(url('/rec'), ['order.created'], { retrySchedule: [] }),
    )
    t.receiver.always('/rec', { kind: 'status', status: 500 })
    const before = new Date(t.clock.now).toISOString()
    const early = await publish('order.created', { n: 1 })
    t.clock.advance(60_000)
    const since = new Date(t.clock.now).toISOString()
    const late = await publish('order.created', { n: 2 })
    await t.hooks.drain()
    assert.equal(t.receiver.at('/rec').length, 2)
    const failed = await t.call(
      t.keys.acme.user,
      'GET',
      `${base}/${created.id}/deliveries?status=failed`,
    )
    assert.equal(failed.body.data.length, 2)

    t.receiver.always('/rec', { kind: 'status', status: 200 })
    const recovered = await t.call(t.keys.acme.user, 'POST', `${base}/${created.id}/recover`, {
      since,
    })
    assert.equal(recovered.status, 200, recovered.text)
    assert.deepEqual(recovered.body, { queued: 1 })
    await t.hooks.drain()
    const resent = t.receiver.at('/rec').slice(2)
    assert.deepEqual(
      resent.map((r) => JSON.parse(r.body).id),
      [late.id],
    )
    const lateDetail = await t.call(t.keys.acme.user, 'GET', `/webhooks/events/${late.id}`)
    assert.equal(lateDetail.body.deliveries[0].status, 'succeeded')
    const earlyDetail = await t.call(t.keys.acme.user, 'GET', `/webhooks/events/${early.id}`)
    assert.equal(earlyDetail.body.deliveries[0].status, 'failed')

    const all = await t.call(t.keys.acme.user, 'POST', `${base}/${created.id}/recover`, {
      since: Date.parse(before),
    })
    assert.deepEqual(all.body, { queued: 1 }, 'epoch milliseconds work too')

    assertProblem(
      await t.call(t.keys.acme.user, 'POST', `${base}/${created.id}/recover`, {}),
      400,
      'invalid_input',
      'since',
    )
    assertProblem(
      await t.call(t.keys.acme.user, 'POST', `${base}/${created.id}/recover`, { since: 'soon' }),
      400,
      'invalid_input',
      'since',
    )
  })

  it('refuses to recover a paused subscription with 409', async () => {
    const created = await create(subscriptionBody(url('/rp')))
    await t.call(t.keys.acme.user, 'PUT', `${base}/${created.id}`, { state: 'paused' })
    assertProblem(
      await t.call(t.keys.acme.user, 'POST', `${base}/${created.id}/recover`, { since: 0 }),
      409,
      'conflict',
    )
  })

  it('recovers every active subscription of the tenant at once, skipping the others', async () => {
    const down = await create(subscriptionBody(url('/all-a'), ['invoice.paid']))
    const alsoDown = await create(subscriptionBody(url('/all-b'), ['invoice.paid']))
    const paused = await create(subscriptionBody(url('/all-c'), ['invoice.paid']))
    for (const path of ['/all-a', '/all-b', '/all-c']) {
      t.receiver.always(path, { kind: 'status', status: 503 })
    }
    const since = t.clock.now
    await publish('invoice.paid', { n: 1 })
    await t.hooks.drain()
    await t.call(t.keys.acme.user, 'PUT', `${base}/${paused.id}`, { state: 'paused' })
    const retrying = await t.call(t.keys.acme.user, 'GET', `${base}/${down.id}/deliveries`)
    assert.equal(retrying.body.data[0].status, 'retrying')

    for (const path of ['/all-a', '/all-b', '/all-c']) {
      t.receiver.always(path, { kind: 'status', status: 200 })
    }
    const all = await t.call(t.keys.acme.user, 'POST', `${base}/recover`, { since })
    assert.equal(all.status, 200, all.text)
    assert.equal(all.body.queued, 2)
    assert.deepEqual(
      Object.fromEntries(
        all.body.subscriptions.map((s: { id: string; queued?: number; skipped?: string }) => [
          s.id,
          s.queued ?? s.skipped,
        ]),
      ),
      { [down.id]: 1, [alsoDown.id]: 1, [paused.id]: 'paused' },
    )
    await t.hooks.drain()
    assert.equal(t.receiver.at('/all-a').length, 2)
    assert.equal(t.receiver.at('/all-b').length, 2)
    assert.equal(t.receiver.at('/all-c').length, 1)
    // Another tenant's recover touches nothing of acme's.
    const globex = await t.call(t.keys.globex.user, 'POST', `${base}/recover`, { since })
    assert.deepEqual(globex.body, { queued: 0, subscriptions: [] })
    assertProblem(
      await t.call(t.keys.acme.user, 'POST', `${base}/recover`, { since, until: since }),
      400,
      'invalid_input',
      'until',
    )
  })
})
