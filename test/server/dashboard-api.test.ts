import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { verifyStandard } from '../../src/receiver/index.ts'
import { assertProblem, startServer, subscriptionBody, useServer } from '../support/server.ts'

// The routes the dashboard and the CLI are built on: acting for a tenant, who am I, tenants and
// keys, secrets, statistics, filtered events and the headers each attempt sent.
const t = useServer()

async function subscribe(path: string, events: string[]) {
  const response = await t.call(
    t.keys.acme.user,
    'POST',
    '/webhooks/subscriptions',
    subscriptionBody(`${t.receiver.url}${path}`, events),
  )
  assert.equal(response.status, 201, response.text)
  return response.body as { id: string; config: { secret: string } }
}

async function publish(type: string, data: unknown = {}) {
  const response = await t.call(t.keys.acme.service, 'POST', '/webhooks/events', { type, data })
  assert.equal(response.status, 202, response.text)
  return response.body as { id: string }
}

describe('an admin key acting for a tenant', () => {
  it('sees and changes that tenant’s objects with Hookrelay-Tenant, and only then', async () => {
    const sub = await subscribe('/acting', ['order.*'])
    const as = (tenant: string) => ({ 'hookrelay-tenant': tenant })
    const list = await t.call(t.adminKey, 'GET', '/webhooks/subscriptions', undefined, as('acme'))
    assert.equal(list.status, 200, list.text)
    assert.deepEqual(
      list.body.data.map((s: { id: string }) => s.id),
      [sub.id],
    )
    const other = await t.call(t.adminKey, 'GET', `/webhooks/subscriptions/${sub.id}`, undefined, {
      'hookrelay-tenant': 'globex',
    })
    assertProblem(other, 404, 'not_found')
    const published = await t.call(
      t.adminKey,
      'POST',
      '/webhooks/events',
      { type: 'order.created', data: {} },
      as('acme'),
    )
    assert.equal(published.status, 202, published.text)
    assert.equal(published.body.deliveries, 1)
    assertProblem(await t.call(t.adminKey, 'GET', '/webhooks/subscriptions'), 403, 'forbidden')
  })

  it('refuses the header from tenant keys, and a malformed tenant with 400', async () => {
    const stolen = await t.call(t.keys.globex.both, 'GET', '/webhooks/subscriptions', undefined, {
      'hookrelay-tenant': 'acme',
    })
    assertProblem(stolen, 403, 'forbidden')
    const bad = await t.call(t.adminKey, 'GET', '/webhooks/subscriptions', undefined, {
      'hookrelay-tenant': 'no spaces allowed',
    })
    assertProblem(bad, 400, 'invalid_input', 'Hookrelay-Tenant')
  })

  it('keeps one rate limit per admin key, whichever tenant it acts for', async () => {
    const limited = await startServer({ server: { rateLimit: 2 } })
    try {
      const as = (tenant: string) =>
        limited.call(limited.adminKey, 'GET', '/webhooks/subscriptions', undefined, {
          'hookrelay-tenant': tenant,
        })
      assert.equal((await as('acme')).status, 200)
      assert.equal((await as('acme')).status, 200)
      assertProblem(await as('globex'), 429, 'rate_limited')
    } finally {
      await limited.close()
    }
  })

  it('answers who the caller is', async () => {
    const tenantKey = await t.call(t.keys.acme.service, 'GET', '/webhooks/me')
    assert.equal(tenantKey.status, 200, tenantKey.text)
    assert.equal(tenantKey.body.tenant, 'acme')
    assert.deepEqual(tenantKey.body.roles, ['service'])
    assert.match(tenantKey.body.keyId, /^key_/)
    const admin = await t.call(t.adminKey, 'GET', '/webhooks/me')
    assert.equal(admin.body.tenant, null)
    assert.deepEqual(admin.body.roles, ['admin'])
    assertProblem(await t.call(null, 'GET', '/webhooks/me'), 401, 'unauthorized')
  })
})

