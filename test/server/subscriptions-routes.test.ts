import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { verifyStandard } from '../../src/receiver/index.ts'
import {
  assertProblem,
  createAsAcme,
  publishAsAcme,
  subscriptionBody,
  useServer,
} from '../support/server.ts'

const t = useServer()
const base = '/webhooks/subscriptions'
const url = (path: string) => `${t.receiver.url}${path}`

const create = (body: Record<string, unknown>) => createAsAcme(t, body)
const publish = (type: string, data?: unknown) => publishAsAcme(t, type, data)

describe('subscription routes: the behaviour of ServiceStack’s subscription service', () => {
  it('refuses a create without events or config with 400 naming the field, writing nothing', async () => {
    const noEvents = await t.call(t.keys.acme.user, 'POST', base, {
      name: 'x',
      config: { url: url('/a') },
    })
    assertProblem(noEvents, 400, 'invalid_input', 'events')

    const noConfig = await t.call(t.keys.acme.user, 'POST', base, {
      name: 'x',
      events: ['order.created'],
    })
    assertProblem(noConfig, 400, 'invalid_input', 'config')

    const noUrl = await t.call(t.keys.acme.user, 'POST', base, {
      name: 'x',
      events: ['order.created'],
      config: {},
    })
    assertProblem(noUrl, 400, 'invalid_input', 'config.url')

    const emptyEvents = await t.call(
      t.keys.acme.user,
      'POST',
      base,
      subscriptionBody(url('/a'), []),
    )
    assertProblem(emptyEvents, 400, 'invalid_input', 'events')

    const badEvent = await t.call(
      t.keys.acme.user,
      'POST',
      base,
      subscriptionBody(url('/a'), ['order.created', 'not a name']),
    )
    assertProblem(badEvent, 400, 'invalid_input', 'events[1]')

    const list = await t.call(t.keys.acme.user, 'GET', base)
    assert.deepEqual(list.body.data, [])
  })

  it('creates one subscription for two events, which receives both', async () => {
    const created = await create(subscriptionBody(url('/both'), ['order.created', 'order.shipped']))
    assert.match(created.id, /^sub_/)
    assert.deepEqual(created.events, ['order.created', 'order.shipped'])
    assert.equal(created.tenant, 'acme')
    assert.equal(created.state, 'active')
    assert.equal(created.config.url, url('/both'))
    assert.match(created.config.secret, /^whsec_/, 'the secret is shown in the create answer')

    const list = await t.call(t.keys.acme.user, 'GET', base)
    assert.equal(list.status, 200)
    assert.equal(list.body.data.length, 1)
    assert.deepEqual(list.body.data[0].events, ['order.created', 'order.shipped'])
    assert.equal(list.body.data[0].config.secret, undefined, 'the secret is shown only once')

    assert.equal((await publish('order.created')).deliveries, 1)
    assert.equal((await publish('order.shipped')).deliveries, 1)
    await t.hooks.drain()
    const types = t.receiver.at('/both').map((r) => JSON.parse(r.body).type)
    assert.deepEqual(types.sort(), ['order.created', 'order.shipped'])
  })

  it('refuses an overlapping duplicate with 409 and accepts what does not overlap', async () => {
    const first = await create(subscriptionBody(url('/dup'), ['order.created', 'order.shipped']))

    const same = await t.call(
      t.keys.acme.user,
      'POST',
      base,
      subscriptionBody(url('/dup'), ['order.shipped']),
    )
    assertProblem(same, 409, 'duplicate_subscription')

    const wildcard = await t.call(
      t.keys.acme.user,
      'POST',
      base,
      subscriptionBody(url('/dup'), ['order.*']),
    )
    assertProblem(wildcard, 409, 'duplicate_subscription')

    await create(subscriptionBody(url('/dup'), ['invoice.paid']))
    await create(subscriptionBody(url('/other'), ['order.created']))
    const list = await t.call(t.keys.acme.user, 'GET', `${base}?limit=100`)
    assert.equal(list.body.data.length, 3)
    assert.ok(list.body.data.some((s: { id: string }) => s.id === first.id))
  })

  it('answers 404 for an unknown id on get, put and delete', async () => {
    for (const id of ['sub_01JZZZZZZZZZZZZZZZZZZZZZZZ', 'nope']) {
      assertProblem(await t.call(t.keys.acme.user, 'GET', `${base}/${id}`), 404, 'not_found')
      assertProblem(
        await t.call(t.keys.acme.user, 'PUT', `${base}/${id}`, { name: 'x' }),
        404,
        'not_found',
      )
      assertProblem(await t.call(t.keys.acme.user, 'DELETE', `${base}/${id}`), 404, 'not_found')
    }
  })

  it('deletes with 204, after which get answers 404 and the pending deliveries are cancelled', async () => {
    const created = await create(subscriptionBody(url('/gone')))
    const event = await publish('order.created')
    assert.equal(event.deliveries, 1)

    const deleted = await t.call(t.keys.acme.user, 'DELETE', `${base}/${created.id}`)
    assert.equal(deleted.status, 204)
    assert.equal(deleted.text, '')

    assertProblem(await t.call(t.keys.acme.user, 'GET', `${base}/${created.id}`), 404, 'not_found')
    assertProblem(
      await t.call(t.keys.acme.user, 'DELETE', `${base}/${created.id}`),
      404,
      'not_found',
    )
    await t.hooks.drain()
    assert.equal(t.receiver.at('/gone').length, 0, 'a deleted subscription gets nothing')
    const detail = await t.call(t.keys.acme.user, 'GET', `/webhooks/events/${event.id}`)
    assert.equal(detail.body.deliveries[0].status, 'cancelled')
  })

  it('updates the URL: the new URL is returned, kept, and used; nothing else changes', async () => {
    const created = await create(
      subscriptionBody(url('/old'), ['order.created'], {
        description: 'd',
        headers: { 'x-a': 'b' },
      }),
    )
    const updated = await t.call(t.keys.acme.user, 'PUT', `${base}/${created.id}`, {
      config: { url: url('/new') },
    })
    assert.equal(updated.status, 200, updated.text)
    assert.equal(updated.body.config.url, url('/new'))
    assert.equal(updated.body.name, 'Orders')
    assert.deepEqual(updated.body.events, ['order.created'])
    assert.equal(updated.body.description, 'd')
    assert.deepEqual(updated.body.headers, { 'x-a': 'b' })
    assert.equal(updated.body.config.secret, undefined)

    const read = await t.call(t.keys.acme.user, 'GET', `${base}/${created.id}`)
    assert.equal(read.body.config.url, url('/new'))

    await publish('order.created')
    await t.hooks.drain()
    assert.equal(t.receiver.at('/old').length, 0)
    assert.equal(t.receiver.at('/new').length, 1)
    assert.equal(t.receiver.at('/new')[0]!.headers['x-a'], 'b')
    verifyStandard({
      secret: created.config.secret,
      headers: t.receiver.at('/new')[0]!.headers,
      body: t.receiver.at('/new')[0]!.body,
      now: t.clock.now,
    })
  })

  it('refuses a bad update with 400 naming the field and changes nothing', async () => {
    const created = await create(subscriptionBody(url('/keep')))
    assertProblem(
      await t.call(t.keys.acme.user, 'PUT', `${base}/${created.id}`, {
        config: { url: 'ftp://x' },
      }),
      400,
      'invalid_input',
      'config.url',
    )
    assertProblem(
      await t.call(t.keys.acme.user, 'PUT', `${base}/${created.id}`, { state: 'disabled' }),
      400,
      'invalid_input',
      'state',
    )
    assertProblem(
      await t.call(t.keys.acme.user, 'PUT', `${base}/${created.id}`, { colour: 'red' }),
      400,
      'invalid_input',
      'colour',
    )
    const read = await t.call(t.keys.acme.user, 'GET', `${base}/${created.id}`)
    assert.equal(read.body.config.url, url('/keep'))
    assert.equal(read.body.state, 'active')
  })

  it('pauses and re-activates through PUT state; a paused subscription gets nothing', async () => {
    const created = await create(subscriptionBody(url('/pause')))
    const paused = await t.call(t.keys.acme.user, 'PUT', `${base}/${created.id}`, {
      state: 'paused',
    })
    assert.equal(paused.body.state, 'paused')
    assert.equal((await publish('order.created')).deliveries, 0)

    const filtered = await t.call(t.keys.acme.user, 'GET', `${base}?state=paused`)
    assert.deepEqual(
      filtered.body.data.map((s: { id: string }) => s.id),
      [created.id],
    )
    assert.deepEqual((await t.call(t.keys.acme.user, 'GET', `${base}?state=active`)).body.data, [])

    const active = await t.call(t.keys.acme.user, 'PUT', `${base}/${created.id}`, {
      state: 'active',
    })
    assert.equal(active.body.state, 'active')
    assert.equal((await publish('order.created')).deliveries, 1)
  })

  it('lets only the service role search, and only the user role manage subscriptions', async () => {
    const created = await create(subscriptionBody(url('/roles')))

    const search = await t.call(t.keys.acme.user, 'GET', `${base}/search?event=order.created`)
    assertProblem(search, 403, 'forbidden')

    const service = t.keys.acme.service
    assertProblem(await t.call(service, 'GET', base), 403, 'forbidden')
    assertProblem(
      await t.call(service, 'POST', base, subscriptionBody(url('/svc'))),
      403,
      'forbidden',
    )
    assertProblem(await t.call(service, 'GET', `${base}/${created.id}`), 403, 'forbidden')
    assertProblem(
      await t.call(service, 'PUT', `${base}/${created.id}`, { name: 'y' }),
      403,
      'forbidden',
    )
    assertProblem(await t.call(service, 'DELETE', `${base}/${created.id}`), 403, 'forbidden')
    assert.equal((await t.call(t.keys.acme.user, 'GET', `${base}/${created.id}`)).status, 200)

    const noKey = await t.call(null, 'GET', base)
    assertProblem(noKey, 401, 'unauthorized')
    assert.equal(noKey.headers['www-authenticate'], 'Bearer')
    assertProblem(
      await t.call(null, 'POST', base, subscriptionBody(url('/x'))),
      401,
      'unauthorized',
    )
  })
})

