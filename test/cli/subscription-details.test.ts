import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { verifyStandard } from '../../src/receiver/index.ts'
import { poll } from '../support/http.ts'
import { api, failure, hookrelay, ok, useCliServer } from './cli-server.ts'

const t = useCliServer()
/** A time as the CLI prints it. */
const time = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ'

interface Created {
  id: string
  config: { url: string; secret: string }
}

/** A subscription made through the REST API, so it can have fields the flags do not set. */
function subscribe(path: string, more: Record<string, unknown> = {}): Promise<Created> {
  return api<Created>(t.server, t.key, 'POST', '/webhooks/subscriptions', {
    name: `Sub ${path}`,
    events: [`${path.slice(1)}.*`],
    config: { url: `${t.receiver.url}${path}` },
    ...more,
  })
}

/** Publishes `count` events of the path's type and waits until every delivery is over. */
async function deliver(sub: Created, type: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await api(t.server, t.key, 'POST', '/webhooks/events', { type, data: { i } })
  }
  await poll(
    () =>
      api<{ data: { status: string }[] }>(
        t.server,
        t.key,
        'GET',
        `/webhooks/subscriptions/${sub.id}/deliveries`,
      ),
    (page) => page.data.length === count && page.data.every((d) => d.status !== 'pending'),
  )
}

