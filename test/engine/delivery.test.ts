import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { verify as verifyGithub } from '@octokit/webhooks-methods'
import { Webhook } from 'standardwebhooks'
import { verify } from '../../src/receiver/index.ts'
import { useEngine } from '../support/engine.ts'

const t = useEngine()

describe('delivery end to end', () => {
  it('runs the library example: a signed POST arrives, verifies and is recorded', async () => {
    const sub = await t.hooks.subscriptions.create({
      tenant: 'acme',
      name: 'Orders',
      events: ['order.*'],
      config: { url: `${t.receiver.url}/orders` },
    })
    const event = await t.hooks.publish({ tenant: 'acme', type: 'order.created', data: { id: 42 } })
    assert.equal(event.deliveries, 1)
    await t.hooks.drain()

    const [got] = t.receiver.at('/orders')
    assert.ok(got, 'the receiver got the delivery')
    assert.deepEqual(JSON.parse(got.body), {
      id: event.id,
      type: 'order.created',
      timestamp: event.timestamp,
      tenant: 'acme',
      data: { id: 42 },
    })
    assert.equal(got.headers['content-type'], 'application/json')
    assert.equal(got.headers['webhook-id'], event.id)
    // The Standard Webhooks reference library accepts what we sent.
    const headers = {
      'webhook-id': String(got.headers['webhook-id']),
      'webhook-timestamp': String(got.headers['webhook-timestamp']),
      'webhook-signature': String(got.headers['webhook-signature']),
    }
    const signedAt = Number(headers['webhook-timestamp']) * 1000
    assert.equal(signedAt, Math.floor(t.clock.now / 1000) * 1000)
    const realNow = Date.now
    Date.now = () => signedAt
    try {
      assert.deepEqual(
        new Webhook(sub.config.secret).verify(got.body, headers),
        JSON.parse(got.body),
      )
    } finally {
      Date.now = realNow
    }

    const detail = await t.hooks.events.get(event.id)
    assert.equal(detail.deliveries.length, 1)
    assert.equal(detail.deliveries[0]!.status, 'succeeded')
    assert.equal(detail.attempts.length, 1)
    assert.equal(detail.attempts[0]!.statusCode, 200)
    assert.equal(detail.attempts[0]!.responseBody, 'ok')
    assert.equal(detail.attempts[0]!.trigger, 'scheduled')
  })

  it('delivers to every matching subscription and to no other', async () => {
    const make = (name: string, events: string[], tenant = 'acme') =>
      t.hooks.subscriptions.create({
        tenant,
        name,
        events,
        config: { url: `${t.receiver.url}/${name}` },
      })
    await make('all', ['*'])
    await make('orders', ['order.*'])
    await make('exact', ['order.created'])
    await make('contacts', ['contact.*'])
    await make('paused', ['order.*'])
    await make('other-tenant', ['*'], 'globex')
    const paused = (await t.hooks.subscriptions.list({ tenant: 'acme', name: 'paused' })).data[0]!
    await t.hooks.subscriptions.update(paused.id, { state: 'paused' })

    const event = await t.hooks.publish({ tenant: 'acme', type: 'order.created', data: null })
    assert.equal(event.deliveries, 3)
    await t.hooks.drain()
    const orders = t.receiver.received.filter((r) => r.headers['webhook-id'] === event.id)
    assert.deepEqual(orders.map((r) => r.path).sort(), ['/all', '/exact', '/orders'])
    // The pause itself was an event, and `*` subscribers hear of it.
    const notices = t.receiver.received.filter(
      (r) => JSON.parse(r.body).type === 'subscription.paused',
    )
    assert.deepEqual(
      notices.map((r) => r.path),
      ['/all'],
    )
  })

  it('signs with each scheme so that its receivers verify', async () => {
    const schemes = [
      ['github', 'a github secret'],
      ['servicestack', 'asecret-servicestack'],
      ['superoffice', 'asecret-superoffice'],
      ['standard', undefined],
    ] as const
    const secrets = new Map<string, string>()
    for (const [scheme, secret] of schemes) {
      const sub = await t.hooks.subscriptions.create({
        name: scheme,
        events: ['file.download'],
        signatureScheme: scheme,
        config: { url: `${t.receiver.url}/${scheme}`, ...(secret ? { secret } : {}) },
      })
      secrets.set(scheme, sub.config.secret)
    }
    await t.hooks.publish({ type: 'file.download', data: { file: 9 } })
    await t.hooks.drain()
    for (const [scheme] of schemes) {
      const got = t.receiver.at(`/${scheme}`)[0]!
      const secret = secrets.get(scheme)!
      verify(scheme, { secret, headers: got.headers, body: got.body, now: t.clock.now })
      assert.throws(() =>
        verify(scheme, { secret, headers: got.headers, body: `${got.body} `, now: t.clock.now }),
      )
    }
    const github = t.receiver.at('/github')[0]!
    assert.equal(github.headers['x-github-event'], 'file.download')
    assert.ok(
      await verifyGithub(
        'a github secret',
        github.body,
        String(github.headers['x-hub-signature-256']),
      ),
    )
    assert.match(
      String(t.receiver.at('/servicestack')[0]!.headers['x-hub-signature']),
      /^sha1=[0-9a-f]{64}$/,
    )
  })

  it('sends only data when payload is "data", with custom headers', async () => {
    await t.hooks.subscriptions.create({
      name: 'raw',
      events: ['order.created'],
      payload: 'data',
      headers: { 'x-tenant-key': 'k1' },
      config: { url: `${t.receiver.url}/raw` },
    })
    await t.hooks.publish({ type: 'order.created', data: { id: 1, lines: [1, 2] } })
    await t.hooks.drain()
    const got = t.receiver.at('/raw')[0]!
    assert.equal(got.body, '{"id":1,"lines":[1,2]}')
    assert.equal(got.headers['x-tenant-key'], 'k1')
  })

  it('keeps signing with the old secret for 24 hours after a rotation', async () => {
    const sub = await t.hooks.subscriptions.create({
      name: 'rotating',
      events: ['x.y'],
      config: { url: `${t.receiver.url}/rot` },
    })
    const { secret } = await t.hooks.subscriptions.rotateSecret(sub.id)
    assert.notEqual(secret, sub.config.secret)
    await t.hooks.publish({ type: 'x.y' })
    await t.hooks.drain()
    const during = t.receiver.at('/rot')[0]!
    assert.equal(String(during.headers['webhook-signature']).split(' ').length, 2)
    for (const s of [sub.config.secret, secret]) {
      verify('standard', {
        secret: s,
        headers: during.headers,
        body: during.body,
        now: t.clock.now,
      })
    }
    t.clock.advance(24 * 3_600_000 + 1)
    await t.hooks.publish({ type: 'x.y' })
    await t.hooks.drain()
    const later = t.receiver.at('/rot')[1]!
    assert.equal(String(later.headers['webhook-signature']).split(' ').length, 1)
    verify('standard', { secret, headers: later.headers, body: later.body, now: t.clock.now })
    assert.throws(() =>
      verify('standard', {
        secret: sub.config.secret,
        headers: later.headers,
        body: later.body,
        now: t.clock.now,
      }),
    )
  })

  it('answers a test ping synchronously without storing anything', async () => {
    t.receiver.queue('/ping', { kind: 'status', status: 202, body: 'pong' })
    const sub = await t.hooks.subscriptions.create({
      name: 'pinged',
      events: ['a.b'],
      config: { url: `${t.receiver.url}/ping` },
    })
    const result = await t.hooks.subscriptions.test(sub.id)
    assert.equal(result.success, true)
    assert.equal(result.statusCode, 202)
    assert.equal(result.response, 'pong')
    assert.equal(JSON.parse(t.receiver.at('/ping')[0]!.body).type, 'ping')
    assert.equal((await t.hooks.events.list({})).data.length, 0)
  })
})
