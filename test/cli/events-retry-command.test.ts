import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { api, failure, hookrelay, ok, useCliServer } from './cli-server.ts'
import { poll } from '../support/http.ts'

const t = useCliServer()

type Deliveries = { data: { eventType: string; status: string }[] }

describe('hookrelay events retry', () => {
  it('sends again, now, the failed deliveries of the events the filters select', async () => {
    t.receiver.always('/down', { kind: 'status', status: 500 })
    // Its own schedule: no retry within the test, so only the bulk retry can send again.
    const sub = await api<{ id: string }>(t.server, t.key, 'POST', '/webhooks/subscriptions', {
      name: 'Orders',
      events: ['order.*'],
      config: { url: `${t.receiver.url}/down` },
      retrySchedule: [3_600_000],
    })
    for (const [type, n] of [
      ['order.created', 1],
      ['order.paid', 2],
    ] as const) {
      await api(t.server, t.key, 'POST', '/webhooks/events', { type, data: { n } })
    }
    const deliveries = () =>
      api<Deliveries>(t.server, t.key, 'GET', `/webhooks/subscriptions/${sub.id}/deliveries`)
    await poll(deliveries, (page) => page.data.filter((d) => d.status === 'retrying').length === 2)
    assert.equal(t.receiver.at('/down').length, 2)

    t.receiver.always('/down', { kind: 'status', status: 200 })
    const run = await hookrelay(
      ['events', 'retry', '--type', 'order.created', '--since', '10m'],
      t.asTenant(),
    )
    assert.equal(ok(run), 'Queued 1 delivery again\n')
    const page = await poll(deliveries, (p) => p.data.some((d) => d.status === 'succeeded'))
    const statusOf = (type: string) => page.data.find((d) => d.eventType === type)?.status
    assert.equal(statusOf('order.created'), 'succeeded')
    assert.equal(statusOf('order.paid'), 'retrying')
    const received = t.receiver.at('/down').map((r) => JSON.parse(r.body).data.n)
    assert.deepEqual(received.slice(2), [1])

    const again = await hookrelay(
      ['events', 'retry', '--status', 'retrying', '--since', '10m', '--json'],
      t.asTenant(),
    )
    assert.deepEqual(JSON.parse(ok(again)), { queued: 1, skipped: 0, more: false })
  })

  it('says in one line what is wrong with the filters', async () => {
    const line = (args: string[]) => hookrelay(['events', 'retry', ...args], t.asTenant())
    assert.match(failure(await line([])), /give at least one of --type, --since, --until/)
    assert.match(
      failure(await line(['--status', 'succeeded'])),
      /'succeeded' is invalid.*failed, retrying/,
    )
    assert.match(failure(await line(['--since', 'yesterday'])), /--since must be an ISO time/)
    assert.match(
      failure(await line(['--since', '1h', '--until', '2h'])),
      /until: must be after since/,
    )
  })
})
