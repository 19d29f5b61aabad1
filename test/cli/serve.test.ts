import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { verifyStandard } from '../../src/receiver/index.ts'
import { callApi, poll } from '../support/http.ts'
import { TestReceiver } from '../support/receiver.ts'
import { runCli, type Served, startServe, stop } from './serve-process.ts'

let dir = ''
let receiver: TestReceiver
const running = new Set<Served>()

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hookrelay-cli-'))
  receiver = await TestReceiver.start()
})

after(async () => {
  for (const server of running) server.child.kill('SIGKILL')
  await receiver.close()
  await rm(dir, { recursive: true, force: true })
})

async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const server = await startServe(args, env)
  running.add(server)
  void server.exited.then(() => running.delete(server))
  return server
}

const call = (server: Served, key: string, method: string, path: string, body?: unknown) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  callApi<any>(server, key, method, path, body)

/** `poll`, 100 ms apart: these servers are child processes. */
const pollServer = <T>(read: () => Promise<T>, done: (value: T) => boolean, tries = 100) =>
  poll(read, done, { tries, intervalMs: 100 })

function adminKeyOf(stdout: string): string | undefined {
  return /shown only this once, keep it:\n\n {2}(\S+)\n/.exec(stdout)?.[1]
}

const local = ['--allow-private', '127.0.0.0/8']

