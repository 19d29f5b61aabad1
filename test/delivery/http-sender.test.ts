import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { HttpSender } from '../../src/delivery/http-sender.ts'
import { SsrfGuard } from '../../src/delivery/ssrf-guard.ts'
import { TestReceiver } from '../support/receiver.ts'

describe('HttpSender', () => {
  let receiver: TestReceiver
  before(async () => {
    receiver = await TestReceiver.start()
  })
  after(() => receiver.close())

  const sender = (connections: number) =>
    new HttpSender({
      guard: new SsrfGuard({ allowPrivateNetworks: ['127.0.0.0/8'] }),
      userAgent: 'hookrelay-test',
      connections,
    })

  it('answers with the status, headers and body, and records the headers it sent', async () => {
    receiver.always('/ok?x=1', {
      kind: 'status',
      status: 201,
      headers: { 'x-a': '1' },
      body: 'made',
    })
    const http = sender(4)
    try {
      const result = await http.send({
        url: `${receiver.url}/ok?x=1`,
        body: '{"a":1}',
        headers: { 'webhook-id': 'msg_1' },
        timeoutMs: 5_000,
      })
      assert.equal(result.statusCode, 201)
      assert.equal(result.failure, null)
      assert.equal(result.responseBody, 'made')
      assert.equal(result.responseHeaders['x-a'], '1')
      assert.equal(result.requestHeaders['webhook-id'], 'msg_1')
      assert.equal(result.requestHeaders['user-agent'], 'hookrelay-test')
      const got = receiver.received.at(-1)!
      assert.equal(got.path, '/ok?x=1')
      assert.equal(got.body, '{"a":1}')
      assert.equal(got.headers['content-type'], 'application/json')
    } finally {
      await http.close()
    }
  })

  it('keeps a body of exactly 4 KiB whole, and the first 4 KiB of a longer one', async () => {
    const http = sender(4)
    try {
      for (const [path, bytes] of [
        ['/exact', 4096],
        ['/over', 4097],
      ] as const) {
        receiver.always(path, { kind: 'status', status: 200, body: 'y'.repeat(bytes) })
        const result = await http.send({
          url: `${receiver.url}${path}`,
          body: '{}',
          headers: {},
          timeoutMs: 5_000,
        })
        assert.equal(result.statusCode, 200)
        assert.equal(result.failure, null)
        assert.equal(result.responseBody, 'y'.repeat(4096))
      }
    } finally {
      await http.close()
    }
  })

  it('times out a request still queued for a busy connection, and never sends it', async () => {
    receiver.always('/hang', { kind: 'hang' })
    const before = receiver.received.length
    // One connection: the second request waits behind the first, which never answers.
    const http = sender(1)
    try {
      const request = (n: number, timeoutMs: number) =>
        http.send({ url: `${receiver.url}/hang`, body: `{"n":${n}}`, headers: {}, timeoutMs })
      // The second gives up well before the first frees the connection: it times out queued.
      // (With equal timeouts, a loaded machine can run the first's abort, which frees the
      // connection, a tick before the second's timer, and the second is then rightly sent.)
      const [first, second] = await Promise.all([request(1, 900), request(2, 300)])
      for (const [result, ms] of [
        [first, 900],
        [second, 300],
      ] as const) {
        assert.equal(result.statusCode, null)
        assert.equal(result.failure, 'timeout')
        assert.equal(result.error, `timed out after ${ms} ms`)
      }
      // Give a wrongly released second request the time to arrive.
      await new Promise((resolve) => setTimeout(resolve, 200))
      assert.deepEqual(
        receiver.received.slice(before).map((r) => r.body),
        ['{"n":1}'],
      )
    } finally {
      await http.close()
    }
  })
})
