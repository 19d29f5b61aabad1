import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { verifyStandard } from '../../src/receiver/index.ts'
import { api, hookrelay, ok, type RunOptions, useCliServer } from './cli-server.ts'
import { poll } from '../support/http.ts'

// One server for the file: each test builds on what the ones before it created, as a user would.
const t = useCliServer({ tenant: false })
let dir = ''
let subscriptionId = ''
let secret = ''
const published: string[] = []

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hookrelay-cli-commands-'))
})

after(() => rm(dir, { recursive: true, force: true }))

const asAdmin = () => t.asAdmin()
const asTenant = (more: RunOptions = {}): RunOptions => ({ ...t.asTenant(), ...more })

/** The parsed JSON body of the n-th request the receiver got at `/orders`. */
function delivered(index: number) {
  const request = t.receiver.at('/orders')[index]
  assert.ok(request, `no request ${index} at /orders`)
  verifyStandard({ secret, headers: request.headers, body: request.body })
  return { id: request.headers['webhook-id'], body: JSON.parse(request.body) }
}

async function publishedId(run: Promise<{ code: number | null; stdout: string; stderr: string }>) {
  const out = ok(await run)
  const match = /^Published (evt_\w+) \(order\.created\): 1 delivery\n$/.exec(out)
  assert.ok(match, out)
  published.push(match[1]!)
  return match[1]!
}