describe('hookrelay serve, end to end', () => {
  const database = () => join(dir, 'hooks.db')
  let adminKey = ''

  it('on a first start prints its URL and an admin key, and delivers what is published', async () => {
    const server = await serve(['--port', '0', '--database', database(), ...local])
    const out = server.stdout()
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    assert.ok(!server.url.endsWith(':0'))
    assert.ok(out.includes(`${server.url}/docs`), out)
    assert.ok(out.includes(database()), out)
    adminKey = adminKeyOf(out) ?? ''
    assert.ok(adminKey.length >= 16, out)
    assert.ok(out.includes(`curl -sS -X POST ${server.url}/admin/tenants`), out)
    // The key is printed, never logged.
    assert.ok(server.logs().length > 0)
    assert.ok(!server.logs().some((line) => JSON.stringify(line).includes(adminKey)))

    const tenant = await call(server, adminKey, 'POST', '/admin/tenants', { id: 'acme' })
    assert.equal(tenant.status, 201, tenant.text)
    const key = await call(server, adminKey, 'POST', '/admin/tenants/acme/keys', {
      roles: ['user', 'service'],
    })
    assert.equal(key.status, 201, key.text)
    const tenantKey = key.body.key as string

    const sub = await call(server, tenantKey, 'POST', '/webhooks/subscriptions', {
      name: 'My receiver',
      events: ['order.*'],
      config: { url: `${receiver.url}/orders` },
    })
    assert.equal(sub.status, 201, sub.text)
    const published = await call(server, tenantKey, 'POST', '/webhooks/events', {
      type: 'order.created',
      data: { id: 42 },
    })
    assert.equal(published.status, 202, published.text)
    assert.equal(published.body.deliveries, 1)
    const eventId = published.body.id as string

    await pollServer(
      async () => receiver.at('/orders').length,
      (count) => count > 0,
    )
    const [request] = receiver.at('/orders')
    assert.ok(request, 'the receiver got nothing')
    assert.equal(request.headers['webhook-id'], eventId)
    verifyStandard({ secret: sub.body.config.secret, headers: request.headers, body: request.body })

    const detail = await pollServer(
      () => call(server, tenantKey, 'GET', `/webhooks/events/${eventId}`),
      (answer) => answer.body?.deliveries?.[0]?.status === 'succeeded',
    )
    assert.equal(detail.status, 200, detail.text)
    assert.equal(detail.body.deliveries[0].status, 'succeeded', detail.text)
    assert.equal(detail.body.attempts[0].statusCode, 200)

    assert.equal(await stop(server), 0)
    assert.ok(
      server.logs().some((line) => line.msg === 'stopped'),
      server.stdout(),
    )
  })

  it('prints no admin key when started again on the same database, and the old one works', async () => {
    assert.ok(adminKey !== '', 'needs the first test')
    const server = await serve(['--port', '0', '--database', database(), ...local])
    assert.equal(adminKeyOf(server.stdout()), undefined)
    assert.doesNotMatch(server.stdout(), /First start|curl/)
    const tenant = await call(server, adminKey, 'POST', '/admin/tenants', { id: 'beta' })
    assert.equal(tenant.status, 201, tenant.text)
    assert.equal(await stop(server, 'SIGINT'), 0)
  })

  it('accepts --admin-key as an admin key, and generates none then', async () => {
    const given = 'operator-chosen-key-0001'
    const server = await serve([
      '--port',
      '0',
      '--database',
      join(dir, 'given.db'),
      '--admin-key',
      given,
    ])
    assert.equal(adminKeyOf(server.stdout()), undefined)
    assert.ok(!server.stdout().includes(given))
    assert.equal((await call(server, given, 'POST', '/admin/tenants', { id: 'acme' })).status, 201)
    assert.equal(
      (await call(server, 'not-the-admin-key-at-all', 'POST', '/admin/tenants', { id: 'x' }))
        .status,
      401,
    )
    assert.equal(await stop(server), 0)
  })

  it('takes its settings from HOOKRELAY_* variables', async () => {
    const given = 'admin-key-from-the-environment'
    const server = await serve([], {
      HOOKRELAY_PORT: '0',
      HOOKRELAY_DATABASE: join(dir, 'env.db'),
      HOOKRELAY_ADMIN_KEY: given,
      HOOKRELAY_AUTH_FAILURE_LIMIT: '2',
    })
    assert.ok(server.stdout().includes(join(dir, 'env.db')))
    assert.equal((await call(server, given, 'POST', '/admin/tenants', { id: 'acme' })).status, 201)
    // Two failed authentications a minute from this address, then 429 with Retry-After.
    const wrong = () => call(server, 'not-the-admin-key', 'GET', '/admin/tenants')
    assert.deepEqual([(await wrong()).status, (await wrong()).status], [401, 401])
    const limited = await fetch(`${server.url}/admin/tenants`, {
      headers: { authorization: `Bearer ${given}` },
    })
    assert.equal(limited.status, 429)
    const retryAfter = Number(limited.headers.get('retry-after'))
    assert.ok(retryAfter >= 1 && retryAfter <= 30, `Retry-After: ${retryAfter}`)
    assert.equal(await stop(server), 0)
  })

  it('with --role worker serves only health, readiness and metrics', async () => {
    const server = await serve([
      '--port',
      '0',
      '--database',
      join(dir, 'worker.db'),
      '--role',
      'worker',
    ])
    assert.equal(adminKeyOf(server.stdout()), undefined)
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200)
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200)
    assert.equal((await fetch(`${server.url}/webhooks/subscriptions`)).status, 404)
    assert.equal(await stop(server), 0)
  })

  it('waits for a delivery in flight on SIGTERM, and exits 1 at once on a second signal', async () => {
    const db = join(dir, 'hang.db')
    const given = 'admin-key-for-the-hang-test'
    receiver.always('/hang', { kind: 'hang' })
    const server = await serve(['--port', '0', '--database', db, '--admin-key', given, ...local])
    await call(server, given, 'POST', '/admin/tenants', { id: 'acme' })
    const key = await call(server, given, 'POST', '/admin/tenants/acme/keys', {
      roles: ['user', 'service'],
    })
    const sub = await call(server, key.body.key, 'POST', '/webhooks/subscriptions', {
      name: 'Hangs',
      events: ['*'],
      config: { url: `${receiver.url}/hang` },
    })
    assert.equal(sub.status, 201, sub.text)
    const earlier = receiver.at('/hang').length
    await call(server, key.body.key, 'POST', '/webhooks/events', {
      type: 'order.created',
      data: {},
    })
    await pollServer(
      async () => receiver.at('/hang').length,
      (count) => count > earlier,
    )
    server.child.kill('SIGTERM')
    await server.waitFor((out) => out.includes('"msg":"stopping'))
    assert.equal(
      await Promise.race([server.exited.then(() => 'exited'), Promise.resolve('waiting')]),
      'waiting',
    )
    assert.equal(await stop(server, 'SIGINT'), 1)
  })

  it('past the shutdown grace, records the attempts in flight as interrupted, answers 503 meanwhile, and the next start sends them at once', async () => {
    const db = join(dir, 'grace.db')
    const given = 'admin-key-for-the-grace-test'
    const args = ['--port', '0', '--database', db, '--admin-key', given, ...local]
    receiver.always('/slow', { kind: 'hang' })
    const server = await serve([...args, '--shutdown-grace', '1'])
    await call(server, given, 'POST', '/admin/tenants', { id: 'acme' })
    const key = (
      await call(server, given, 'POST', '/admin/tenants/acme/keys', { roles: ['user', 'service'] })
    ).body.key as string
    const sub = await call(server, key, 'POST', '/webhooks/subscriptions', {
      name: 'Slower than the grace',
      events: ['*'],
      config: { url: `${receiver.url}/slow` },
    })
    assert.equal(sub.status, 201, sub.text)
    const events = 5
    const ids: string[] = []
    for (let i = 0; i < events; i++) {
      const published = await call(server, key, 'POST', '/webhooks/events', {
        type: 'order.created',
        data: { i },
      })
      ids.push(published.body.id as string)
    }
    await pollServer(
      async () => receiver.at('/slow').length,
      (count) => count >= events,
    )
    const stopped = stop(server, 'SIGTERM')
    await server.waitFor((out) => out.includes('"msg":"stopping'))
    // Within the grace the port still answers: 503 with Retry-After, not a refused connection.
    const health = await fetch(`${server.url}/healthz`)
    assert.equal(health.status, 503)
    assert.equal(health.headers.get('retry-after'), '5')
    const publish = await call(server, key, 'POST', '/webhooks/events', { type: 'x', data: {} })
    assert.equal(publish.status, 503, publish.text)
    assert.equal(publish.body.code, 'closed')
    assert.equal(await stopped, 0)
    const stoppedAt = Date.now()

    // What the shutdown left, seen by a process that does not deliver: every attempt recorded as
    // interrupted, each delivery due again already.
    const api = await serve([...args, '--role', 'api'])
    for (const id of ids) {
      const event = (await call(api, key, 'GET', `/webhooks/events/${id}`)).body
      const [delivery] = event.deliveries
      assert.equal(delivery.status, 'retrying', JSON.stringify(event))
      assert.ok(Date.parse(delivery.nextAttemptAt) <= stoppedAt, delivery.nextAttemptAt)
      assert.equal(event.attempts.length, 1)
      assert.match(event.attempts[0].error, /^interrupted: Hookrelay shut down/)
    }
    assert.equal(await stop(api), 0)

    receiver.always('/slow', { kind: 'status', status: 200 })
    const restarted = await serve(args)
    for (const id of ids) {
      const event = await pollServer(
        async () => (await call(restarted, key, 'GET', `/webhooks/events/${id}`)).body,
        (body) => body.deliveries?.[0]?.status === 'succeeded',
      )
      assert.deepEqual(
        event.attempts.map((a: { statusCode: number | null }) => a.statusCode),
        [null, 200],
      )
    }
    assert.equal(await stop(restarted), 0)
  })
})

