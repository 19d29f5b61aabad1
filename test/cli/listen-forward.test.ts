import assert from 'node:assert/strict'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import { formatWebhook, formatWebhookJson } from '../../src/cli/listen-format.ts'
import type { ReceivedWebhook } from '../../src/cli/listen-server.ts'
import { generateSecret, type Hookrelay } from '../../src/index.ts'
import { verifyStandard } from '../../src/receiver/index.ts'
import { TestReceiver } from '../support/receiver.ts'
import { deliver, engine, startListener } from './listen-support.ts'
import { type CliProcess, runCli, stop } from './serve-process.ts'

/** Starts `hookrelay listen` with `args`; its base URL once it has printed it. */
async function listen(args: string[]): Promise<{ cli: CliProcess; url: string }> {
  const cli = runCli(['listen', '--port', '0', ...args])
  await cli.waitFor((out) => /Listening for webhooks on (\S+)/.test(out))
  return { cli, url: /Listening for webhooks on (\S+)/.exec(cli.stdout())![1]! }
}

/** A loopback port nothing listens on: taken, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('hookrelay listen --forward-to', () => {
  const secret = generateSecret()
  let hooks: Hookrelay
  let app: TestReceiver

  // An engine per test: each publish reaches every subscription made on it so far.
  before(async () => {
    app = await TestReceiver.start()
  })
  beforeEach(async () => {
    hooks = await engine()
  })
  afterEach(() => hooks.close())
  after(() => app.close())

  it('forwards a webhook to exactly that URL with its signature intact, and answers with the app’s status, type and body', async () => {
    const target = '/app/hooks?from=listen'
    app.queue(target, {
      kind: 'status',
      status: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"received":true}',
    })
    const { cli, url } = await listen(['--secret', secret, '--forward-to', `${app.url}${target}`])
    try {
      const { event, attempts } = await deliver(hooks, `${url}incoming`, secret)
      const [got] = app.at(target)
      assert.ok(got, 'the app got nothing')
      assert.equal(got.method, 'POST')
      assert.equal(got.headers['webhook-id'], event.id)
      // The app can check the signature itself: headers and body bytes are as Hookrelay sent them.
      verifyStandard({ secret, headers: got.headers, body: got.body })
      assert.deepEqual(JSON.parse(got.body).data, { id: 42 })

      const [attempt] = attempts
      assert.equal(attempt?.statusCode, 201)
      assert.equal(attempt?.responseBody, '{"received":true}')
      assert.equal(attempt?.responseHeaders['content-type'], 'application/json')

      await cli.waitFor((out) => out.includes('the app answered'))
      assert.match(cli.stdout(), /POST \/incoming {2}→ 201 {2}order\.created/)
      assert.match(
        cli.stdout(),
        /✔ valid signature \(standard\)\n {2}↪ forwarded to http:\/\/127\.0\.0\.1:\d+\/app\/hooks\?from=listen: the app answered 201\n/,
      )
    } finally {
      await stop(cli)
    }
  })

  it('answers 502 with the reason when the app cannot be reached, and prints it', async () => {
    const down = `http://127.0.0.1:${await closedPort()}/hooks`
    const { cli, url } = await listen(['--secret', secret, '--forward-to', down])
    try {
      const { attempts } = await deliver(hooks, `${url}down`, secret)
      assert.equal(attempts[0]?.statusCode, 502)
      assert.equal(
        attempts[0]?.responseBody,
        `hookrelay listen could not forward to ${down}: connection refused\n`,
      )
      await cli.waitFor((out) => out.includes('not forwarded'))
      assert.match(cli.stdout(), /POST \/down {2}→ 502 {2}order\.created/)
      assert.ok(
        cli.stdout().includes(`✘ not forwarded to ${down}: connection refused (answered 502)\n`),
        cli.stdout(),
      )
    } finally {
      await stop(cli)
    }
  })

  it('keeps the method, end-to-end headers and raw bytes; drops hop-by-hop headers', async () => {
    app.queue('/raw', {
      kind: 'status',
      status: 418,
      headers: { 'content-type': 'text/plain', 'x-app-only': 'not passed back' },
      body: 'short and stout',
    })
    const received: ReceivedWebhook[] = []
    const server = await startListener({
      forwardTo: `${app.url}/raw`,
      onRequest: (r) => received.push(r),
    })
    const body = Buffer.from([0xff, 0x00, 0xc3, 0xa9, 0x0a])
    try {
      const answer = await new Promise<{ status: number; headers: object; text: string }>(
        (resolve, reject) => {
          const req = request(`${server.url}somewhere/else`, {
            method: 'PUT',
            headers: {
              connection: 'keep-alive, x-per-hop',
              'keep-alive': 'timeout=5',
              'x-per-hop': 'for the next hop only',
              'x-end-to-end': 'kept',
              'content-type': 'application/octet-stream',
            },
          })
          req.on('error', reject)
          req.on('response', (res) => {
            const chunks: Buffer[] = []
            res.on('data', (chunk: Buffer) => chunks.push(chunk))
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                text: Buffer.concat(chunks).toString(),
              }),
            )
          })
          req.end(body)
        },
      )
      assert.equal(answer.status, 418)
      assert.equal(answer.text, 'short and stout')
      assert.equal((answer.headers as Record<string, string>)['content-type'], 'text/plain')
      assert.equal((answer.headers as Record<string, string>)['x-app-only'], undefined)

      const [got] = app.at('/raw')
      assert.ok(got, 'the app got nothing')
      assert.equal(got.method, 'PUT')
      assert.equal(got.headers['x-end-to-end'], 'kept')
      assert.equal(got.headers['content-type'], 'application/octet-stream')
      assert.equal(got.headers['x-per-hop'], undefined)
      assert.equal(got.headers['keep-alive'], undefined)
      assert.equal(got.headers['content-length'], String(body.length))
      // The TestReceiver keeps bodies as UTF-8 text; the listener saw the very bytes sent.
      assert.deepEqual(received[0]?.body, body)
      assert.equal(got.body, body.toString('utf8'))
      assert.deepEqual(received[0]?.forward, {
        kind: 'answered',
        url: `${app.url}/raw`,
        status: 418,
        contentType: 'text/plain',
        body: Buffer.from('short and stout'),
      })
      assert.match(formatWebhook(received[0]!), /↪ forwarded to .*\/raw: the app answered 418/)
      assert.deepEqual(JSON.parse(formatWebhookJson(received[0]!)).forward, {
        url: `${app.url}/raw`,
        status: 418,
        error: null,
      })
    } finally {
      await server.close()
    }
  })

  it('refuses --status with --forward-to, and a --forward-to that is no http URL, in one line', async () => {
    const both = runCli(['listen', '--status', '500', '--forward-to', 'http://127.0.0.1:3000/'])
    assert.equal(await both.exited, 1)
    assert.equal(
      both.stderr(),
      "error: --status and --forward-to do not go together: the app's answer is sent\n",
    )
    const bad = runCli(['listen', '--forward-to', 'localhost:3000/hooks'])
    assert.equal(await bad.exited, 1)
    assert.match(
      bad.stderr(),
      /^error: --forward-to must be an http:\/\/ or https:\/\/ URL, .*"localhost:3000\/hooks"\n$/,
    )
  })
})
