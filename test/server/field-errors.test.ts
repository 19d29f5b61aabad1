import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { assertProblem, subscriptionBody, useServer } from '../support/server.ts'

const t = useServer()
const base = '/webhooks/subscriptions'

/** `field keyword` of each entry of a problem's `errors`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reads the answer's JSON
const fieldsOf = (body: any): string[] =>
  body.errors.map((e: { field: string; keyword?: string }) => `${e.field} ${e.keyword ?? '-'}`)

describe('a refused body names every invalid field', () => {
  it('lists each invalid field of a create once, with the rule it broke', async () => {
    const response = await t.call(t.keys.acme.user, 'POST', base, {
      name: '',
      events: [],
      config: { url: 'example.com/hook' },
      rateLimit: 0,
    })
    assertProblem(response, 400, 'invalid_input', 'name')
    assert.deepEqual(fieldsOf(response.body), [
      'name minLength',
      'events minItems',
      'rateLimit minimum',
      'config.url pattern',
    ])
    const rate = response.body.errors[2]
    assert.equal(rate.params.limit, 0.001)
    assert.match(rate.message, /0\.001/)
    // The detail says all of them, for clients that show only it.
    assert.match(response.body.detail, /^name: .+; events: .+; rateLimit: .+; config\.url: .+$/)
    const list = await t.call(t.keys.acme.user, 'GET', base)
    assert.deepEqual(list.body.data, [])
  })

  it('names missing fields, a bad event among good ones, and the first unknown field', async () => {
    const response = await t.call(t.keys.acme.user, 'POST', base, {
      events: ['order.created', 'order.**'],
      colour: 'red',
      size: 'large',
    })
    assert.deepEqual(fieldsOf(response.body), [
      'name required',
      'config required',
      'events[1] pattern',
      'colour additionalProperties',
    ])
  })

  it('reports an update the same way, and a library check as its one field', async () => {
    const created = await t.call(
      t.keys.acme.user,
      'POST',
      base,
      subscriptionBody(`${t.receiver.url}/keep`),
    )
    assert.equal(created.status, 201, created.text)
    const path = `${base}/${created.body.id}`
    const both = await t.call(t.keys.acme.user, 'PUT', path, {
      name: '',
      config: { url: 'ftp://example.com' },
    })
    assert.deepEqual(fieldsOf(both.body), ['name minLength', 'config.url pattern'])

    // Past the schema, the library finds the next problem: a header Hookrelay sets itself.
    const header = await t.call(t.keys.acme.user, 'PUT', path, {
      headers: { 'Content-Type': 'text/plain' },
    })
    assertProblem(header, 400, 'invalid_input', 'headers.Content-Type')
    assert.deepEqual(header.body.errors, [
      { field: 'headers.Content-Type', message: 'is set by Hookrelay itself' },
    ])
  })

  it('answers one error per field however many items and keys a body holds', async () => {
    const unknown = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]))
    const response = await t.call(t.keys.acme.user, 'POST', base, {
      ...unknown,
      name: 'x',
      events: Array.from({ length: 20_000 }, () => 7),
      config: { url: 'https://example.com' },
      headers: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`h${i}`, i])),
    })
    assert.deepEqual(fieldsOf(response.body), [
      'events maxItems',
      'headers maxProperties',
      'k0 additionalProperties',
    ])
  })
})
