import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { after, before, describe, it } from 'node:test'
import { adminKey, api, failure, hookrelay, ok, useCliServer } from './cli-server.ts'

const t = useCliServer()
let dir = ''

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hookrelay-cli-errors-'))
})

after(() => rm(dir, { recursive: true, force: true }))

const asTenant = () => t.asTenant()

/** Every client command, as typed before `--help`. */
const commands = [
  ['publish'],
  ['subscriptions'],
  ['subscriptions', 'list'],
  ['subscriptions', 'create'],
  ['subscriptions', 'update'],
  ['subscriptions', 'delete'],
  ['subscriptions', 'test'],
  ['subscriptions', 'show'],
  ['subscriptions', 'stats'],
  ['subscriptions', 'rotate-secret'],
  ['events'],
  ['events', 'list'],
  ['events', 'show'],
  ['event-types'],
  ['event-types', 'list'],
  ['event-types', 'show'],
  ['deliveries'],
  ['deliveries', 'list'],
  ['deliveries', 'retry'],
  ['recover'],
  ['keys'],
  ['keys', 'create'],
  ['keys', 'list'],
  ['keys', 'delete'],
  ['tenants'],
  ['tenants', 'create'],
  ['tenants', 'list'],
  ['trigger'],
]

describe('hookrelay client commands, help and failures', () => {
  it('--help of every command shows an example and exits 0', async () => {
    const runs = await Promise.all(commands.map((command) => hookrelay([...command, '--help'])))
    runs.forEach((run, i) => {
      const name = commands[i]!.join(' ')
      assert.equal(run.code, 0, name)
      assert.match(run.stdout, /\nExamples:\n {2}\$ hookrelay /, name)
      // The example is of this command (`subs` is the alias of `subscriptions`).
      const typed = commands[i]!.join(' ').replace('subscriptions', '(subscriptions|subs)')
      assert.match(run.stdout, new RegExp(`\\$ hookrelay ${typed}`), name)
    })
    // Only create generates a secret; update replaces it with the one given.
    const help = (name: string) => runs[commands.findIndex((c) => c.join(' ') === name)]!.stdout
    assert.match(
      help('subscriptions create'),
      /--secret <secret> +the signing secret \(default: one is generated\)/,
    )
    assert.match(help('subscriptions update'), /--secret <secret> +a new signing secret, replacing/)
    assert.doesNotMatch(help('subscriptions update'), /generated/)
    assert.match(runs[2]!.stdout, /--url <url> .*HOOKRELAY_URL/s)
    assert.match(runs[2]!.stdout, /--as-tenant <id> .*HOOKRELAY_TENANT/s)
  })

  it('a missing --key is one line that says how to give it', async () => {
    const line = failure(await hookrelay(['subs', 'list'], { url: t.server.url, key: null }))
    assert.equal(line, 'error: no API key: pass --key <key> or set HOOKRELAY_KEY')
  })

  it('--key and --url given as flags beat the environment', async () => {
    const out = ok(
      await hookrelay(['subs', 'list', '--url', t.server.url, '--key', t.key], {
        url: 'http://127.0.0.1:1',
        key: 'wrong-key',
      }),
    )
    assert.equal(out, 'No subscriptions.\n')
  })

  it('an unknown id is one line with the detail, code and status', async () => {
    const line = failure(await hookrelay(['events', 'show', 'evt_nope'], asTenant()))
    assert.equal(line, 'error: event evt_nope not found (not_found, HTTP 404)')
    const retry = failure(await hookrelay(['deliveries', 'retry', 'dlv_nope'], asTenant()))
    assert.match(retry, /^error: .*dlv_nope.* \(not_found, HTTP 404\)$/)
  })

  it('an id with a slash stays one path segment', async () => {
    const line = failure(await hookrelay(['subs', 'delete', '../../admin/keys/x'], asTenant()))
    assert.match(line, /\(not_found, HTTP 404\)$/)
  })

  it('invalid input the server refuses is one line naming the field', async () => {
    const args = ['subs', 'create', '--name', 'x', '--event', 'a.b', '--endpoint', 'ftp://nope']
    const line = failure(await hookrelay(args, asTenant()))
    assert.match(line, /^error: .*config\.url.* \(invalid_input, HTTP 400\)$/)
  })

  it('a host name DNS cannot take is one line naming the field', async () => {
    const host = `${'a'.repeat(250)}.example`
    const args = [
      'subs',
      'create',
      '--name',
      'x',
      '--event',
      'a.b',
      '--endpoint',
      `https://${host}/`,
    ]
    const line = failure(await hookrelay(args, asTenant()))
    assert.equal(
      line,
      'error: config.url: the host name is too long (253 characters at most) (invalid_input, HTTP 400)',
    )
  })

  it('an unreachable --url says so in one line', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as { port: number }
    await new Promise((resolve) => closed.close(resolve))
    const url = `http://127.0.0.1:${port}`
    const line = failure(await hookrelay(['events', 'list'], { url, key: t.key }))
    assert.equal(line, `error: cannot reach ${url}: connection refused`)
    const bad = failure(await hookrelay(['events', 'list'], { url: 'localhost:8080', key: t.key }))
    assert.match(bad, /^error: --url must be an http:\/\/ or https:\/\/ URL/)
  })

  it('bad flags are one line naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['events', 'list', '--limit', 'many'], /--limit <n>.*many.*1 to 100/],
      [['events', 'list', '--status', 'lost'], /--status <status>.*lost/],
      [['events', 'list', '--since', 'soon'], /^error: --since must be/],
      [['subs', 'list', '--state', 'sleeping'], /--state <state>.*sleeping/],
      [['subs', 'create', '--name', 'x', '--event', 'a'], /--endpoint <url>.*not specified/],
      [['subs', 'create', '--header', 'novalue'], /--header <name=value>.*novalue/],
      [['subs', 'update', 'sub_1', '--rate-limit', '-1'], /--rate-limit <n>.*-1/],
      [['keys', 'create', '--tenant', 'acme'], /--role <role\.\.\.>.*not specified/],
      [
        ['deliveries', 'list'],
        /^error: which subscription\? give its id: hookrelay deliveries list/,
      ],
      [
        ['deliveries', 'list', 'sub_1', '--subscription', 'sub_2'],
        /^error: give the subscription as the argument or with --subscription, not both$/,
      ],
      [['publish', 'order.created', '{oops'], /^error: the data argument is not JSON/],
      [
        ['publish', 'x', '--file', join('/nonexistent', 'a.json')],
        /^error: --file: .*no such file/,
      ],
      [['publish', 'x', '{}', '--file', 'a.json'], /^error: .*argument or with --file, not both/],
      [['events', 'list', '--frobnicate'], /^error: unknown option '--frobnicate'/],
    ]
    const runs = await Promise.all(cases.map(([args]) => hookrelay(args, asTenant())))
    runs.forEach((run, i) => assert.match(failure(run), cases[i]![1], cases[i]![0].join(' ')))
  })

  it('a deleted key then gets a one-line 401', async () => {
    const created = JSON.parse(
      ok(
        await hookrelay(['keys', 'create', '--tenant', 'acme', '--role', 'user', '--json'], {
          url: t.server.url,
          key: adminKey,
        }),
      ),
    )
    const asKey = { url: t.server.url, key: created.key as string }
    assert.equal(ok(await hookrelay(['subs', 'list'], asKey)), 'No subscriptions.\n')
    const out = ok(
      await hookrelay(['keys', 'delete', created.id], { url: t.server.url, key: adminKey }),
    )
    assert.equal(out, `Deleted ${created.id}\n`)
    const line = failure(await hookrelay(['subs', 'list'], asKey))
    assert.match(line, /^error: .* \(unauthorized, HTTP 401\)$/)
  })

  it('a tenant key on an admin command is a one-line 403', async () => {
    const line = failure(await hookrelay(['tenants', 'create', 'other'], asTenant()))
    assert.match(line, /^error: .*admin.* \(forbidden, HTTP 403\)$/)
    // Nothing was created.
    const tenants = await api<{ data: { id: string }[] }>(
      t.server,
      adminKey,
      'GET',
      '/admin/tenants',
    )
    assert.ok(!tenants.data.some((t) => t.id === 'other'))
  })

  it('loads neither the server nor a database driver', async () => {
    const trace = join(dir, 'trace.txt')
    const hook = join(dir, 'trace-hook.mjs')
    await writeFile(
      hook,
      `import { registerHooks } from 'node:module'
import { appendFileSync } from 'node:fs'
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context)
    appendFileSync(${JSON.stringify(trace)}, resolved.url + '\\n')
    return resolved
  },
})
`,
    )
    const run = await hookrelay(['subs', 'list'], {
      ...asTenant(),
      env: { NODE_OPTIONS: `--import=${pathToFileURL(hook).href}` },
    })
    assert.equal(ok(run), 'No subscriptions.\n')
    const loaded = (await readFile(trace, 'utf8')).split('\n')
    assert.ok(
      loaded.some((url) => url.endsWith('/src/cli/commands/subscriptions.ts')),
      'no trace',
    )
    const heavy = loaded.filter((url) =>
      /\/node_modules\/(fastify|pino|pg)\/|^node:sqlite$|\/src\/(server|store)\//.test(url),
    )
    assert.deepEqual(heavy, [])
  })
})
