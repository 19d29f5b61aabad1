import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { api, failure, hookrelay, ok, useCliServer } from './cli-server.ts'

const t = useCliServer()

interface Sub {
  id: string
  name: string
  state: string
  events: string[]
  headers: Record<string, string>
  signatureScheme: string
  rateLimit: number | null
  description: string | null
  config: { url: string }
}

async function create(path: string, ...more: string[]): Promise<Sub> {
  const args = ['subs', 'create', '--name', path, '--event', 'order.*']
  const run = await hookrelay(
    [...args, '--endpoint', `${t.receiver.url}${path}`, ...more, '--json'],
    t.asTenant(),
  )
  return JSON.parse(ok(run)) as Sub
}

const read = (id: string) => api<Sub>(t.server, t.key, 'GET', `/webhooks/subscriptions/${id}`)

describe('hookrelay subscriptions update, test, delete', () => {
  it('create sends every field flag', async () => {
    const sub = await create(
      '/fields',
      '--event',
      'invoice.paid,refund.*',
      '--scheme',
      'github',
      '--header',
      'x-team=sales',
      '--header',
      'x-env=a=b',
      '--description',
      'for sales',
      '--rate-limit',
      '2.5',
      '--secret',
      'my-own-secret',
    )
    const stored = await read(sub.id)
    assert.deepEqual(stored.events, ['order.*', 'invoice.paid', 'refund.*'])
    assert.deepEqual(stored.headers, { 'x-team': 'sales', 'x-env': 'a=b' })
    assert.equal(stored.signatureScheme, 'github')
    assert.equal(stored.description, 'for sales')
    assert.equal(stored.rateLimit, 2.5)
  })

  it('update changes only the fields given', async () => {
    const sub = await create('/update')
    const out = ok(
      await hookrelay(
        [
          'subs',
          'update',
          sub.id,
          '--name',
          'Renamed',
          '--event',
          'a.b',
          'c.*',
          '--endpoint',
          `${t.receiver.url}/moved`,
        ],
        t.asTenant(),
      ),
    )
    assert.equal(out, `Updated ${sub.id} (Renamed), now active\n`)
    const stored = await read(sub.id)
    assert.equal(stored.name, 'Renamed')
    assert.deepEqual(stored.events, ['a.b', 'c.*'])
    assert.equal(stored.config.url, `${t.receiver.url}/moved`)
    assert.equal(stored.signatureScheme, 'standard')
    const found = ok(
      await hookrelay(['subs', 'list', '--event', 'a.b', '--name', 'Renamed'], t.asTenant()),
    )
    assert.equal(found.split('\n').filter((line) => line.startsWith('sub_')).length, 1, found)
    assert.ok(found.includes(sub.id), found)
    const none = ok(await hookrelay(['subs', 'list', '--event', 'zzz.top'], t.asTenant()))
    assert.equal(none, 'No subscriptions.\n')
  })

  it('update --pause stops deliveries and --resume starts them again', async () => {
    const sub = await create('/paused', '--event', 'pause.test')
    assert.match(
      ok(await hookrelay(['subs', 'update', sub.id, '--pause'], t.asTenant())),
      /now paused\n$/,
    )
    assert.equal((await read(sub.id)).state, 'paused')
    const list = ok(await hookrelay(['subs', 'list', '--state', 'paused'], t.asTenant()))
    assert.match(list, new RegExp(`^${sub.id} +/paused +paused `, 'm'))
    const quiet = JSON.parse(
      ok(await hookrelay(['publish', 'pause.test', '{}', '--json'], t.asTenant())),
    )
    assert.equal(quiet.deliveries, 0, 'a paused subscription got a delivery')

    assert.match(
      ok(await hookrelay(['subs', 'update', sub.id, '--resume'], t.asTenant())),
      /now active\n$/,
    )
    assert.equal((await read(sub.id)).state, 'active')
    const heard = JSON.parse(
      ok(await hookrelay(['publish', 'pause.test', '{}', '--json'], t.asTenant())),
    )
    assert.equal(heard.deliveries, 1)
    await t.receiver.waitWithin(1, 10_000)
    assert.equal(t.receiver.at('/paused').length, 1)
  })

  it('update with no change, or with --pause and --resume, fails naming the flags', async () => {
    const sub = await create('/nothing')
    assert.match(
      failure(await hookrelay(['subs', 'update', sub.id], t.asTenant())),
      /^error: nothing to change/,
    )
    const both = failure(
      await hookrelay(['subs', 'update', sub.id, '--pause', '--resume'], t.asTenant()),
    )
    assert.match(both, /--pause.*--resume/)
  })

  it('test prints success, status, duration and the body; exits 1 when the receiver fails', async () => {
    const sub = await create('/ping')
    t.receiver.queue('/ping', { kind: 'status', status: 200, body: 'pong!' })
    const out = ok(await hookrelay(['subs', 'test', sub.id], t.asTenant()))
    assert.match(out, /^Success +yes\nStatus +HTTP 200\nDuration +\d+ ms\nResponse body:\npong!\n$/)
    assert.equal(t.receiver.at('/ping').length, 1)

    t.receiver.queue('/ping', { kind: 'status', status: 500, body: 'broken' })
    const failed = await hookrelay(['subs', 'test', sub.id], t.asTenant())
    assert.equal(failed.code, 1)
    assert.match(failed.stdout, /^Success +no\nStatus +HTTP 500\n[^]*broken\n$/)
    const json = await hookrelay(['subs', 'test', sub.id, '--json'], t.asTenant())
    assert.equal(JSON.parse(json.stdout).statusCode, 200)
  })

  it('delete removes a subscription; deleting it again is a one-line 404', async () => {
    const sub = await create('/deleted')
    assert.equal(
      ok(await hookrelay(['subscriptions', 'delete', sub.id], t.asTenant())),
      `Deleted ${sub.id}\n`,
    )
    assert.ok(!ok(await hookrelay(['subs', 'list'], t.asTenant())).includes(sub.id))
    const again = failure(await hookrelay(['subs', 'delete', sub.id], t.asTenant()))
    assert.equal(again, `error: subscription ${sub.id} not found (not_found, HTTP 404)`)
  })

  it('an admin key acts for a tenant with --as-tenant or HOOKRELAY_TENANT, and not without', async () => {
    const sub = await create('/admin')
    const admin = t.asAdmin()
    assert.ok(ok(await hookrelay(['subs', 'list', '--as-tenant', 'acme'], admin)).includes(sub.id))
    const env = { ...admin, env: { HOOKRELAY_TENANT: 'acme' } }
    assert.ok(ok(await hookrelay(['subs', 'list'], env)).includes(sub.id))
    const refused = failure(await hookrelay(['subs', 'list'], admin))
    assert.match(refused, /^error: .* \(forbidden, HTTP 403\)$/)
  })

  it('fails in one line naming a tenant that does not exist, for --as-tenant', async () => {
    const admin = t.asAdmin()
    for (const args of [
      ['subs', 'list'],
      ['publish', 'order.created', '{}'],
    ]) {
      const line = failure(await hookrelay([...args, '--as-tenant', 'acme-typo'], admin))
      assert.equal(line, 'error: no tenant "acme-typo" exists (tenant_not_found, HTTP 404)')
    }
  })
})