describe('hookrelay client commands, end to end', () => {
  it('tenants create makes a tenant, and tenants list shows it', async () => {
    const out = ok(await hookrelay(['tenants', 'create', 'acme', '--name', 'Acme Inc.'], asAdmin()))
    assert.equal(out, 'Created tenant acme\n')
    const list = JSON.parse(ok(await hookrelay(['tenants', 'list', '--json'], asAdmin())))
    assert.deepEqual(
      list.data.map((t: { id: string; name: string }) => [t.id, t.name]),
      [['acme', 'Acme Inc.']],
    )
    const table = ok(await hookrelay(['tenants', 'list'], asAdmin()))
    assert.match(table, /^ID {4}NAME {7}CREATED\nacme {2}Acme Inc\. {2}\d{4}-/)
  })

  it('keys create prints a working key once, and keys list shows it without the key', async () => {
    const created = JSON.parse(
      ok(
        await hookrelay(
          ['keys', 'create', '--tenant', 'acme', '--role', 'user', 'service', '--json'],
          asAdmin(),
        ),
      ),
    )
    assert.deepEqual(created.roles, ['user', 'service'])
    t.key = created.key
    // The key works: the tenant's (empty) subscription list answers.
    assert.equal(ok(await hookrelay(['subs', 'list'], asTenant())), 'No subscriptions.\n')

    const human = ok(
      await hookrelay(
        ['keys', 'create', '--tenant', 'acme', '--role', 'service', '--name', 'pub'],
        asAdmin(),
      ),
    )
    const match =
      /^Created (key_\w+) for tenant acme, roles service\n.*once.*\n\n {2}(\S+)\n\n$/.exec(human)
    assert.ok(match, human)
    const list = ok(await hookrelay(['keys', 'list', '--tenant', 'acme'], asAdmin()))
    assert.ok(list.includes(created.id), list)
    assert.match(list, new RegExp(`${match[1]} +pub +service`))
    assert.ok(!list.includes(match[2]!) && !list.includes(t.key), 'keys list shows a key')
  })

  it('subscriptions create prints the secret once, and list shows it in aligned columns', async () => {
    const out = ok(
      await hookrelay(
        [
          'subs',
          'create',
          '--name',
          'Orders',
          '--event',
          'order.*',
          '--endpoint',
          `${t.receiver.url}/orders`,
        ],
        asTenant(),
      ),
    )
    const match = /^Created (sub_\w+) \(Orders\)\n.*once.*\n\n {2}(whsec_\S+)\n/.exec(out)
    assert.ok(match, out)
    subscriptionId = match[1]!
    secret = match[2]!

    const table = ok(await hookrelay(['subscriptions', 'list'], asTenant())).split('\n')
    const [header, row] = table
    assert.match(header!, /^ID +NAME +STATE +HEALTH +EVENTS +URL$/)
    assert.ok(row!.startsWith(subscriptionId), row)
    for (const [column, value] of [
      ['NAME', 'Orders'],
      ['STATE', 'active'],
      ['HEALTH', 'healthy'],
      ['EVENTS', 'order.*'],
      ['URL', `${t.receiver.url}/orders`],
    ]) {
      assert.equal(row!.indexOf(value!), header!.indexOf(column!), `${column} is not aligned`)
    }
    assert.ok(!table.join('\n').includes(secret), 'the list shows the secret')
    const json = JSON.parse(ok(await hookrelay(['subs', 'list', '--json'], asTenant())))
    assert.equal(json.data[0].id, subscriptionId)
    assert.equal(json.nextCursor, null)
  })

  it('publish sends JSON data given as an argument, and the delivery arrives signed', async () => {
    const id = await publishedId(hookrelay(['publish', 'order.created', '{"id": 1}'], asTenant()))
    await t.receiver.waitWithin(1, 10_000)
    const request = delivered(0)
    assert.equal(request.id, id)
    assert.deepEqual(request.body.data, { id: 1 })
  })

  it('publish reads --file, and an --idempotency-key repeated returns the first event', async () => {
    const file = join(dir, 'order.json')
    await writeFile(file, '{"id": 2, "lines": [1, 2]}')
    const args = ['publish', 'order.created', '--file', file, '--idempotency-key', 'order-2']
    const first = await publishedId(hookrelay(args, asTenant()))
    published.pop()
    const again = await publishedId(hookrelay(args, asTenant()))
    assert.equal(again, first)
    await t.receiver.waitWithin(2, 10_000)
    assert.deepEqual(delivered(1).body.data, { id: 2, lines: [1, 2] })
  })

  it('publish reads piped stdin with no data argument, and stdin given as -', async () => {
    await publishedId(hookrelay(['publish', 'order.created'], asTenant({ input: '{"id": 3}\n' })))
    await publishedId(hookrelay(['publish', 'order.created', '-'], asTenant({ input: '[4]' })))
    await t.receiver.waitWithin(4, 10_000)
    const data = [delivered(2).body.data, delivered(3).body.data]
    assert.deepEqual(
      data.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      [[4], { id: 3 }],
    )
  })

  it('publish --json prints the API answer', async () => {
    const run = await hookrelay(['publish', 'order.created', '5', '--json'], asTenant())
    const answer = JSON.parse(ok(run))
    assert.match(answer.id, /^evt_/)
    assert.equal(answer.deliveries, 1)
    published.push(answer.id)
    await t.receiver.waitWithin(5, 10_000)
  })

  it('events list shows every event, newest first, and filters by type', async () => {
    const out = ok(await hookrelay(['events', 'list'], asTenant()))
    const ids = [...out.matchAll(/^(evt_\w+) +order\.created +\d{4}-\d\d-\d\d /gm)].map((m) => m[1])
    assert.deepEqual(ids, [...published].reverse())
    const none = ok(await hookrelay(['events', 'list', '--type', 'invoice.paid'], asTenant()))
    assert.equal(none, 'No events.\n')
    const json = JSON.parse(
      ok(await hookrelay(['events', 'list', '--json', '--limit', '2'], asTenant())),
    )
    assert.equal(json.data.length, 2)
    assert.equal(typeof json.nextCursor, 'string')
  })

  it('events list sends --since, --until and --status, and shows delivery counts', async () => {
    await poll(
      () =>
        api<{ data: { deliveryCounts?: { pending: number } }[] }>(
          t.server,
          t.key,
          'GET',
          '/webhooks/events',
        ),
      (page) => page.data.every((e) => e.deliveryCounts?.pending === 0),
    )
    const recent = ok(await hookrelay(['events', 'list', '--since', '1h'], asTenant()))
    assert.equal(recent.match(/^evt_/gm)?.length, published.length, recent)
    assert.match(recent, /^ID +TYPE +TIME +DELIVERIES$/m)
    assert.match(recent, / 1 succeeded$/m)
    const future = new Date(Date.now() + 3_600_000).toISOString()
    const later = ok(await hookrelay(['events', 'list', '--since', future], asTenant()))
    assert.equal(later, 'No events.\n')
    const earlier = ok(await hookrelay(['events', 'list', '--until', '2000-01-01'], asTenant()))
    assert.equal(earlier, 'No events.\n')
    const failed = ok(await hookrelay(['events', 'list', '--status', 'failed'], asTenant()))
    assert.equal(failed, 'No events.\n')
  })

  it('events show prints the event, its payload as JSON, its deliveries and attempts', async () => {
    const id = published[0]!
    const detail = await poll(
      () =>
        api<{ deliveries: { id: string; status: string }[] }>(
          t.server,
          t.key,
          'GET',
          `/webhooks/events/${id}`,
        ),
      (event) => event.deliveries[0]?.status === 'succeeded',
    )
    const deliveryId = detail.deliveries[0]!.id
    const out = ok(await hookrelay(['events', 'show', id], asTenant()))
    assert.match(out, new RegExp(`^Event +${id}\nType +order\\.created\n`))
    assert.ok(out.includes('Payload:\n{\n  "id": 1\n}\n'), out)
    assert.match(out, new RegExp(`^${deliveryId} +${subscriptionId} +succeeded +1 +-$`, 'm'))
    assert.match(
      out,
      new RegExp(
        `Attempts of ${deliveryId}:\n +STARTED +TRIGGER +STATUS +DURATION +ERROR\n +\\d{4}-.* scheduled +200 +\\d+ ms +-\n`,
      ),
    )
    const json = JSON.parse(ok(await hookrelay(['events', 'show', id, '--json'], asTenant())))
    assert.equal(json.attempts[0].statusCode, 200)
  })

  it('deliveries list shows a subscription’s deliveries, filtered by status', async () => {
    const out = ok(await hookrelay(['deliveries', 'list', subscriptionId], asTenant()))
    assert.match(out, /^ID +EVENT +TYPE +STATUS +ATTEMPTS +LAST RESULT +NEXT ATTEMPT\n/)
    for (const id of published)
      assert.match(
        out,
        new RegExp(`^dlv_\\w+ +${id} +order\\.created +succeeded +1 +HTTP 200`, 'm'),
      )
    const failed = ok(
      await hookrelay(
        ['deliveries', 'list', '--subscription', subscriptionId, '--status', 'failed'],
        asTenant(),
      ),
    )
    assert.equal(failed, 'No deliveries.\n')
    const flagged = ok(
      await hookrelay(['deliveries', 'list', '--subscription', subscriptionId], asTenant()),
    )
    assert.equal(flagged, out, 'the old --subscription flag names it too')
  })

  it('deliveries retry sends a delivery again now', async () => {
    const page = await api<{ data: { id: string; eventId: string }[] }>(
      t.server,
      t.key,
      'GET',
      `/webhooks/subscriptions/${subscriptionId}/deliveries`,
    )
    const delivery = page.data.find((d) => d.eventId === published[0])!
    const before = t.receiver.at('/orders').length
    const out = ok(await hookrelay(['deliveries', 'retry', delivery.id], asTenant()))
    assert.match(out, new RegExp(`^Retried ${delivery.id}: succeeded, HTTP 200 in \\d+ ms\n$`))
    assert.equal(t.receiver.at('/orders').length, before + 1)
    assert.equal(delivered(before).id, published[0])

    t.receiver.queue('/orders', { kind: 'status', status: 503 })
    const failed = await hookrelay(['deliveries', 'retry', delivery.id], asTenant())
    assert.equal(failed.code, 1, 'a failed retry exits 1')
    assert.match(failed.stdout, /: failed, HTTP 503 in \d+ ms/)
  })
})
