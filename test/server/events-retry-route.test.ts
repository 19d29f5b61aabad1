import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertProblem, subscriptionBody, useServer } from '../support/server.ts'

const t = useServer()

async function subscribe(key: string, path: string) {
  const body = subscriptionBody(`${t.receiver.url}${path}`, ['order.*'], { retrySchedule: [] })
  const response = await t.call(key, 'POST', '/webhooks/subscriptions', body)
  assert.equal(response.status, 201, response.text)
}

async function publish(key: string, type: string, n: number) {
  const response = await t.call(key, 'POST', '/webhooks/events', { type, data: { n } })
  assert.equal(response.status, 202, response.text)
}

/** The `data.n` of each request `path` received, in order. */
const numbersAt = (path: string) =>
  t.receiver.at(path).map((r) => JSON.parse(r.body).data.n as number)

describe('POST /webhooks/events/retry', () => {
  it("sends again the failed deliveries of the tenant's events the filter selects", async () => {
    const { acme, globex } = t.keys
    for (const path of ['/acme', '/globex'])
      t.receiver.always(path, { kind: 'status', status: 500 })
    await subscribe(acme.user, '/acme')
    await subscribe(globex.user, '/globex')
    await publish(acme.service, 'order.created', 1)
    t.clock.advance(1_000)
    const since = new Date(t.clock.now).toISOString()
    await publish(acme.service, 'order.created', 2)
    await publish(acme.service, 'order.paid', 3)
    await publish(globex.service, 'order.created', 4)
    await t.hooks.drain()
    for (const path of ['/acme', '/globex'])
      t.receiver.always(path, { kind: 'status', status: 200 })

    const retried = await t.call(acme.user, 'POST', '/webhooks/events/retry', {
      type: 'order.created',
      since,
    })
    assert.equal(retried.status, 200, retried.text)
    assert.deepEqual(retried.body, { queued: 1, skipped: 0, more: false })
    await t.hooks.drain()
    assert.deepEqual(numbersAt('/acme'), [1, 2, 3, 2])
    assert.deepEqual(numbersAt('/globex'), [4])

    // Epoch ms as well; the rest of acme's failures, and still none of globex's.
    const rest = await t.call(acme.user, 'POST', '/webhooks/events/retry', { since: 0 })
    assert.deepEqual(rest.body, { queued: 2, skipped: 0, more: false })
    await t.hooks.drain()
    assert.deepEqual(numbersAt('/acme').slice(4).sort(), [1, 3])
    assert.deepEqual(numbersAt('/globex'), [4])
  })

  it('is for the user role, and refuses bad filters with 400 naming the field', async () => {
    const { user, service } = t.keys.acme
    const retry = (body: unknown, key = user) => t.call(key, 'POST', '/webhooks/events/retry', body)
    assertProblem(await retry({}, service), 403, 'forbidden')
    const refused = await retry({ status: 'succeeded' })
    assertProblem(refused, 400, 'invalid_input', 'status')
    assert.equal(refused.body.detail, 'status: only failed or retrying deliveries can be retried')
    assertProblem(await retry({ status: 'done' }), 400, 'invalid_input', 'status')
    assertProblem(await retry({ since: 'yesterday' }), 400, 'invalid_input', 'since')
    assertProblem(await retry({ since: 10, until: 10 }), 400, 'invalid_input', 'until')
    assertProblem(await retry({ type: 'order.*' }), 400, 'invalid_input', 'type')
    assertProblem(await retry({ subscription: 'sub_1' }), 400, 'invalid_input', 'subscription')
    assert.deepEqual((await retry({})).body, { queued: 0, skipped: 0, more: false })
  })
})
