import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { verifyStandard } from '../../src/receiver/index.ts'
import { contactChange } from '../support/engine.ts'
import { assertProblem, subscriptionBody, useServer } from '../support/server.ts'

const t = useServer()
const url = (path: string) => `${t.receiver.url}${path}`

async function subscribe(path: string, events: string[], more: Record<string, unknown> = {}) {
  const response = await t.call(
    t.keys.acme.user,
    'POST',
    '/webhooks/subscriptions',
    subscriptionBody(url(path), events, more),
  )
  assert.equal(response.status, 201, response.text)
  return response.body
}

async function publish(body: Record<string, unknown>) {
  const response = await t.call(t.keys.acme.service, 'POST', '/webhooks/events', body)
  assert.equal(response.status, 202, response.text)
  return response.body as { id: string; type: string; deliveries: number }
}

describe('event routes: publishing', () => {
  it('publishes with 202 and the count of matched subscriptions, delivered signed', async () => {
    const sub = await subscribe('/pub', ['order.*'])
    await subscribe('/other', ['invoice.paid'])
    const published = await t.call(t.keys.acme.service, 'POST', '/webhooks/events', {
      type: 'order.created',
      data: { id: 42 },
    })
    assert.equal(published.status, 202, published.text)
    assert.match(published.body.id, /^evt_/)
    assert.equal(published.body.type, 'order.created')
    assert.equal(published.body.deliveries, 1)

    await t.hooks.drain()
    const [request] = t.receiver.at('/pub')
    assert.ok(request)
    assert.equal(t.receiver.at('/other').length, 0)
    const envelope = JSON.parse(request.body)
    assert.equal(envelope.id, published.body.id)
    assert.equal(envelope.tenant, 'acme')
    assert.deepEqual(envelope.data, { id: 42 })
    verifyStandard({
      secret: sub.config.secret,
      headers: request.headers,
      body: request.body,
      now: t.clock.now,
    })
  })

  it('returns the first event again for a repeated idempotency key', async () => {
    await subscribe('/idem', ['order.created'])
    const first = await publish({ type: 'order.created', data: 1, idempotencyKey: 'k1' })
    const again = await publish({ type: 'order.created', data: 2, idempotencyKey: 'k1' })
    assert.equal(again.id, first.id)
    await t.hooks.drain()
    assert.equal(t.receiver.at('/idem').length, 1)
    const list = await t.call(t.keys.acme.user, 'GET', '/webhooks/events')
    assert.equal(list.body.data.length, 1)
  })

  it('refuses bad publish bodies with 400 naming the field', async () => {
    const service = t.keys.acme.service
    assertProblem(
      await t.call(service, 'POST', '/webhooks/events', { data: 1 }),
      400,
      'invalid_input',
      'type',
    )
    assertProblem(
      await t.call(service, 'POST', '/webhooks/events', { type: 'bad name', data: 1 }),
      400,
      'invalid_input',
      'type',
    )
    assertProblem(
      await t.call(service, 'POST', '/webhooks/events', { type: 'a.b', tenant: 'globex' }),
      400,
      'invalid_input',
      'tenant',
    )
    const broken = await t.call(service, 'POST', '/webhooks/events', '{"type":', {
      'content-type': 'application/json',
    })
    assertProblem(broken, 400, 'invalid_json')
    const list = await t.call(t.keys.acme.user, 'GET', '/webhooks/events')
    assert.deepEqual(list.body.data, [])
  })

  it('lets only the service role publish', async () => {
    assertProblem(
      await t.call(t.keys.acme.user, 'POST', '/webhooks/events', { type: 'a.b' }),
      403,
      'forbidden',
    )
    assertProblem(
      await t.call(t.keys.acme.user, 'POST', '/webhooks/entity-changes', contactChange),
      403,
      'forbidden',
    )
    assert.equal(
      (await t.call(t.keys.acme.both, 'POST', '/webhooks/events', { type: 'a.b' })).status,
      202,
    )
  })

  it('publishes an entity change as contact.updated with the change as data', async () => {
    await subscribe('/contacts', ['contact.*'])
    const published = await t.call(
      t.keys.acme.service,
      'POST',
      '/webhooks/entity-changes',
      contactChange,
    )
    assert.equal(published.status, 202, published.text)
    assert.equal(published.body.type, 'contact.updated')
    assert.equal(published.body.deliveries, 1)

    await t.hooks.drain()
    const [request] = t.receiver.at('/contacts')
    assert.ok(request)
    const envelope = JSON.parse(request.body)
    assert.equal(envelope.type, 'contact.updated')
    assert.deepEqual(envelope.data, contactChange)

    const minimal = await t.call(t.keys.acme.service, 'POST', '/webhooks/entity-changes', {
      entity: 'file',
      id: 'f-1',
      action: 'download',
    })
    assert.equal(minimal.body.type, 'file.download')
    assertProblem(
      await t.call(t.keys.acme.service, 'POST', '/webhooks/entity-changes', {
        entity: 'contact',
        id: 7,
      }),
      400,
      'invalid_input',
      'action',
    )
  })
})