describe('hookrelay subs show, stats, rotate-secret', () => {
  it('show prints every field and the latest deliveries, and never the secret', async () => {
    const sub = await subscribe('/shown', {
      headers: { 'x-team': 'sales' },
      description: 'for sales',
      rateLimit: 2.5,
      retrySchedule: [500, 5_000, 300_000, 7_200_000],
      payload: 'data',
    })
    await deliver(sub, 'shown.created', 1)
    const out = ok(await hookrelay(['subs', 'show', sub.id], t.asTenant()))
    const fields = [
      `ID +${sub.id}`,
      'Name +Sub /shown',
      'State +active',
      'Disabled because +-',
      'Health +healthy',
      'Events +shown\\.\\*',
      `URL +${t.receiver.url}/shown`,
      'Content type +application/json',
      'Signature +standard',
      'Payload +data',
      'Headers +x-team: sales',
      'Description +for sales',
      'Rate limit +2\\.5 a second',
      'Retries after +500 ms, 5 s, 5 min, 2 h',
      'Created by +key_\\w+',
      `Created +${time}`,
      `Updated +${time}`,
    ]
    assert.match(out, new RegExp(`^${fields.join('\n')}\n`), out)
    assert.match(out, /\nLatest deliveries, newest first:\nID +EVENT +TYPE +STATUS +ATTEMPTS/)
    assert.match(out, /^dlv_\w+ +evt_\w+ +shown\.created +succeeded +1 +HTTP 200/m)
    assert.ok(!out.includes(sub.config.secret), 'show printed the secret')

    const json = await hookrelay(['subs', 'show', sub.id, '--json'], t.asTenant())
    const answer = JSON.parse(ok(json))
    assert.deepEqual(answer.retrySchedule, [500, 5_000, 300_000, 7_200_000])
    assert.equal(answer.recentDeliveries.length, 1)
    assert.ok(!json.stdout.includes(sub.config.secret), 'show --json printed the secret')
  })

  it('show of a subscription without deliveries says so, with defaults in words', async () => {
    const sub = await subscribe('/quiet')
    const out = ok(await hookrelay(['subs', 'show', sub.id], t.asTenant()))
    assert.match(out, /^Headers +none$/m)
    assert.match(out, /^Description +-$/m)
    assert.match(out, /^Rate limit +none$/m)
    assert.match(out, /^Retries after +the server's schedule$/m)
    assert.match(out, /\n\nNo deliveries yet\.\n$/)
    const missing = failure(await hookrelay(['subs', 'show', 'sub_nope'], t.asTenant()))
    assert.equal(missing, 'error: subscription sub_nope not found (not_found, HTTP 404)')
  })

  it('show says why a subscription was disabled', async () => {
    const sub = await subscribe('/gone')
    t.receiver.queue('/gone', { kind: 'status', status: 410 })
    await deliver(sub, 'gone.created', 1)
    const out = ok(await hookrelay(['subs', 'show', sub.id], t.asTenant()))
    assert.match(out, /^State +disabled\nDisabled because +\S.*$/m, out)
    assert.match(out, /^dlv_\w+ +evt_\w+ +gone\.created +failed +1 +HTTP 410/m)
  })

  it('stats shows attempts, success rate and latency percentiles, overall and per hour', async () => {
    const sub = await subscribe('/stats', { retrySchedule: [] })
    t.receiver.queue('/stats', { kind: 'status', status: 500 })
    await deliver(sub, 'stats.created', 4)
    const out = ok(await hookrelay(['subs', 'stats', sub.id], t.asTenant()))
    const lines = [
      `Subscription +${sub.id}`,
      `Window +${time} to ${time}`,
      'Attempts +4: 3 succeeded, 1 failed',
      'Success rate +75%',
      `Last attempt +${time}`,
      'Latency +p50 \\d+ ms, p95 \\d+ ms, p99 \\d+ ms',
      '',
      'Per hour:',
      'HOUR +ATTEMPTS +P50 +P95 +P99',
    ]
    assert.match(out, new RegExp(`^${lines.join('\n')}\n`), out)
    // One row per hour with attempts: the four may straddle the turn of an hour.
    const rows = out.split('Per hour:\n')[1]!.trimEnd().split('\n').slice(1)
    const counted = rows.map((row) => {
      const match = new RegExp(`^${time} +(\\d+) +\\d+ ms +\\d+ ms +\\d+ ms$`).exec(row)
      assert.ok(match, row)
      return Number(match[1])
    })
    assert.equal(
      counted.reduce((a, b) => a + b),
      4,
    )

    const json = JSON.parse(ok(await hookrelay(['subs', 'stats', sub.id, '--json'], t.asTenant())))
    assert.deepEqual(json.totals, { attempts: 4, succeeded: 3, failed: 1, successRate: 0.75 })
  })

  it('stats of a quiet subscription says there were no attempts; --hours is checked', async () => {
    const sub = await subscribe('/idle')
    const out = ok(await hookrelay(['subs', 'stats', sub.id, '--hours', '168'], t.asTenant()))
    assert.equal(out, 'No attempts in the last 168 hours.\n')
    const bad = failure(await hookrelay(['subs', 'stats', sub.id, '--hours', '0'], t.asTenant()))
    assert.equal(bad, 'error: --hours must be a whole number from 1 to 168, not "0"')
  })

  it('rotate-secret prints the new secret and when the old one stops; both sign until then', async () => {
    const sub = await subscribe('/rotated')
    const before = Date.now()
    const out = ok(await hookrelay(['subs', 'rotate-secret', sub.id], t.asTenant()))
    const after = Date.now()
    const match = new RegExp(
      `^New signing secret of ${sub.id}, keep it:\n\n  (whsec_\\S+)\n\n` +
        'The old secret also signs until (\\S+ \\S+)\\.\n$',
    ).exec(out)
    assert.ok(match, out)
    const [, secret, until] = match
    assert.notEqual(secret, sub.config.secret)
    // Printed to the second: 24 h after the rotation, which happened between before and after.
    const ends = Date.parse(until!.replace(' ', 'T'))
    const day = 24 * 3_600_000
    assert.ok(ends >= before + day - 1_000 && ends <= after + day, until)

    await deliver(sub, 'rotated.created', 1)
    const [request] = t.receiver.at('/rotated')
    assert.ok(request)
    for (const key of [secret!, sub.config.secret]) {
      verifyStandard({ secret: key, headers: request.headers, body: request.body })
    }
  })

  it('rotate-secret --secret sets the one given; a bad one is one line naming the field', async () => {
    const sub = await subscribe('/chosen')
    const chosen = `whsec_${Buffer.alloc(32, 9).toString('base64')}`
    const args = ['subs', 'rotate-secret', sub.id, '--secret', chosen, '--json']
    const answer = JSON.parse(ok(await hookrelay(args, t.asTenant())))
    assert.equal(answer.secret, chosen)
    assert.equal(typeof answer.previousExpiresAt, 'string')
    const now = await api<{ secret: string }>(
      t.server,
      t.key,
      'GET',
      `/webhooks/subscriptions/${sub.id}/secret`,
    )
    assert.equal(now.secret, chosen)
    const bad = failure(
      await hookrelay(['subs', 'rotate-secret', sub.id, '--secret', 'short'], t.asTenant()),
    )
    assert.match(bad, /^error: .*secret.* \(invalid_input, HTTP 400\)$/)
  })
})
