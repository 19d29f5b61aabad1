import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { verifyStandard } from '../../src/receiver/index.ts'
import { TestReceiver } from '../support/receiver.ts'
import { type ServerFixture, startServer } from '../support/server.ts'

describe('the standalone server over a real port', () => {
  let server: ServerFixture
  let receiver: TestReceiver
  let base: string

  before(async () => {
    receiver = await TestReceiver.start()
    server = await startServer()
    await server.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = server.app.server.address() as AddressInfo
    base = `http://127.0.0.1:${port}`
  })
  after(async () => {
    await server.close()
    await receiver.close()
  })

  const api = async (key: string | null, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await response.text()
    const type = response.headers.get('content-type') ?? ''
    return { response, body: /json/.test(type) && text !== '' ? JSON.parse(text) : text }
  }

  it('creates, publishes, delivers signed, and shows the delivery with its attempt', async () => {
    const key = server.keys.acme.both
    const created = await api(key, 'POST', '/webhooks/subscriptions', {
      name: 'Orders',
      events: ['order.*'],
      config: { url: `${receiver.url}/e2e` },
    })
    assert.equal(created.response.status, 201, JSON.stringify(created.body))
    const secret: string = created.body.config.secret

    const published = await api(key, 'POST', '/webhooks/events', {
      type: 'order.created',
      data: { id: 42, total: 9.5 },
    })
    assert.equal(published.response.status, 202, JSON.stringify(published.body))
    assert.equal(published.body.deliveries, 1)

    await server.hooks.drain()
    const requests = receiver.at('/e2e')
    assert.equal(requests.length, 1)
    const [request] = requests
    assert.ok(request)
    assert.equal(request.method, 'POST')
    assert.match(String(request.headers['content-type']), /^application\/json/)
    assert.equal(request.headers['webhook-id'], published.body.id)
    verifyStandard({ secret, headers: request.headers, body: request.body, now: server.clock.now })
    const envelope = JSON.parse(request.body)
    assert.deepEqual(
      { id: envelope.id, type: envelope.type, tenant: envelope.tenant, data: envelope.data },
      {
        id: published.body.id,
        type: 'order.created',
        tenant: 'acme',
        data: { id: 42, total: 9.5 },
      },
    )

    const detail = await api(key, 'GET', `/webhooks/events/${published.body.id}`)
    assert.equal(detail.response.status, 200)
    const [delivery] = detail.body.deliveries
    assert.equal(delivery.status, 'succeeded')
    assert.equal(delivery.subscriptionId, created.body.id)
    assert.equal(delivery.attempts, 1)
    assert.equal(detail.body.attempts.length, 1)
    assert.equal(detail.body.attempts[0].statusCode, 200)
    assert.equal(detail.body.attempts[0].deliveryId, delivery.id)
    assert.equal(detail.body.attempts[0].trigger, 'scheduled')
  })

  it('answers problems over the wire: 401, 413 and 404', async () => {
    const anonymous = await api(null, 'GET', '/webhooks/subscriptions')
    assert.equal(anonymous.response.status, 401)
    assert.equal(anonymous.response.headers.get('www-authenticate'), 'Bearer')
    assert.match(
      anonymous.response.headers.get('content-type') ?? '',
      /^application\/problem\+json/,
    )
    assert.equal(anonymous.body.code, 'unauthorized')

    const big = await api(server.keys.acme.service, 'POST', '/webhooks/events', {
      type: 'big.event',
      data: 'x'.repeat(1_100_000),
    })
    assert.equal(big.response.status, 413)
    assert.equal(big.body.code, 'payload_too_large')

    const missing = await api(server.keys.acme.user, 'GET', '/nope')
    assert.equal(missing.response.status, 404)
    assert.equal(missing.body.code, 'route_not_found')

    const health = await api(null, 'GET', '/healthz')
    assert.deepEqual(health.body, { status: 'ok' })
  })
})
