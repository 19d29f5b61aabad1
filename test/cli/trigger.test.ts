import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { verifyStandard } from '../../src/receiver/index.ts'
import { poll } from '../support/http.ts'
import { adminKey, api, failure, hookrelay, ok, useCliServer } from './cli-server.ts'

const t = useCliServer()
let secret = ''

/** Defines an event type in the server's catalogue with `schema`. */
function define(name: string, schema: Record<string, unknown> | null) {
  return api(t.server, adminKey, 'PUT', `/webhooks/event-types/${name}`, { schema })
}

/** Runs `hookrelay trigger <args>` as acme; the event it printed and its delivery count. */
async function trigger(args: string[], note: string) {
  const out = ok(await hookrelay(['trigger', ...args], t.asTenant()))
  const match = /^Published (evt_\w+) \(([^,]+), (.*)\): (\d+) deliver(y|ies)\n$/.exec(out)
  assert.ok(match, out)
  assert.equal(match[3], note)
  return { id: match[1]!, type: match[2]!, deliveries: Number(match[4]) }
}

/** The data of event `id` as the subscribed receiver got it, signature checked. */
async function receivedData(id: string): Promise<unknown> {
  const find = () => t.receiver.at('/trigger').find((r) => r.headers['webhook-id'] === id)
  // The server's own worker delivers it, in its own time: there is nothing to await.
  const request = await poll(
    async () => find(),
    (found) => found !== undefined,
  )
  assert.ok(request, `the receiver did not get ${id}`)
  verifyStandard({ secret, headers: request.headers, body: request.body })
  return JSON.parse(request.body).data
}

describe('hookrelay trigger', () => {
  before(async () => {
    const sub = await api<{ config: { secret: string } }>(
      t.server,
      t.key,
      'POST',
      '/webhooks/subscriptions',
      { name: 'Trigger', events: ['*'], config: { url: `${t.receiver.url}/trigger` } },
    )
    secret = sub.config.secret
  })

  it('publishes the example the event type’s schema gives', async () => {
    const example = { id: 42, total: 9.5, lines: [{ sku: 'A-1' }] }
    await define('order.created', {
      type: 'object',
      required: ['id'],
      properties: { id: { type: 'integer' } },
      examples: [example],
    })
    const event = await trigger(['order.created'], 'example data from its schema')
    assert.equal(event.type, 'order.created')
    assert.equal(event.deliveries, 1)
    assert.deepEqual(await receivedData(event.id), example)
  })

  it('makes data the schema accepts when it gives no example', async () => {
    await define('invoice.paid', {
      type: 'object',
      required: ['invoice', 'amount', 'paid', 'tags'],
      additionalProperties: false,
      properties: {
        invoice: { type: 'string', minLength: 10 },
        amount: { type: 'integer', minimum: 100 },
        paid: { type: 'boolean' },
        tags: { type: 'array', minItems: 1, items: { enum: ['vip', 'trial'] } },
        memo: { type: 'string' },
      },
    })
    // The server checks published data against the schema: a 202 means it was accepted.
    const event = await trigger(['invoice.paid'], 'example data from its schema')
    assert.deepEqual(await receivedData(event.id), {
      invoice: 'stringxxxx',
      amount: 100,
      paid: false,
      tags: ['vip'],
    })
  })

  it('publishes {} for a type without a schema or not in the catalogue, and --data instead', async () => {
    await define('contact.updated', null)
    const plain = await trigger(['contact.updated'], 'no schema to make data from: data {}')
    assert.deepEqual(await receivedData(plain.id), {})
    const unknown = await trigger(['file.download'], 'not in the catalogue: data {}')
    assert.deepEqual(await receivedData(unknown.id), {})
    const given = await trigger(['order.created', '--data', '{"id": 7}'], 'data from --data')
    assert.deepEqual(await receivedData(given.id), { id: 7 })
  })

  it('fails in one line for --data that is not JSON or does not fit the schema, and for a service-only key', async () => {
    const notJson = failure(await hookrelay(['trigger', 'x.y', '--data', '{id'], t.asTenant()))
    assert.match(notJson, /^error: --data is not JSON: /)
    const mismatch = failure(
      await hookrelay(['trigger', 'order.created', '--data', '{"id":"seven"}'], t.asTenant()),
    )
    assert.match(mismatch, /\(schema_mismatch, HTTP 400\)$/)

    const { key } = await api<{ key: string }>(
      t.server,
      adminKey,
      'POST',
      '/admin/tenants/acme/keys',
      { roles: ['service'] },
    )
    const service = { url: t.server.url, key }
    const refused = failure(await hookrelay(['trigger', 'order.created'], service))
    assert.equal(
      refused,
      'error: reading the schema of order.created needs a key with the user role: use one, or pass --data',
    )
    assert.match(
      ok(await hookrelay(['trigger', 'order.created', '--data', '{"id":1}'], service)),
      /^Published evt_/,
    )
  })
})
