import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { api, failure, hookrelay, ok, useCliServer } from './cli-server.ts'
import { poll } from '../support/http.ts'

const t = useCliServer()

async function subscribe(path: string): Promise<string> {
  const created = await api<{ id: string }>(t.server, t.key, 'POST', '/webhooks/subscriptions', {
    name: path,
    events: ['order.created'],
    config: { url: `${t.receiver.url}${path}` },
  })
  return created.id
}

type Deliveries = { data: { status: string }[] }
const deliveriesOf = (id: string) =>
  api<Deliveries>(t.server, t.key, 'GET', `/webhooks/subscriptions/${id}/deliveries`)

describe('hookrelay recover', () => {
  let gone = ''
  let healthy = ''

  it('with no ids skips a subscription that is not active, and says so', async () => {
    // 410 Gone fails a delivery at once and disables the subscription: the quickest failure.
    t.receiver.always('/gone', { kind: 'status', status: 410 })
    gone = await subscribe('/gone')
    healthy = await subscribe('/healthy')
    for (const n of [1, 2]) {
      await api(t.server, t.key, 'POST', '/webhooks/events', { type: 'order.created', data: { n } })
    }
    const settled = await poll(
      () => deliveriesOf(gone),
      (page) => page.data.length === 2 && page.data.every((d) => d.status !== 'pending'),
    )
    // The first 410 fails its delivery; the other may have been cancelled by the disabling.
    assert.ok(
      settled.data.some((d) => d.status === 'failed'),
      JSON.stringify(settled),
    )
    const run = await hookrelay(['recover', '--since', '1h'], t.asTenant())
    assert.match(
      ok(run),
      new RegExp(
        `^Re-queued 0 deliveries of 1 subscription since \\S+; skipped, not active: ${gone} \\(disabled\\)\n$`,
      ),
    )
  })

  it('re-queues the failed deliveries of every subscription, and they arrive', async () => {
    t.receiver.always('/gone', { kind: 'status', status: 200 })
    ok(await hookrelay(['subs', 'update', gone, '--resume'], t.asTenant()))
    const before = t.receiver.at('/gone').length
    const run = await hookrelay(['recover', '--since', '30m'], t.asTenant())
    assert.match(ok(run), /^Re-queued 2 deliveries of 2 subscriptions since \S+\n$/)
    // stderr is no terminal here, so no progress bar was drawn on it.
    assert.equal(run.stderr, '')
    await poll(
      async () => t.receiver.at('/gone').length,
      (count) => count >= before + 2,
    )
    const data = t.receiver
      .at('/gone')
      .slice(before)
      .map((r) => JSON.parse(r.body).data.n)
    assert.deepEqual(data.sort(), [1, 2])
    const page = await poll(
      () => deliveriesOf(gone),
      (p) => p.data.every((d) => d.status === 'succeeded'),
    )
    assert.ok(page.data.every((d) => d.status === 'succeeded'))
  })

  it('recovers only the given ids, and --json prints what each came to', async () => {
    const run = await hookrelay(['recover', healthy, '--since', '2h', '--json'], t.asTenant())
    const result = JSON.parse(ok(run))
    assert.equal(result.queued, 0)
    assert.deepEqual(result.subscriptions, [{ id: healthy, queued: 0 }])
    assert.ok(Date.parse(result.since) < Date.now() - 7_100_000)
  })

  it('shows a receiver that answers 500 as failing at once, and recover sends it again now', async () => {
    t.receiver.always('/down', { kind: 'status', status: 500 })
    // Its own schedule: no retry within the test, so only recover can send it again.
    const down = await api<{ id: string }>(t.server, t.key, 'POST', '/webhooks/subscriptions', {
      name: 'Billing',
      events: ['invoice.paid'],
      config: { url: `${t.receiver.url}/down` },
      retrySchedule: [3_600_000],
    })
    const event = await api<{ id: string }>(t.server, t.key, 'POST', '/webhooks/events', {
      type: 'invoice.paid',
      data: { invoice: 7 },
    })
    await poll(
      () => deliveriesOf(down.id),
      (page) => page.data[0]?.status === 'retrying',
    )
    const events = ok(await hookrelay(['events', 'list', '--status', 'failed'], t.asTenant()))
    assert.match(events, new RegExp(`^${event.id} +invoice\\.paid .* 1 retrying$`, 'm'))
    const subs = ok(await hookrelay(['subs', 'list'], t.asTenant())).split('\n')
    // Failing ones first.
    assert.match(
      subs[1]!,
      new RegExp(
        `^${down.id} +Billing +active +failing for \\S+ · 1 failure in a row · disables in `,
      ),
    )

    t.receiver.always('/down', { kind: 'status', status: 200 })
    const run = ok(await hookrelay(['recover', down.id, '--since', '10m'], t.asTenant()))
    assert.match(run, /^Re-queued 1 delivery of 1 subscription since \S+\n$/)
    await poll(
      () => deliveriesOf(down.id),
      (page) => page.data[0]?.status === 'succeeded',
    )
    assert.equal(t.receiver.at('/down').length, 2)
    const health = ok(await hookrelay(['subs', 'list', '--health', 'failing'], t.asTenant()))
    assert.equal(health, 'No subscriptions.\n')
  })

  it('an unknown id is a one-line 404 that names it', async () => {
    const line = failure(await hookrelay(['recover', 'sub_nope', '--since', '1h'], t.asTenant()))
    assert.match(line, /^error: sub_nope: .*not found \(not_found, HTTP 404\)$/)
  })

  it('refuses a --since that is neither an ISO time nor a time ago, naming the flag', async () => {
    const line = failure(await hookrelay(['recover', '--since', 'yesterday'], t.asTenant()))
    assert.match(line, /^error: --since must be an ISO time .* not "yesterday"$/)
    const missing = failure(await hookrelay(['recover'], t.asTenant()))
    assert.match(missing, /--since/)
  })
})
