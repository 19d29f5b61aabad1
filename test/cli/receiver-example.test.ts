import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { generateSecret } from '../../src/core/signing/index.ts'
import { standardSignature } from '../../src/core/signing/standard-scheme.ts'
import { type CliProcess, runScript, stop } from './serve-process.ts'

const script = fileURLToPath(new URL('../../examples/receiver.ts', import.meta.url))

describe('examples/receiver.ts', () => {
  const secret = generateSecret()
  let receiver: CliProcess
  let url = ''

  before(async () => {
    receiver = runScript(script, [secret, '0'])
    await receiver.waitFor((out) => /Receiving webhooks on (\S+)/.test(out))
    url = /Receiving webhooks on (\S+)/.exec(receiver.stdout())![1]!
  })

  after(async () => {
    await stop(receiver)
  })

  function post(id: string, signature?: string) {
    const body = JSON.stringify({ id, type: 'order.created', data: { id: 42 } })
    const timestamp = Math.floor(Date.now() / 1000)
    return fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature ?? `v1,${standardSignature(secret, id, timestamp, body)}`,
      },
      body,
    })
  }

  it('answers 204 to a correctly signed delivery and prints its type and id', async () => {
    const response = await post('evt_good')
    assert.equal(response.status, 204)
    await receiver.waitFor((out) => out.includes('order.created evt_good signature ok'))
  })

  it('answers 401 to a bad signature and prints why', async () => {
    const response = await post('evt_bad', 'v1,bm90IGl0')
    assert.equal(response.status, 401)
    await receiver.waitFor((out) => /order\.created evt_bad rejected: .*bad_signature/.test(out))
  })
})