describe('admin lists', () => {
  it('lists tenants, and a tenant’s keys without the keys themselves', async () => {
    const tenants = await t.call(t.adminKey, 'GET', '/admin/tenants')
    assert.equal(tenants.status, 200, tenants.text)
    assert.deepEqual(
      tenants.body.data.map((x: { id: string }) => x.id),
      ['acme', 'globex'],
    )
    const keys = await t.call(t.adminKey, 'GET', '/admin/tenants/acme/keys')
    assert.equal(keys.status, 200, keys.text)
    assert.equal(keys.body.data.length, 3)
    for (const key of keys.body.data) {
      assert.equal(key.tenant, 'acme')
      assert.equal(key.key, undefined)
      assert.ok(!keys.text.includes(t.keys.acme.user), 'a key was shown again')
    }
    assertProblem(await t.call(t.adminKey, 'GET', '/admin/tenants/nobody/keys'), 404, 'not_found')
    assertProblem(await t.call(t.keys.acme.both, 'GET', '/admin/tenants'), 403, 'forbidden')
  })
})

describe('subscription secret and statistics', () => {
  it('reveals the signing secret, which changes on rotation', async () => {
    const sub = await subscribe('/secret', ['order.*'])
    const shown = await t.call(t.keys.acme.user, 'GET', `/webhooks/subscriptions/${sub.id}/secret`)
    assert.equal(shown.status, 200, shown.text)
    assert.equal(shown.body.secret, sub.config.secret)
    const rotated = await t.call(
      t.keys.acme.user,
      'POST',
      `/webhooks/subscriptions/${sub.id}/rotate-secret`,
      {},
    )
    const after = await t.call(t.keys.acme.user, 'GET', `/webhooks/subscriptions/${sub.id}/secret`)
    assert.equal(after.body.secret, rotated.body.secret)
    assert.notEqual(after.body.secret, sub.config.secret)
  })

  it('counts attempts per minute by outcome, with latency percentiles and a summary', async () => {
    const sub = await subscribe('/stats', ['order.*'])
    const quiet = await subscribe('/quiet', ['invoice.*'])
    t.receiver.queue('/stats', { kind: 'status', status: 500 })
    await publish('order.created')
    await publish('order.updated')
    await t.hooks.drain()
    t.clock.advance(90_000)
    await publish('order.deleted')
    await t.hooks.drain()

    const stats = await t.call(t.keys.acme.user, 'GET', `/webhooks/subscriptions/${sub.id}/stats`)
    assert.equal(stats.status, 200, stats.text)
    const body = stats.body
    assert.equal(body.subscriptionId, sub.id)
    // The failed first attempt was retried within the same drain only if due; count what ran.
    assert.equal(body.totals.attempts, body.totals.succeeded + body.totals.failed)
    assert.ok(body.totals.failed >= 1, stats.text)
    assert.ok(body.totals.succeeded >= 3, stats.text)
    assert.equal(body.totals.successRate, body.totals.succeeded / body.totals.attempts)
    assert.equal(body.perMinute.length, 2, 'two separate minutes had attempts')
    const perMinute = body.perMinute as { minute: string; succeeded: number; failed: number }[]
    assert.ok(perMinute[0]!.minute < perMinute[1]!.minute, 'oldest first')
    assert.equal(
      perMinute.reduce((n, m) => n + m.succeeded + m.failed, 0),
      body.totals.attempts,
    )
    assert.equal(typeof body.latency.p99, 'number')
    assert.ok(body.latency.p50 <= body.latency.p95 && body.latency.p95 <= body.latency.p99)
    assert.equal(body.latencyPerHour.length, 1)
    assert.equal(body.truncated, false)

    const empty = await t.call(t.keys.acme.user, 'GET', `/webhooks/subscriptions/${quiet.id}/stats`)
    assert.equal(empty.body.totals.attempts, 0)
    assert.equal(empty.body.totals.successRate, null)
    assert.equal(empty.body.latency, null)

    const summary = await t.call(t.keys.acme.user, 'GET', '/webhooks/subscriptions/stats')
    assert.equal(summary.status, 200, summary.text)
    assert.deepEqual(
      summary.body.data.map((row: { subscriptionId: string }) => row.subscriptionId),
      [sub.id],
    )
    const [row] = summary.body.data
    assert.equal(row.attempts, body.totals.attempts)
    assert.equal(row.lastStatusCode, 200)
    assert.equal(row.lastAttemptAt, body.lastAttemptAt)

    const outOfWindow = await t.call(
      t.keys.acme.user,
      'GET',
      `/webhooks/subscriptions/${sub.id}/stats?hours=0`,
    )
    assertProblem(outOfWindow, 400, 'invalid_input')
  })
})