describe('event routes: history and retries', () => {
  it('lists the tenant’s events newest first, by type and in pages', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.push((await publish({ type: i % 2 === 0 ? 'order.created' : 'invoice.paid' })).id)
      t.clock.advance(1)
    }
    const all = await t.call(t.keys.acme.user, 'GET', '/webhooks/events')
    assert.equal(all.status, 200)
    assert.deepEqual(
      all.body.data.map((e: { id: string }) => e.id),
      [...ids].reverse(),
    )
    const orders = await t.call(t.keys.acme.user, 'GET', '/webhooks/events?type=order.created')
    assert.deepEqual(
      orders.body.data.map((e: { id: string }) => e.id),
      [ids[4], ids[2], ids[0]],
    )
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`
      const page = await t.call(t.keys.acme.user, 'GET', `/webhooks/events?limit=2${query}`)
      assert.ok(page.body.data.length <= 2)
      seen.push(...page.body.data.map((e: { id: string }) => e.id))
      cursor = page.body.nextCursor
    } while (cursor !== null && seen.length < 10)
    assert.deepEqual(seen, [...ids].reverse())
    assertProblem(await t.call(t.keys.acme.service, 'GET', '/webhooks/events'), 403, 'forbidden')
  })

  it('shows one event with its deliveries and every attempt', async () => {
    const good = await subscribe('/good', ['order.created'])
    const flaky = await subscribe('/flaky', ['order.created'])
    t.receiver.queue('/flaky', { kind: 'status', status: 500, body: 'first try fails' })
    const event = await publish({ type: 'order.created', data: { n: 1 } })
    assert.equal(event.deliveries, 2)
    await t.hooks.drain()
    t.clock.advance(5_000)
    await t.hooks.drain()

    const detail = await t.call(t.keys.acme.user, 'GET', `/webhooks/events/${event.id}`)
    assert.equal(detail.status, 200, detail.text)
    assert.equal(detail.body.id, event.id)
    assert.equal(detail.body.type, 'order.created')
    assert.deepEqual(detail.body.data, { n: 1 })
    const bySubscription = new Map<string, { status: string; attempts: number }>(
      detail.body.deliveries.map((d: { subscriptionId: string }) => [d.subscriptionId, d]),
    )
    assert.equal(bySubscription.get(good.id)?.status, 'succeeded')
    assert.equal(bySubscription.get(good.id)?.attempts, 1)
    assert.equal(bySubscription.get(flaky.id)?.status, 'succeeded')
    assert.equal(bySubscription.get(flaky.id)?.attempts, 2)
    const attempts = detail.body.attempts as {
      subscriptionId: string
      statusCode: number
      responseBody: string
    }[]
    assert.equal(attempts.length, 3)
    const flakyCodes = attempts
      .filter((a) => a.subscriptionId === flaky.id)
      .map((a) => a.statusCode)
      .sort()
    assert.deepEqual(flakyCodes, [200, 500])
    assert.ok(attempts.some((a) => a.responseBody === 'first try fails'))

    assertProblem(
      await t.call(t.keys.acme.user, 'GET', '/webhooks/events/evt_01JZZZZZZZZZZZZZZZZZZZZZZZ'),
      404,
      'not_found',
    )
  })

  it('re-sends one delivery by hand and records a manual attempt', async () => {
    const sub = await subscribe('/manual', ['order.created'], { retrySchedule: [] })
    t.receiver.queue('/manual', { kind: 'status', status: 500 })
    const event = await publish({ type: 'order.created' })
    await t.hooks.drain()
    const before = await t.call(t.keys.acme.user, 'GET', `/webhooks/events/${event.id}`)
    const delivery = before.body.deliveries[0]
    assert.equal(delivery.status, 'failed')

    const retried = await t.call(
      t.keys.acme.user,
      'POST',
      `/webhooks/deliveries/${delivery.id}/retry`,
    )
    assert.equal(retried.status, 200, retried.text)
    assert.equal(retried.body.trigger, 'manual')
    assert.equal(retried.body.statusCode, 200)
    assert.equal(retried.body.deliveryId, delivery.id)

    const requests = t.receiver.at('/manual')
    assert.equal(requests.length, 2)
    assert.equal(requests[1]!.headers['webhook-id'], requests[0]!.headers['webhook-id'])
    verifyStandard({
      secret: sub.config.secret,
      headers: requests[1]!.headers,
      body: requests[1]!.body,
      now: t.clock.now,
    })

    const after = await t.call(t.keys.acme.user, 'GET', `/webhooks/events/${event.id}`)
    assert.deepEqual(after.body.attempts.map((a: { trigger: string }) => a.trigger).sort(), [
      'manual',
      'scheduled',
    ])
    assert.equal(after.body.deliveries[0].status, 'succeeded')

    assertProblem(
      await t.call(
        t.keys.acme.user,
        'POST',
        '/webhooks/deliveries/dlv_01JZZZZZZZZZZZZZZZZZZZZZZZ/retry',
      ),
      404,
      'not_found',
    )
    assertProblem(
      await t.call(t.keys.acme.service, 'POST', `/webhooks/deliveries/${delivery.id}/retry`),
      403,
      'forbidden',
    )
  })
})

describe('event-type routes: the catalogue', () => {
  const schema = {
    type: 'object',
    properties: { id: { type: 'integer' } },
    required: ['id'],
  }

  it('lets an admin define a type with a JSON Schema that publishing then enforces', async () => {
    const defined = await t.call(t.adminKey, 'PUT', '/webhooks/event-types/order.created', {
      description: 'An order was placed',
      schema,
    })
    assert.equal(defined.status, 200, defined.text)
    assert.equal(defined.body.name, 'order.created')
    assert.deepEqual(defined.body.schema, schema)

    const missing = await t.call(t.keys.acme.service, 'POST', '/webhooks/events', {
      type: 'order.created',
      data: { note: 'no id' },
    })
    assertProblem(missing, 400, 'schema_mismatch', 'data')
    const wrongType = await t.call(t.keys.acme.service, 'POST', '/webhooks/events', {
      type: 'order.created',
      data: { id: 'forty-two' },
    })
    assertProblem(wrongType, 400, 'schema_mismatch', 'data.id')
    assert.deepEqual((await t.call(t.keys.acme.user, 'GET', '/webhooks/events')).body.data, [])

    await publish({ type: 'order.created', data: { id: 42 } })
    await publish({ type: 'order.shipped', data: 'no schema, anything goes' })
  })

  it('refuses a schema that could not be checked in linear time with a 400 naming the pattern', async () => {
    const refused = await t.call(t.adminKey, 'PUT', '/webhooks/event-types/order.created', {
      schema: { type: 'object', properties: { code: { type: 'string', pattern: '^(\\w)\\1$' } } },
    })
    assertProblem(refused, 400, 'invalid_input', 'schema')
    assert.ok(refused.body.detail.includes(String.raw`pattern "^(\\w)\\1$" is not supported`))
  })

  it('lets users read the catalogue but not change it', async () => {
    await t.call(t.adminKey, 'PUT', '/webhooks/event-types/order.created', {
      description: 'An order was placed',
    })
    await t.call(t.adminKey, 'PUT', '/webhooks/event-types/contact.updated', { schema })

    const list = await t.call(t.keys.acme.user, 'GET', '/webhooks/event-types')
    assert.equal(list.status, 200, list.text)
    assert.deepEqual(
      list.body.data.map((e: { name: string }) => e.name),
      ['contact.updated', 'order.created'],
    )
    assert.equal(list.body.nextCursor, null)
    const one = await t.call(t.keys.acme.user, 'GET', '/webhooks/event-types/order.created')
    assert.equal(one.status, 200)
    assert.equal(one.body.description, 'An order was placed')
    assert.equal(one.body.schema, null)
    assertProblem(
      await t.call(t.keys.acme.user, 'GET', '/webhooks/event-types/order.none'),
      404,
      'not_found',
    )

    for (const key of [t.keys.acme.user, t.keys.acme.both, t.keys.acme.service]) {
      assertProblem(
        await t.call(key, 'PUT', '/webhooks/event-types/order.created', { description: 'mine' }),
        403,
        'forbidden',
      )
    }
    const after = await t.call(t.keys.acme.user, 'GET', '/webhooks/event-types/order.created')
    assert.equal(after.body.description, 'An order was placed')
  })

  it('lists the types the tenant published but nobody registered, marked as such', async () => {
    await t.call(t.adminKey, 'PUT', '/webhooks/event-types/order.created', { description: 'x' })
    await t.call(t.adminKey, 'PUT', '/webhooks/event-types/contact.updated', { schema })
    await publish({ type: 'order.created', data: { id: 1 } })
    t.clock.advance(60_000)
    await publish({ type: 'audit.logged', data: 'seen, never registered' })
    const globex = { type: 'globex.only', data: {} }
    await t.call(t.keys.globex.service, 'POST', '/webhooks/events', globex)

    const list = await t.call(t.keys.acme.user, 'GET', '/webhooks/event-types')
    assert.equal(list.status, 200, list.text)
    const at = (ms: number) => new Date(ms).toISOString()
    assert.deepEqual(
      list.body.data.map((e: Record<string, unknown>) => [e.name, e.registered, e.lastSeenAt]),
      [
        ['audit.logged', false, at(t.clock.now)],
        ['contact.updated', true, null],
        ['order.created', true, at(t.clock.now - 60_000)],
      ],
    )
    assert.deepEqual(list.body.data[0], {
      name: 'audit.logged',
      registered: false,
      description: null,
      schema: null,
      lastSeenAt: at(t.clock.now),
    })
    // An admin key acting for no tenant has published nothing: the registered types only.
    const admin = await t.call(t.adminKey, 'GET', '/webhooks/event-types')
    assert.deepEqual(
      admin.body.data.map((e: Record<string, unknown>) => [e.name, e.registered, e.lastSeenAt]),
      [
        ['contact.updated', true, null],
        ['order.created', true, null],
      ],
    )
  })

  it('refuses a bad event type definition with 400 naming the field', async () => {
    assertProblem(
      await t.call(t.adminKey, 'PUT', '/webhooks/event-types/order.created', {
        schema: { type: 'no-such-type' },
      }),
      400,
      'invalid_input',
      'schema',
    )
    assertProblem(
      await t.call(t.adminKey, 'PUT', '/webhooks/event-types/bad%20name', { description: 'x' }),
      400,
      'invalid_input',
      'name',
    )
    assertProblem(
      await t.call(t.adminKey, 'PUT', '/webhooks/event-types/order.created', { title: 'x' }),
      400,
      'invalid_input',
      'title',
    )
  })
})
