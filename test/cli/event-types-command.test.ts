import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { adminKey, api, failure, hookrelay, ok, useCliServer } from './cli-server.ts'

const t = useCliServer()

const schema = {
  type: 'object',
  properties: { id: { type: 'integer' } },
  required: ['id'],
}

describe('hookrelay event-types', () => {
  it('list says when the catalogue is empty', async () => {
    assert.equal(ok(await hookrelay(['event-types', 'list'], t.asTenant())), 'No event types.\n')
  })

  it('list shows every type by name; show prints one with its schema', async () => {
    const define = (name: string, body: Record<string, unknown>) =>
      api(t.server, adminKey, 'PUT', `/webhooks/event-types/${name}`, body)
    await define('order.created', { description: 'An order was placed', schema })
    await define('contact.updated', { description: null })

    const list = ok(await hookrelay(['event-types', 'list'], t.asTenant()))
    const time = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ'
    assert.match(
      list,
      new RegExp(
        '^NAME +SCHEMA +UPDATED +DESCRIPTION\n' +
          `contact\\.updated +no +${time} +-\n` +
          `order\\.created +yes +${time} +An order was placed\n$`,
      ),
    )

    const shown = ok(await hookrelay(['event-types', 'show', 'order.created'], t.asTenant()))
    assert.match(
      shown,
      new RegExp(
        '^Name +order\\.created\nDescription +An order was placed\n' +
          `Created +${time}\nUpdated +${time}\n\nSchema:\n`,
      ),
    )
    assert.deepEqual(JSON.parse(shown.split('Schema:\n')[1]!), schema)
    const bare = ok(await hookrelay(['event-types', 'show', 'contact.updated'], t.asTenant()))
    assert.match(bare, /\n\nNo schema: any data is accepted\.\n$/)

    const json = JSON.parse(ok(await hookrelay(['event-types', 'list', '--json'], t.asTenant())))
    assert.deepEqual(
      json.data.map((type: { name: string }) => type.name),
      ['contact.updated', 'order.created'],
    )
  })

  it('show of an unknown type is a one-line 404', async () => {
    const line = failure(await hookrelay(['event-types', 'show', 'no.such'], t.asTenant()))
    assert.equal(line, 'error: event type no.such not found (not_found, HTTP 404)')
  })
})