describe('subscription routes: search, filters and pages', () => {
  it('searches the active subscribers of an event for relays, without secrets', async () => {
    const a = await create(subscriptionBody(url('/s1'), ['order.*']))
    const b = await create(subscriptionBody(url('/s2'), ['order.created']))
    const paused = await create(subscriptionBody(url('/s3'), ['order.created']))
    await t.call(t.keys.acme.user, 'PUT', `${base}/${paused.id}`, { state: 'paused' })
    await create(subscriptionBody(url('/s4'), ['invoice.paid']))

    const found = await t.call(t.keys.acme.service, 'GET', `${base}/search?event=order.created`)
    assert.equal(found.status, 200, found.text)
    assert.deepEqual(
      found.body.map((r: { subscriptionId: string }) => r.subscriptionId).sort(),
      [a.id, b.id].sort(),
    )
    for (const result of found.body) {
      assert.deepEqual(Object.keys(result.config).sort(), ['contentType', 'url'])
    }
    assert.deepEqual(Object.keys(found.body[0]).sort(), ['config', 'subscriptionId'])

    assertProblem(
      await t.call(t.keys.acme.service, 'GET', `${base}/search`),
      400,
      'invalid_input',
      'event',
    )
  })

  it('filters the list by name and event', async () => {
    const a = await create({ ...subscriptionBody(url('/f1'), ['order.created']), name: 'A' })
    const b = await create({ ...subscriptionBody(url('/f2'), ['invoice.paid']), name: 'B' })
    const byName = await t.call(t.keys.acme.user, 'GET', `${base}?name=B`)
    assert.deepEqual(
      byName.body.data.map((s: { id: string }) => s.id),
      [b.id],
    )
    const byEvent = await t.call(t.keys.acme.user, 'GET', `${base}?event=order.created`)
    assert.deepEqual(
      byEvent.body.data.map((s: { id: string }) => s.id),
      [a.id],
    )
    assertProblem(
      await t.call(t.keys.acme.user, 'GET', `${base}?state=gone`),
      400,
      'invalid_input',
      'state',
    )
  })

  it('walks every subscription through nextCursor, each exactly once', async () => {
    const ids = new Set<string>()
    for (let i = 0; i < 23; i++) {
      ids.add((await create(subscriptionBody(url(`/page/${i}`)))).id)
      t.clock.advance(1)
    }
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`
      const page = await t.call(t.keys.acme.user, 'GET', `${base}?limit=10${query}`)
      assert.equal(page.status, 200, page.text)
      assert.ok(page.body.data.length <= 10)
      seen.push(...page.body.data.map((s: { id: string }) => s.id))
      cursor = page.body.nextCursor
      pages++
      assert.ok(pages <= 4, 'the pages never end')
    } while (cursor !== null)
    assert.equal(pages, 3)
    assert.equal(seen.length, 23, 'no subscription is listed twice')
    assert.deepEqual(new Set(seen), ids, 'no subscription is missing')
    assert.deepEqual(seen, [...seen].sort().reverse(), 'newest first')
  })

  it('refuses a page size outside 1–100 with 400 naming limit', async () => {
    for (const limit of ['0', '101', 'many']) {
      assertProblem(
        await t.call(t.keys.acme.user, 'GET', `${base}?limit=${limit}`),
        400,
        'invalid_input',
        'limit',
      )
    }
  })
})

describe('subscription routes: detail, test ping, last error, secrets', () => {
  it('shows a subscription with its 100 most recent delivery results, newest first', async () => {
    const created = await create(subscriptionBody(url('/detail')))
    const events: string[] = []
    for (let i = 0; i < 103; i++) {
      events.push((await t.hooks.publish({ tenant: 'acme', type: 'order.created', data: i })).id)
      t.clock.advance(1)
    }
    // Past the subscription's cap of 10 in flight, the worker defers deliveries by a second.
    await t.hooks.drain()
    for (let i = 0; i < 30 && t.receiver.at('/detail').length < 103; i++) {
      t.clock.advance(1_000)
      await t.hooks.drain()
    }

    const detail = await t.call(t.keys.acme.user, 'GET', `${base}/${created.id}`)
    assert.equal(detail.status, 200, detail.text)
    assert.equal(detail.body.id, created.id)
    assert.equal(detail.body.config.secret, undefined)
    const recent = detail.body.recentDeliveries as { eventId: string; status: string }[]
    assert.equal(recent.length, 100)
    assert.deepEqual(
      recent.map((d) => d.eventId),
      events.slice(3).reverse(),
    )
    assert.ok(recent.every((d) => d.status === 'succeeded'))
    assert.equal(t.receiver.at('/detail').length, 103)
  })

  it('lists its deliveries, filtered by status', async () => {
    const created = await create(
      subscriptionBody(url('/dl'), ['order.created'], { retrySchedule: [] }),
    )
    t.receiver.queue('/dl', { kind: 'status', status: 500 })
    await publish('order.created')
    await t.hooks.drain()
    t.clock.advance(1)
    await publish('order.created')
    await t.hooks.drain()

    const all = await t.call(t.keys.acme.user, 'GET', `${base}/${created.id}/deliveries`)
    assert.equal(all.status, 200, all.text)
    assert.deepEqual(
      all.body.data.map((d: { status: string }) => d.status),
      ['succeeded', 'failed'],
    )
    assert.equal(all.body.nextCursor, null)
    const failed = await t.call(
      t.keys.acme.user,
      'GET',
      `${base}/${created.id}/deliveries?status=failed`,
    )
    assert.equal(failed.body.data.length, 1)
    assert.equal(failed.body.data[0].lastStatusCode, 500)
    assert.equal(failed.body.data[0].attempts, 1)
    const page = await t.call(t.keys.acme.user, 'GET', `${base}/${created.id}/deliveries?limit=1`)
    assert.equal(page.body.data.length, 1)
    assert.equal(typeof page.body.nextCursor, 'string')
  })

  it('sends a test ping synchronously and answers the receiver’s status and body', async () => {
    const created = await create(subscriptionBody(url('/ping')))
    t.receiver.queue(
      '/ping',
      { kind: 'status', status: 202, body: 'pong' },
      { kind: 'status', status: 503, body: 'down for maintenance' },
    )

    const ok = await t.call(t.keys.acme.user, 'POST', `${base}/${created.id}/test`)
    assert.equal(ok.status, 200, ok.text)
    assert.equal(ok.body.success, true)
    assert.equal(ok.body.statusCode, 202)
    assert.equal(ok.body.response, 'pong')
    assert.equal(typeof ok.body.durationMs, 'number')
    const request = t.receiver.at('/ping')[0]!
    assert.equal(request.method, 'POST')
    assert.equal(JSON.parse(request.body).type, 'ping')
    verifyStandard({
      secret: created.config.secret,
      headers: request.headers,
      body: request.body,
      now: t.clock.now,
    })

    const down = await t.call(t.keys.acme.user, 'POST', `${base}/${created.id}/test`)
    assert.equal(down.status, 200)
    assert.equal(down.body.success, false)
    assert.equal(down.body.statusCode, 503)
    assert.equal(down.body.response, 'down for maintenance')

    const deliveries = await t.call(t.keys.acme.user, 'GET', `${base}/${created.id}/deliveries`)
    assert.deepEqual(deliveries.body.data, [], 'a ping is not stored')
  })

  it('answers the last error: 404 before any failure, the failed attempt after one', async () => {
    const created = await create(subscriptionBody(url('/err')))
    const lastError = `${base}/${created.id}/last-error`
    assertProblem(await t.call(t.keys.acme.user, 'GET', lastError), 404, 'not_found')

    await publish('order.created')
    await t.hooks.drain()
    assertProblem(await t.call(t.keys.acme.user, 'GET', lastError), 404, 'not_found')

    t.receiver.queue('/err', { kind: 'status', status: 500, body: 'kaput' })
    await publish('order.created')
    await t.hooks.drain()
    const found = await t.call(t.keys.acme.user, 'GET', lastError)
    assert.equal(found.status, 200, found.text)
    assert.equal(found.body.statusCode, 500)
    assert.equal(found.body.responseBody, 'kaput')
    assert.equal(found.body.subscriptionId, created.id)
    assert.equal(found.body.trigger, 'scheduled')
    assert.match(found.body.id, /^att_/)
  })

  it('rotates the secret: a new one signs the next delivery, the old one only for 24 h', async () => {
    const created = await create(subscriptionBody(url('/rot')))
    const oldSecret: string = created.config.secret

    const rotated = await t.call(
      t.keys.acme.user,
      'POST',
      `${base}/${created.id}/rotate-secret`,
      {},
    )
    assert.equal(rotated.status, 200, rotated.text)
    const newSecret: string = rotated.body.secret
    assert.match(newSecret, /^whsec_/)
    assert.notEqual(newSecret, oldSecret)
    const graceEnd = new Date(t.clock.now + 24 * 3_600_000).toISOString()
    assert.equal(rotated.body.previousExpiresAt, graceEnd)

    await publish('order.created')
    await t.hooks.drain()
    const first = t.receiver.at('/rot')[0]!
    const input = { headers: first.headers, body: first.body, now: t.clock.now }
    verifyStandard({ ...input, secret: newSecret })
    verifyStandard({ ...input, secret: oldSecret })

    t.clock.advance(25 * 3_600_000)
    await publish('order.created')
    await t.hooks.drain()
    const second = t.receiver.at('/rot')[1]!
    const later = { headers: second.headers, body: second.body, now: t.clock.now }
    verifyStandard({ ...later, secret: newSecret })
    assert.throws(() => verifyStandard({ ...later, secret: oldSecret }), { code: 'bad_signature' })
  })

  it('rotates to a given secret, and without a body at all', async () => {
    const created = await create(subscriptionBody(url('/rot2')))
    const chosen = `whsec_${Buffer.alloc(32, 7).toString('base64')}`
    const given = await t.call(t.keys.acme.user, 'POST', `${base}/${created.id}/rotate-secret`, {
      secret: chosen,
    })
    assert.equal(given.status, 200, given.text)
    assert.equal(given.body.secret, chosen)

    const bare = await t.call(t.keys.acme.user, 'POST', `${base}/${created.id}/rotate-secret`)
    assert.equal(bare.status, 200, bare.text)
    assert.match(bare.body.secret, /^whsec_/)
    assert.notEqual(bare.body.secret, chosen)
    // The first secret is still in its grace too; the answer says when the last one ends.
    t.clock.advance(3_600_000)
    const third = await t.call(t.keys.acme.user, 'POST', `${base}/${created.id}/rotate-secret`)
    const graceEnd = new Date(t.clock.now + 24 * 3_600_000).toISOString()
    assert.equal(third.body.previousExpiresAt, graceEnd)
    // Once the old ones have expired, rotating to the secret that signs now leaves no other.
    t.clock.advance(25 * 3_600_000)
    const alone = await t.call(t.keys.acme.user, 'POST', `${base}/${created.id}/rotate-secret`, {
      secret: third.body.secret,
    })
    assert.equal(alone.body.secret, third.body.secret)
    assert.equal(alone.body.previousExpiresAt, null, alone.text)

    assertProblem(
      await t.call(t.keys.acme.user, 'POST', `${base}/${created.id}/rotate-secret`, {
        secret: 'short',
      }),
      400,
      'invalid_input',
      'secret',
    )
  })
})