describe('event log filters and attempt headers', () => {
  it('filters events by time and delivery status, with delivery counts', async () => {
    await subscribe('/log', ['order.*'])
    t.receiver.always('/log', { kind: 'status', status: 410 })
    const first = await publish('order.created')
    await t.hooks.drain()
    t.receiver.always('/log', { kind: 'status', status: 200 })
    // The 410 disabled the subscription: a second one receives the later events.
    await subscribe('/log2', ['order.*'])
    t.clock.advance(60_000)
    const second = await publish('order.updated')
    await t.hooks.drain()
    // A receiver that is down: its delivery failed once and waits for the next attempt.
    await subscribe('/down', ['invoice.*'])
    t.receiver.always('/down', { kind: 'status', status: 500 })
    const third = await publish('invoice.paid')
    await t.hooks.drain()

    const all = await t.call(t.keys.acme.user, 'GET', '/webhooks/events')
    const counts = Object.fromEntries(
      all.body.data.map((e: { id: string; deliveryCounts: unknown }) => [e.id, e.deliveryCounts]),
    )
    const none = { pending: 0, retrying: 0, succeeded: 0, failed: 0, cancelled: 0 }
    assert.deepEqual(counts[first.id], { ...none, failed: 1 })
    assert.deepEqual(counts[second.id], { ...none, succeeded: 1 })
    assert.deepEqual(counts[third.id], { ...none, retrying: 1 })

    const ids = async (query: string) => {
      const response = await t.call(t.keys.acme.user, 'GET', `/webhooks/events?${query}`)
      assert.equal(response.status, 200, response.text)
      return response.body.data.map((e: { id: string }) => e.id)
    }
    // "Has failed" finds the delivery waiting for its retry too.
    assert.deepEqual(await ids('status=failed'), [third.id, first.id])
    assert.deepEqual(await ids('status=retrying'), [third.id])
    assert.deepEqual(await ids('status=succeeded'), [second.id])
    const secondAt = new Date(t.clock.now).toISOString()
    assert.deepEqual(await ids(`since=${encodeURIComponent(secondAt)}`), [third.id, second.id])
    const before = await ids(`until=${encodeURIComponent(secondAt)}`)
    assert.ok(before.includes(first.id) && !before.includes(second.id), String(before))
    assertProblem(
      await t.call(t.keys.acme.user, 'GET', '/webhooks/events?since=yesterday'),
      400,
      'invalid_input',
    )
  })

  it('records the headers each attempt sent, signature included', async () => {
    const sub = await subscribe('/headers', ['order.*'])
    const event = await publish('order.created', { id: 7 })
    await t.hooks.drain()
    const detail = await t.call(t.keys.acme.user, 'GET', `/webhooks/events/${event.id}`)
    const [attempt] = detail.body.attempts
    assert.equal(attempt.requestHeaders['content-type'], 'application/json')
    assert.equal(attempt.requestHeaders['webhook-id'], event.id)
    const [received] = t.receiver.at('/headers')
    assert.ok(received)
    assert.equal(attempt.requestHeaders['webhook-signature'], received.headers['webhook-signature'])
    verifyStandard({
      secret: sub.config.secret,
      headers: attempt.requestHeaders,
      body: received.body,
      now: t.clock.now,
    })
  })
})
