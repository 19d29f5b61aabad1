import assert from 'node:assert/strict'
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import { formatWebhook, formatWebhookJson } from '../../src/cli/listen-format.ts'
import type { ListenServer, ReceivedWebhook } from '../../src/cli/listen-server.ts'
import { generateSecret, type Hookrelay } from '../../src/index.ts'
import { deliver, engine, startListener } from './listen-support.ts'
import { type CliProcess, runCli, stop } from './serve-process.ts'

/** With --json the start line goes to stderr, which `waitFor` does not watch: poll it. */
async function startedOnStderr(cli: CliProcess): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const url = /Listening for webhooks on (\S+)/.exec(cli.stderr())?.[1]
    if (url !== undefined) return url
    if (cli.child.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`no start line on stderr: ${cli.stderr()}`)
}

describe('listen server', () => {
  const secret = generateSecret()
  let hooks: Hookrelay
  let server: ListenServer
  let received: ReceivedWebhook[]

  beforeEach(async () => {
    hooks = await engine()
    received = []
    server = await startListener({
      path: '/webhooks',
      secrets: [generateSecret(), secret],
      status: 202,
      onRequest: (request) => received.push(request),
    })
  })

  afterEach(async () => {
    await hooks.close()
    await server.close()
  })

  it('shows a delivery signed with one of its secrets as valid, and answers --status', async () => {
    const { event, attempts } = await deliver(hooks, server.url, secret)
    assert.equal(received.length, 1)
    const [got] = received
    assert.equal(got?.type, 'order.created')
    assert.equal(got?.id, event.id)
    assert.deepEqual(got?.verdict, { kind: 'valid', scheme: 'standard' })
    assert.equal(attempts[0]?.statusCode, 202)

    const text = formatWebhook(got!)
    assert.match(text, /POST \/webhooks {2}→ 202 {2}order\.created {2}evt_/)
    assert.match(text, /✔ valid signature \(standard\)/)
    assert.match(text, /"id": 42/)
    const line = JSON.parse(formatWebhookJson(got!)) as Record<string, unknown>
    assert.equal(line.signature, 'valid')
    assert.deepEqual((line.body as { data: unknown }).data, { id: 42 })
  })

  it('shows a wrong secret as invalid, with the reason, and still answers --status', async () => {
    const { attempts } = await deliver(hooks, server.url, generateSecret())
    const [got] = received
    assert.equal(got?.verdict.kind, 'invalid')
    assert.match(formatWebhook(got!), /✘ invalid signature \(standard\): .*bad_signature/)
    assert.equal(attempts[0]?.statusCode, 202)
  })

  it('detects the other schemes from their headers', async () => {
    for (const scheme of ['github', 'servicestack', 'superoffice'] as const) {
      // A query makes each URL new (one subscription per URL and event type), same path.
      await deliver(hooks, `${server.url}?${scheme}`, secret, scheme)
    }
    // Each publish reaches every subscription made so far: 6 requests, 3 distinct URLs.
    const byPath = new Map(received.map((r) => [r.path, [r.verdict, r.type]]))
    assert.equal(received.length, 6)
    assert.deepEqual(
      Object.fromEntries(byPath),
      Object.fromEntries(
        ['github', 'servicestack', 'superoffice'].map((scheme) => [
          `/webhooks?${scheme}`,
          [{ kind: 'valid', scheme }, 'order.created'],
        ]),
      ),
    )
  })

  it('answers 404 off --path, without checking', async () => {
    const { attempts } = await deliver(hooks, server.url.replace('/webhooks', '/other'), secret)
    assert.equal(attempts[0]?.statusCode, 404)
    assert.deepEqual(received[0]?.verdict, {
      kind: 'unchecked',
      reason: 'not the --path /webhooks',
    })
  })
})

describe('hookrelay listen', () => {
  const secret = generateSecret()
  let hooks: Hookrelay
  let cli: CliProcess
  let url = ''

  before(async () => {
    hooks = await engine()
    cli = runCli(['listen', '--port', '0', '--secret', secret, '--status', '201'])
    await cli.waitFor((out) => /Listening for webhooks on (\S+)/.test(out))
    url = /Listening for webhooks on (\S+)/.exec(cli.stdout())![1]!
  })

  after(async () => {
    await hooks.close()
    if (cli.child.exitCode === null) await stop(cli)
  })

  it('prints each webhook with its event type and signature verdict', async () => {
    const good = await deliver(hooks, `${url}good`, secret)
    const bad = await deliver(hooks, `${url}bad`, generateSecret())
    assert.equal(good.attempts[0]?.statusCode, 201)
    assert.equal(bad.attempts[0]?.statusCode, 201)
    await cli.waitFor((out) => out.includes('POST /bad'))
    const out = cli.stdout()
    assert.match(out, /POST \/good {2}→ 201 {2}order\.created/)
    assert.match(out, /POST \/good[^]*✔ valid signature[^]*POST \/bad[^]*✘ invalid signature/)
  })

  it('stops with exit 0 on SIGTERM', async () => {
    assert.equal(await stop(cli), 0)
  })

  it('prints JSON lines with --json, and no check without a secret', async () => {
    const json = runCli(['listen', '--port', '0', '--json'])
    try {
      const base = await startedOnStderr(json)
      await deliver(hooks, base, secret)
      await json.waitFor((out) => out.includes('\n'))
      const line = JSON.parse(json.stdout().split('\n')[0]!) as Record<string, unknown>
      assert.equal(line.type, 'order.created')
      assert.equal(line.signature, 'not checked')
      assert.equal(line.reason, 'no --secret')
    } finally {
      await stop(json)
    }
  })

  it('fails in one line when the port is in use', async () => {
    const taken = await startListener()
    try {
      const second = runCli(['listen', '--port', String(taken.port)])
      assert.equal(await second.exited, 1)
      assert.equal(
        second.stderr(),
        `error: cannot listen on 127.0.0.1 port ${taken.port}: the port is already in use\n`,
      )
    } finally {
      await taken.close()
    }
  })
})
