import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { UnavailableError } from '../../src/core/errors.ts'
import { guarded, isConnectionError } from '../../src/store/postgres/unavailable.ts'
import { startServer } from '../support/server.ts'

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code })

describe('connection errors of the PostgreSQL store', () => {
  it('recognises a server that is down, going down, starting up or gone mid-query', () => {
    const down = [
      withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      withCode('ECONNRESET'),
      withCode('ETIMEDOUT'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P02'),
      withCode('57P03', 'the database system is starting up'),
      withCode('08006'),
      withCode('08001'),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection terminated'),
      new Error('Client has encountered a connection error and is not queryable'),
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'refused'),
    ]
    for (const error of down) assert.equal(isConnectionError(error), true, error.message)
  })

  it('leaves every other error alone', () => {
    const others = [
      withCode('23505', 'duplicate key value violates unique constraint'),
      withCode('40P01', 'deadlock detected'),
      withCode('42P01', 'relation does not exist'),
      new Error('boom'),
      'ECONNREFUSED',
      null,
    ]
    for (const error of others) assert.equal(isConnectionError(error), false, String(error))
  })

  it('turns a verb’s connection error into UnavailableError, keeping the original as cause', async () => {
    const refused = withCode('ECONNREFUSED')
    const unique = withCode('23505')
    const verbs = guarded({
      refused: async () => Promise.reject(refused),
      unique: async () => Promise.reject(unique),
      fine: async (n: number) => n + 1,
    })
    const error = await verbs.refused().catch((e: unknown) => e)
    assert.ok(error instanceof UnavailableError)
    assert.equal(error.code, 'unavailable')
    assert.equal(error.cause, refused)
    await assert.rejects(verbs.unique(), (e) => e === unique)
    assert.equal(await verbs.fine(1), 2)
  })
})

describe('an unavailable store over HTTP', () => {
  it('answers 503 problem+json with Retry-After: 1', async (t) => {
    const server = await startServer()
    try {
      t.mock.method(server.hooks.store, 'publishEvent', () =>
        Promise.reject(new UnavailableError({ cause: withCode('ECONNREFUSED') })),
      )
      const answer = await server.call(server.keys.acme.service, 'POST', '/webhooks/events', {
        type: 'order.created',
        data: {},
      })
      assert.equal(answer.status, 503)
      assert.match(String(answer.headers['content-type']), /^application\/problem\+json/)
      assert.equal(answer.headers['retry-after'], '1')
      assert.equal(answer.body.code, 'unavailable')
      assert.equal(answer.body.title, 'Database unavailable')
    } finally {
      await server.close()
    }
  })
})