describe('hookrelay serve, failures', () => {
  async function fails(args: string[]): Promise<string> {
    const cli = runCli(args)
    const code = await cli.exited
    assert.notEqual(code, 0)
    const stderr = cli.stderr()
    assert.equal(stderr.trimEnd().split('\n').length, 1, stderr)
    assert.doesNotMatch(stderr, /\bat .*:\d+:\d+/) // no stack trace
    return stderr
  }

  it('refuses a bad --port in one line naming the flag', async () => {
    assert.match(await fails(['serve', '--port', 'nope']), /^error: --port /)
  })

  it('refuses a bad --role in one line naming the flag', async () => {
    assert.match(await fails(['serve', '--role', 'boss']), /^error: --role /)
  })

  it('refuses an unknown flag in one line', async () => {
    assert.match(await fails(['serve', '--prot', '80']), /^error: unknown option '--prot'/)
  })

  it('exits 1 with one line when the port is in use', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const { port } = blocker.address() as { port: number }
    try {
      const db = join(dir, 'busy.db')
      const line = await fails(['serve', '--port', String(port), '--database', db])
      assert.match(
        line,
        /^error: cannot listen on 127\.0\.0\.1 port \d+: the port is already in use/,
      )
    } finally {
      blocker.close()
    }
  })

  it('exits 1 with one line when the database cannot be opened', async () => {
    const db = join(dir, 'no', 'such', 'folder', 'hooks.db')
    assert.match(
      await fails(['serve', '--port', '0', '--database', db]),
      /^error: cannot open the database /,
    )
  })
})
