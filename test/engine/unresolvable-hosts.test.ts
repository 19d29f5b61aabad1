import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ValidationError } from '../../src/index.ts'
import { useEngine } from '../support/engine.ts'

/** A DNS failure as Node reports one: an Error with a `code`. */
const dnsError = (code: string): Error => Object.assign(new Error(`lookup ${code}`), { code })

// What the injected DNS answers for `hooks.example.test`, changed by the tests.
let answer: string[] | Error = ['127.0.0.1']

const t = useEngine({
  resolve: async (host) => {
    if (host !== 'hooks.example.test') throw dnsError('ENOTFOUND')
    if (answer instanceof Error) throw answer
    return answer
  },
})

const input = (url: string) => ({
  tenant: 'acme',
  name: 'Orders',
  events: ['order.*'],
  config: { url },
})

/** Asserts `call` throws the `ValidationError` of `config.url`, its message matching `says`. */
async function refusesUrl(call: Promise<unknown>, says: RegExp): Promise<void> {
  await assert.rejects(call, (err: unknown) => {
    assert.ok(err instanceof ValidationError, String(err))
    assert.equal(err.field, 'config.url')
    assert.equal(err.code, 'invalid_input')
    assert.match(err.message, says)
    return true
  })
}

describe('subscription URLs whose host name DNS refuses, in the library', () => {
  it('create and update throw the ValidationError of config.url, writing nothing', async () => {
    const tooLong = `https://${'a'.repeat(250)}.example/hook`
    await refusesUrl(t.hooks.subscriptions.create(input(tooLong)), /host name is too long/)
    answer = dnsError('EBADNAME')
    const refused = 'https://hooks.example.test/hook'
    await refusesUrl(t.hooks.subscriptions.create(input(refused)), /cannot be resolved/)
    assert.equal((await t.hooks.subscriptions.list({ tenant: 'acme' })).data.length, 0)

    const sub = await t.hooks.subscriptions.create(input(`${t.receiver.url}/kept`))
    const update = (url: string) => t.hooks.subscriptions.update(sub.id, { config: { url } })
    await refusesUrl(update(tooLong), /host name is too long/)
    await refusesUrl(update(refused), /cannot be resolved/)
    assert.equal((await t.hooks.subscriptions.get(sub.id)).config.url, `${t.receiver.url}/kept`)
  })

  it('a stored host name DNS later refuses is a failed attempt, and deliveries go on', async () => {
    answer = ['127.0.0.1']
    const port = new URL(t.receiver.url).port
    const named = await t.hooks.subscriptions.create(
      input(`http://hooks.example.test:${port}/named`),
    )
    await t.hooks.subscriptions.create(input(`${t.receiver.url}/literal`))
    answer = dnsError('EINVAL')

    const event = await t.hooks.publish({ tenant: 'acme', type: 'order.created', data: { n: 1 } })
    await t.hooks.drain()

    assert.equal(t.receiver.at('/named').length, 0)
    assert.equal(t.receiver.at('/literal').length, 1, 'the other subscription got its delivery')
    const failed = (await t.hooks.events.get(event.id)).deliveries.find(
      (d) => d.subscriptionId === named.id,
    )
    assert.equal(failed?.status, 'retrying')
    assert.equal(failed?.attempts, 1)
    const attempt = await t.hooks.subscriptions.lastError(named.id)
    assert.equal(attempt?.statusCode, null)
    assert.match(attempt?.error ?? '', /EINVAL/)
  })
})
